"""Baseline: the raw paramiko script a user would write instead of deploytui.

One thread per host: connect with a key, check the host key against known_hosts (reject
unknown), run the command, print its output prefixed with the host, collect the exit status.
No journal, no output masking, no retries. Usage: ``python paramiko_fanout.py HOSTS.json``.
"""

from __future__ import annotations

import json
import sys
import threading

import paramiko


def run(host: dict, key_file: str, known_hosts: str, command: str, results: dict) -> None:
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        host["host"],
        port=host["port"],
        username=host["user"],
        key_filename=key_file,
        allow_agent=False,
        look_for_keys=False,
        timeout=30,
    )
    _, stdout, _ = client.exec_command(command)
    name = f"{host['host']}:{host['port']}"
    for line in stdout:
        print(f"[{name}] {line.rstrip()}", flush=False)
    results[name] = stdout.channel.recv_exit_status()
    client.close()


def main() -> int:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    results: dict[str, int] = {}
    threads = [
        threading.Thread(
            target=run,
            args=(host, spec["key_file"], spec["known_hosts"], spec["command"], results),
        )
        for host in spec["hosts"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = sum(1 for code in results.values() if code == 0)
    print(f"{ok} of {len(spec['hosts'])} hosts ok")
    return 0 if ok == len(spec["hosts"]) else 1


if __name__ == "__main__":
    sys.exit(main())
