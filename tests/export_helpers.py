"""A small imported-style checklist and a real run of it, shared by the export tests.

The playbook carries ``source_document`` and ``source`` refs the way ``deploytui import`` sets
them, written by hand here so the exports can be tested without the importer. The run goes
through the real engine, HeadlessOperator, answers and a real journal file; its local steps run
real shell commands (one fails once and is retried, one fails and is skipped with a reason, one
echoes a secret).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploytui.engine.headless import Answers, HeadlessOperator
from deploytui.engine.runner import Engine, RunOutcome, start_run
from deploytui.journal import Journal
from deploytui.playbook.loader import LoadedPlaybook, parse_playbook

SECRET = "s3cr3t-T0ken-xyzzy"

CHECKLIST = """\
# Night window checklist

**Date:** _____________

## 1. Backup
- [ ] **Create backup** of the orders database
  ```bash
  echo "backup done size=42"
  ```
- [ ] **Backup size:** ___________ MB/GB
- [ ] **Backup duration:** ___________ minutes
- [ ] **Sign-off:** _______________ (DBA)

## 2. Checks
- [ ] **Rollback tested on staging:** YES / NO
- [ ] **p95 response time:** ___________ ms (target: < 500ms)
- [ ] **Optional cache warmup**
- [x] **Flaky check** passes

## 3. Final
| Role | Name | Signature | Date |
|------|------|-----------|------|
| **QA Lead** | _______________ | _______________ | ___________ |

