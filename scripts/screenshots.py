#!/usr/bin/env python3
"""Regenerate screenshots/*.svg and *.png: every screen and dialog, on frozen demo scenes.

Usage (from the repository root):  .venv/bin/python scripts/screenshots.py [NAME ...]

It records one real run of the bundled demo, builds each shot of tests/ui/shots.py (the same
states the snapshot tests check), saves Textual's SVG export, and converts it to PNG with
``rsvg-convert`` (Debian: librsvg2-bin). rsvg drops the non-breaking spaces Textual uses in SVG
text, which glues words together, so the PNG is rendered from a copy with plain spaces and
``xml:space="preserve"``. Clocks and ids are frozen, so unchanged screens give identical files.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "screenshots"
sys.path.insert(0, str(REPO))


def png_from_svg(svg: Path, png: Path) -> None:
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as fixed:
        fixed.write(text)
    try:
        subprocess.run(["rsvg-convert", fixed.name, "-o", str(png)], check=True)
    finally:
        os.unlink(fixed.name)


async def shoot(shot, raw) -> str:  # type: ignore[no-untyped-def]
    from tests.ui.shots import build

    with tempfile.TemporaryDirectory() as folder:
        app = build(shot, raw, Path(folder))
        async with app.run_test(size=shot.size) as pilot:
            await shot.before(pilot)
            return app.export_screenshot(title="deploytui")


def main(names: list[str]) -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = tempfile.mkdtemp(prefix="deploytui-shots-")
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert is missing: apt-get install -y librsvg2-bin", file=sys.stderr)
        return 2
    from tests.ui.scenes import record_demo_run
    from tests.ui.shots import SHOTS

    shots = [shot for shot in SHOTS if not names or shot.name in names]
    raw = record_demo_run()
    OUT.mkdir(exist_ok=True)
    for shot in shots:
        svg = OUT / f"{shot.name}.svg"
        svg.write_text(asyncio.run(shoot(shot, raw)), encoding="utf-8")
        png_from_svg(svg, OUT / f"{shot.name}.png")
        print(f"{shot.name}: {shot.size[0]}×{shot.size[1]} — {shot.caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
