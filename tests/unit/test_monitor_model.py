"""The monitor step's model: thresholds, load-time errors with file:line, value names, and the
evaluation rules (sustained thresholds, crossings, sliding error-rate window) reading by reading.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from deploytui.executors.monitor_eval import ErrorWindow, SignalWatch
from deploytui.model.monitor_step import MonitorSignal, parse_threshold
from deploytui.playbook.loader import PlaybookError, parse_playbook

PLAYBOOK = """\
name: watch
targets:
  http:
    app: {{base_url: "http://127.0.0.1:1"}}
    prom: {{base_url: "http://127.0.0.1:2"}}
  ssh:
    web-1: {{host: 127.0.0.1}}
phases:
  - id: p
    title: P
    steps:
      - id: watch
        kind: monitor
        title: Watch
        duration: 1h
        signals:
          - name: error_rate
            http: {{target: {target}, path: /health}}
            measure: error_rate
            warn: "{warn}"
            fail: "> 10 % for 5m"
          - name: queue
            command: {{run: "echo 1", host: {host}}}
            fail: "> 1000"
      - id: after
        kind: local
        title: After
        command: echo {{{{ inputs.{ref} }}}}
"""


def _load(**values: str) -> object:
    fields = {"target": "app", "warn": "> 1 %", "host": "web-1", "ref": "error_rate_p95"}
    fields.update(values)
    return parse_playbook(PLAYBOOK.format(**fields), "watch.yaml")


def _error(**values: str) -> str:
    with pytest.raises(PlaybookError) as caught:
        _load(**values)
    return str(caught.value)


def test_a_valid_monitor_names_its_figures() -> None:
    step = _load().playbook.step("watch")  # type: ignore[attr-defined]
    assert step.idempotent is True and step.estimate == 3630  # 1h and one interval of slack
    assert step.value_names()[:5] == [
        "error_rate_min",
        "error_rate_p50",
        "error_rate_p95",
        "error_rate_max",
        "error_rate_last",
    ]
    assert step.signals[0].unit == "%"  # the unit of an error rate goes without saying


def test_load_time_errors_point_at_the_line() -> None:
    unknown = _error(target="ap")
    assert "watch.yaml:18:" in unknown
    assert "http target 'ap' is not defined under targets.http" in unknown
    assert "did you mean 'app'?" in unknown
    host = _error(host="web-2")
    assert "watch.yaml:23:" in host and "ssh host 'web-2' is not defined" in host
    threshold = _error(warn="about 1 %")
    assert "watch.yaml:17:" in threshold  # the signal the threshold belongs to
    assert "threshold 'about 1 %' must be a comparison" in threshold
    unit = _error(warn="> 1 s")
    assert "threshold '> 1 s': expected a value in %, got 's'" in unit
    missing = _error(ref="error_rate_p97")
    assert "watch.yaml:28:" in missing
    assert "{{ inputs.error_rate_p97 }} is not answered or captured by any step" in missing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"duration": "10m", "fail": "> 5 % for 1h"}, "asks for longer than one watch lasts"),
        ({"interval": "2h"}, "is longer than the duration"),
        ({"checkpoint_every": "2h"}, "checkpoint_every and watch_for go together"),
        ({"checkpoint_every": "2h", "watch_for": "3h"}, "watch_for must be shorter"),
        ({"capture": [{"name": "x", "pattern": "y"}]}, "capture does not apply"),
    ],
)
def test_step_rules(fields: dict[str, object], message: str) -> None:
    from deploytui.model.monitor_step import MonitorStep

    signal = {"name": "e", "http": {"target": "a"}, "measure": "error_rate", "warn": "> 1 %"}
    if "fail" in fields:
        signal["fail"] = fields.pop("fail")
    data = {"id": "w", "kind": "monitor", "title": "t", "duration": "1h", "signals": [signal]}
    with pytest.raises(ValueError, match=message):
        MonitorStep.model_validate({**data, **fields})


def test_signal_rules() -> None:
    with pytest.raises(ValueError, match="exactly one of http, prometheus or command"):
        MonitorSignal.model_validate({"name": "x", "warn": "> 1"})
    with pytest.raises(ValueError, match="needs measure"):
        MonitorSignal.model_validate({"name": "x", "http": {"target": "a"}, "warn": "> 1"})
    with pytest.raises(ValueError, match="needs a warn or fail threshold"):
        MonitorSignal.model_validate({"name": "x", "command": {"run": "true"}})
    threshold = parse_threshold("> 2 s for 2m", "ms")
    assert (threshold.op, threshold.value, threshold.sustain) == (">", 2000.0, 120.0)


def _signal(**fields: object) -> MonitorSignal:
    return MonitorSignal.model_validate({"name": "e", "command": {"run": "true"}, **fields})


def test_sustained_fail_needs_an_unbroken_run_and_unknown_does_not_break_it() -> None:
    watch = SignalWatch(_signal(warn="> 1", fail="> 10 for 60s"))
    moves = [
        watch.observe(t, value)
        for t, value in [(0, 0), (30, 20), (60, 5), (90, 20), (120, None), (150, 20)]
    ]
    # 20 at 30s starts a run that 5 at 60s breaks; 90s starts again; unknown at 120s keeps it.
    assert watch.state == "triggered"
    changed = [(m["from"], m["to"], m["t"]) for m in moves if m]
    assert changed == [
        ("ok", "warning", 30),
        ("warning", "unknown", 120),
        ("unknown", "triggered", 150),
    ]
    assert watch.figures() == {"min": 0, "p50": 20, "p95": 20, "max": 20, "last": 20}


def test_the_first_ok_reading_is_not_a_crossing_but_a_first_warning_is() -> None:
    quiet = SignalWatch(_signal(warn="> 1"))
    assert quiet.observe(0, 0.5) is None
    loud = SignalWatch(_signal(warn="> 1"))
    assert loud.observe(0, 3)["from"] == "unknown"  # type: ignore[index]


def test_the_error_window_slides() -> None:
    window = ErrorWindow(60)
    window.add(0, 1, 1)
    window.add(30, 1, 0)
    assert window.rate(30) == 50
    window.add(60, 1, 0)
    assert window.rate(60) == pytest.approx(0)  # the failure at 0s left the window
    assert ErrorWindow(60).rate(0) is None


def test_validate_of_a_monitor_playbook_imports_neither_httpx_nor_paramiko(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    path.write_text(PLAYBOOK.format(target="app", warn="> 1 %", host="web-1", ref="error_rate_p95"))
    probe = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from deploytui.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["validate", {str(path)!r}])
        print(json.dumps({{"code": code, "httpx": "httpx" in sys.modules,
                           "paramiko": "paramiko" in sys.modules}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"code": 0, "httpx": False, "paramiko": False}


def test_an_upper_case_for_loads_and_gives_the_figure_its_target() -> None:
    # The parser accepts "FOR" as well as "for"; the p95's target must drop it too (validate
    # used to stop with an internal error on "> 1 % FOR 2m").
    step = _load(warn="> 1 % FOR 2m").playbook.step("watch")  # type: ignore[attr-defined]
    assert parse_threshold("> 1 % FOR 2m", "%").sustain == 120
    (p95,) = [field for field in step.figure_fields() if field.id == "error_rate_p95"]
    assert p95.target == "<= 1 %"


def test_a_crossing_back_to_ok_says_the_threshold_no_longer_holds() -> None:
    from deploytui.executors.monitor_report import crossing_line

    back = {"signal": "error_rate", "from": "warning", "to": "ok", "value": 0, "t": 20}
    line = crossing_line({**back, "threshold": "> 1 %"}, "%")
    assert line.endswith("error_rate warning → ok at 0 % (no longer > 1 %)")
    up = crossing_line(
        {**back, "from": "ok", "to": "warning", "value": 5, "threshold": "> 1 %"}, "%"
    )
    assert up.endswith("at 5 % (> 1 %)")
