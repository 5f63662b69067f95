#!/usr/bin/env bash
# System packages the test suite needs: a real sshd, tmux for end-to-end tests, rsvg-convert for
# screenshots. Idempotent and quiet when everything is already there.
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v tmux >/dev/null || need+=(tmux)
command -v rsvg-convert >/dev/null || need+=(librsvg2-bin)
# The ⏸ status icon in the PNG screenshots (the default fonts have no glyph for it).
[ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || need+=(fonts-symbola)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v sudo >/dev/null || need+=(sudo)  # ssh steps with sudo: true
[ -x /usr/bin/prometheus ] || need+=(prometheus)  # monitor steps: a real Prometheus
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