**Deployment Status:** ☐ APPROVED FOR PRODUCTION  ☐ BLOCKED (reason: ___________)
"""


def line_of(fragment: str, text: str = CHECKLIST) -> int:
    """The 1-based line of the checklist containing ``fragment`` (exactly one)."""
    found = [number for number, line in enumerate(text.split("\n"), 1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def checklist_playbook(workdir: Path) -> dict[str, Any]:
    marker = workdir / "flaky.marker"
    return {
        "name": "night-window",
        "version": "1.2",
        "description": "A small imported checklist <b>with</b> markup in it.",
        "window": {"budget": "1h"},
        "secrets": {"api_token": "token for the orders API"},
        "source_document": {"name": "night-window.md", "text": CHECKLIST},
        "phases": [
            {
                "id": "backup",
                "title": "Backup",
                "steps": [
                    {
                        "id": "window_date",
                        "kind": "input",
                        "title": "Date",
                        "source": {"line": line_of("**Date:**")},
                        "fields": [
                            {
                                "id": "window_date",
                                "label": "Date",
                                "source": {"line": line_of("**Date:**"), "blank": 0},
                            }
                        ],
                    },
                    {
                        "id": "create_backup",
                        "kind": "confirm",
                        "title": "Create backup of the orders database",
                        "source": {"line": line_of("**Create backup**")},
                    },
                    {
                        "id": "backup_command",
                        "kind": "local",
                        "title": "Run the backup command",
                        "estimate": "2m",
                        "command": 'echo "backup done size=42"',
                        "source": {"line": line_of('echo "backup done')},
                        "capture": [{"name": "backup_marker", "pattern": "size=(\\d+)"}],
                    },
                    {
                        "id": "backup_facts",
                        "kind": "input",
                        "title": "Record the backup",
                        "source": {"line": line_of("**Backup size:**")},
                        "fields": [
                            {
                                "id": "backup_size",
                                "label": "Backup size",
                                "type": "size",
                                "source": {"line": line_of("**Backup size:**"), "blank": 0},
                            },
                            {
                                "id": "backup_duration",
                                "label": "Backup duration",
                                "type": "duration",
                                "target": "< 15m",
                                "source": {"line": line_of("**Backup duration:**"), "blank": 0},
                            },
                        ],
                    },
                    {
                        "id": "dba_signoff",
                        "kind": "signoff",
                        "title": "Sign-off (DBA)",
                        "role": "DBA",
                        "source": {"line": line_of("(DBA)")},
                    },
                ],
            },
            {
                "id": "checks",
                "title": "Checks",
                "steps": [
                    {
                        "id": "checks_answers",
                        "kind": "input",
                        "title": "Rollback test and latency",
                        "source": {"line": line_of("**Rollback tested")},
                        "fields": [
                            {
                                "id": "rollback_tested",
                                "label": "Rollback tested on staging",
                                "type": "choice",
                                "options": ["YES", "NO"],
                                "source": {"line": line_of("**Rollback tested")},
                            },
                            {
                                "id": "p95_ms",
                                "label": "p95 response time",
                                "type": "number",
                                "unit": "ms",
                                "target": "< 500 ms",
                                "source": {"line": line_of("**p95 response"), "blank": 0},
                            },
                            {
                                "id": "operator_note",
                                "label": "Operator note",
                                "required": False,
                            },
                        ],
                    },
                    {
                        "id": "cache_warmup",
                        "kind": "local",
                        "title": "Optional cache warmup",
                        "command": "echo warming; exit 3",
                        "source": {"line": line_of("**Optional cache warmup**")},
                    },
                    {
                        "id": "flaky_check",
                        "kind": "local",
                        "title": "Flaky check passes",
                        "estimate": "1m",
                        "command": f"test -f {marker} || {{ touch {marker}; exit 1; }}",
                        "source": {"line": line_of("**Flaky check**")},
                    },
                    {
                        "id": "token_check",
                        "kind": "local",
                        "title": "The API token works",
                        "command": "echo using token={{ secrets.api_token }}",
                    },
                    {
                        "id": "go_no_go",
                        "kind": "gate",
                        "title": "Go / no-go",
                        "require": [{"signoff": "DBA"}, {"value": "rollback_tested"}],
                    },
                ],
            },
            {
                "id": "final",
                "title": "Final",
                "steps": [
                    {
                        "id": "qa_signoff",
                        "kind": "signoff",
                        "title": "QA Lead signs",
                        "role": "QA Lead",
                        "source": {"line": line_of("**QA Lead**")},
                    },
                    {
                        "id": "deployment_status",
                        "kind": "input",
                        "title": "Deployment status",
                        "source": {"line": line_of("**Deployment Status:**")},
                        "fields": [
                            {
                                "id": "deployment_status",
                                "label": "Deployment status",
                                "type": "choice",
                                "options": ["APPROVED FOR PRODUCTION", "BLOCKED"],
                                "source": {"line": line_of("**Deployment Status:**")},
                            }
                        ],
                    },
                ],
            },
        ],
        "rollback": {
            "steps": [
                {"id": "restore", "kind": "local", "title": "Restore the backup", "command": "true"}
            ]
        },
    }


ANSWERS = {
    "operator": "ana",
    "inputs": {
        "window_date": "2026-11-22",
        "backup_size": "4.2 GB",
        "backup_duration": "12m",
        "rollback_tested": "YES",
        "p95_ms": "612",
        "operator_note": f"token was {SECRET}",
        "deployment_status": "APPROVED FOR PRODUCTION",
    },
    "signoffs": {"DBA": "Maria Lopez", "QA Lead": "Joe Park"},
    "decisions": {"flaky_check": ["retry"], "cache_warmup": [{"skip": "cache is cold anyway"}]},
}


def load_checklist_playbook(workdir: Path) -> LoadedPlaybook:
    # JSON is YAML: the playbook goes through the real loader and its checks.
    return parse_playbook(json.dumps(checklist_playbook(workdir), indent=1), "night-window.yaml")


def run_checklist(
    journal: Journal, workdir: Path, answers: dict[str, Any] | None = None
) -> tuple[str, RunOutcome]:
    loaded = load_checklist_playbook(workdir)
    parsed = Answers.model_validate(answers or ANSWERS)
    run_id = start_run(journal, loaded, operator_name=parsed.operator or "ana", mode="headless")
    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=HeadlessOperator(parsed, operator_name=parsed.operator or ""),
        secrets={"api_token": SECRET},
    )
    return run_id, engine.run()
