"""deploytui's real ``deploytui run PLAYBOOK`` path, stopped once the run screen is interactive.

Usage: ``python tui_run_screen.py PLAYBOOK JOURNAL``. It calls the CLI's ``main`` exactly as the
console script does, with two changes made from outside: the terminal check is skipped and the
app runs headless (no terminal here) with a Pilot that waits until the run screen is shown and
idle (first step painted, keys answered), then leaves it the way ctrl+q would (the engine is
stopped and the run stays resumable). Whole-process time is measured by the caller.
"""

from __future__ import annotations

import sys

from textual.app import App

_original_run = App.run


def _headless_run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    async def until_run_screen(pilot) -> None:  # type: ignore[no-untyped-def]
        while type(pilot.app.screen).__name__ != "RunScreen":
            await pilot.pause(0.005)
        await pilot.pause()  # idle: mounted, first step shown, painted
        print("run screen ready", file=sys.stderr)
        pilot.app.exit()

    kwargs.update(headless=True, size=(120, 40), auto_pilot=until_run_screen)
    return _original_run(self, *args, **kwargs)


def main() -> int:
    import deploytui.cli_run as cli_run
    from deploytui.cli import main as cli_main

    App.run = _headless_run  # type: ignore[method-assign]
    cli_run.require_terminal = lambda: None  # type: ignore[attr-defined]
    playbook, journal = sys.argv[1], sys.argv[2]
    sys.argv = ["deploytui", "run", playbook, "--journal", journal]
    code = cli_main()  # no argv: exactly what the console script does
    return 0 if code in (0, 3) else code


if __name__ == "__main__":
    sys.exit(main())
