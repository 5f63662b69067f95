"""Input forms: an invalid answer is refused with its message; a target breach must be acknowledged.

Real engine, real journal, the real form driven by keys. The expected messages come from the
model's own parser, so the test checks the UI shows exactly what the engine would say.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from deploytui.journal import Journal
from deploytui.model.events import EventType
from deploytui.model.fields import FieldType, InputField
from deploytui.model.values import InvalidValue
from deploytui.ui.bridge import Ask
from deploytui.ui.dialogs.input_form import BreachDialog, InputForm
from tests.ui.helpers import (
    live_app,
    run_screen,
    type_text,
    wait_exit,
    wait_for,
    wait_question,
    wait_screen,
    write_playbook,
)

PLAYBOOK = """
    name: inputs
    phases:
      - id: check
        title: Check
        steps:
          - id: facts
            kind: input
            title: Record the facts
            fields:
              - {id: backup_size, label: Backup size, type: size, min: 1 MB}
              - {id: p95_ms, label: p95 latency, type: number, unit: ms, target: "< 500 ms"}
"""


def finished_values(journal: Journal, run_id: str) -> list[dict[str, object]]:
    events = [
        event
        for event in journal.events(run_id)
        if event.type == EventType.step_finished and event.step_id == "facts"
    ]
    return events[-1].data["values"] if events else []


async def test_invalid_answer_is_refused_with_its_message(journal: Journal, tmp_path: Path) -> None:
    app = live_app(journal, write_playbook(tmp_path, PLAYBOOK), cwd=tmp_path)
    with pytest.raises(InvalidValue) as expected:
        InputField(id="backup_size", type=FieldType.size, min="1 MB").capture("lots")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.inputs, "facts")
        form = await wait_screen(pilot, InputForm)
        await type_text(pilot, "lots")
        await pilot.press("tab")
        await type_text(pilot, "312")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The form is still up, the message is under the field, nothing reached the engine.
        assert app.screen is form
        message = str(form.query_one("#fb-backup_size", Static).render())
        assert f"✗ {expected.value}" in message
        assert finished_values(journal, app.session.run_id) == []  # type: ignore[union-attr]

        size = form.query_one("#in-backup_size", Input)
        size.focus()
        size.value = ""
        await type_text(pilot, "4.2 GB")
        await pilot.press("ctrl+s")
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.ended, "the run to finish")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    values = {value["field"]: value for value in finished_values(journal, app.session.run_id)}  # type: ignore[union-attr]
    assert values["backup_size"]["display"] == "4.2 GB"
    assert values["p95_ms"]["breach"] is None


async def test_breach_needs_acknowledging_before_it_is_recorded(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, write_playbook(tmp_path, PLAYBOOK), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.inputs, "facts")
        await wait_screen(pilot, InputForm)
        await type_text(pilot, "4.2 GB")
        await pilot.press("enter")
        await type_text(pilot, "812")
        await pilot.press("enter")

        # First time: back out of the warning. The engine refuses and the form comes back.
        dialog = await wait_screen(pilot, BreachDialog)
        assert "812 ms misses the target < 500 ms" in str(dialog.query_one("#breaches").render())
        await pilot.press("escape")
        form = await wait_screen(pilot, InputForm)
        assert form.query_one("#in-p95_ms", Input).value == "812"
        assert "breach not acknowledged" in str(form.query_one("#fb-p95_ms", Static).render())
        assert finished_values(journal, app.session.run_id) == []  # type: ignore[union-attr]

        # Second time: record it knowingly.
        await pilot.press("ctrl+s")
        await wait_screen(pilot, BreachDialog)
        await pilot.click("#acknowledge")
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.ended, "the run to finish")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    values = {value["field"]: value for value in finished_values(journal, app.session.run_id)}  # type: ignore[union-attr]
    assert values["p95_ms"]["display"] == "812 ms"
    assert values["p95_ms"]["breach"] == "812 ms misses the target < 500 ms"
