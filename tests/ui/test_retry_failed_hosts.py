"""The failure dialog of a fan-out step offers "Retry failed hosts (N)" beside "Retry all".

A real app, engine thread and journal, and real sshd processes: three hosts are aliases of a
live sshd, the fourth points at a stopped one, restarted before the retry. "Retry all" would
re-run hosts that already succeeded, so it asks for confirmation; "Retry failed hosts" is the
focused default and runs only the failed host. The command appends to a marker file per sshd.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Button, Static

from deploytui.journal import Journal
from deploytui.model.events import EventType
from deploytui.ui.bridge import Ask
from deploytui.ui.dialogs.common import ConfirmDialog
from deploytui.ui.dialogs.decisions import FailureDialog
from tests.sshd_helpers import ssh_playbook
from tests.ui.helpers import live_app, run_screen, wait_for, wait_question, wait_screen

NAMES = ["app-1", "app-2", "app-3", "app-4"]


async def test_failure_dialog_offers_retry_of_the_failed_hosts_only(
    journal: Journal, ssh_keys: Any, sshd: Any, sshd_factory: Any, tmp_path: Path
) -> None:
    (down,) = sshd_factory(1)
    down.stop()
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port, down.port])
    markers = tmp_path / "markers"
    markers.mkdir()
    targets = {
        "ssh": {
            name: (down if name == "app-4" else sshd).target(known_hosts=str(known_hosts))
            for name in NAMES
        },
        "groups": {"app": NAMES},
    }
    step = {
        "id": "migrate",
        "kind": "ssh",
        "title": "Run the migration",
        "hosts": "app",
        "command": f'echo once >> {markers}/marker-"${{SSH_CONNECTION##* }}"',
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(
        ssh_playbook(targets, [step, {"id": "after", "kind": "confirm", "title": "OK"}])
    )

    def lines(server: Any) -> int:
        marker = markers / f"marker-{server.port}"
        return len(marker.read_text().splitlines()) if marker.exists() else 0

    app = live_app(journal, path, cwd=tmp_path)
    async with app.run_test(size=(110, 34)) as pilot:
        await wait_question(pilot, Ask.failure, "migrate")
        dialog = await wait_screen(pilot, FailureDialog)
        assert dialog.failure.failed_hosts == ["app-4"] and dialog.failure.host_count == 4
        labels = {button.id: str(button.label) for button in dialog.query(Button)}
        assert labels["retry_failed"] == "Retry failed hosts (1) (f)"
        assert labels["retry"] == "Retry all (4)… (r)"
        assert app.focused is dialog.query_one("#retry_failed")
        message = str(dialog.query_one(".message", Static).render())
        assert "Did not succeed on 1 of 4 hosts: app-4" in message
        assert lines(sshd) == 3

        # "Retry all" re-runs the hosts that succeeded: it asks first; backing out changes nothing.
        await pilot.press("r")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert "including the 3 where it already succeeded" in str(
            confirm.query_one(Static).render()
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "back")
        assert run_screen(app).pending is not None  # still waiting for a decision

        down.start()
        await pilot.press("enter")  # reopen the failure dialog
        await wait_screen(pilot, FailureDialog)
        await pilot.press("f")
        await wait_question(pilot, Ask.acknowledge, "after")
        assert lines(sshd) == 3 and lines(down) == 1  # the good hosts did not run again

        run_id = run_screen(app).session.run_id
        (decision,) = [
            event
            for event in journal.events(run_id)
            if event.type == EventType.decision and event.step_id == "migrate"
        ]
        assert decision.data["action"] == "retry_failed" and decision.data["hosts"] == ["app-4"]
