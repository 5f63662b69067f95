"""Dry run: the plan shows every step with templates rendered, and executes nothing."""

from __future__ import annotations

from pathlib import Path

from deploytui.engine.plan import plan_text
from tests.core_helpers import load


def test_the_plan_renders_templates_with_placeholders_and_masks_secrets(tmp_path: Path) -> None:
    created = tmp_path / "created"
    loaded = load(
        f"""
        name: plan
        window: {{budget: 1h}}
        variables: {{release: "7.0.0"}}
        secrets: [token]
        targets:
          http:
            api:
              base_url: "https://api.example"
              headers: {{Authorization: "{{{{ secrets.token }}}}"}}
        phases:
          - id: p
            title: Prepare
            steps:
              - id: facts
                kind: input
                title: Facts
                estimate: 5m
                fields:
                  - {{id: dir, type: path}}
                  - {{id: p95, type: number, unit: ms, target: "< 500 ms"}}
              - id: mk
                kind: local
                title: Make {{{{ vars.release }}}}
                command: touch {created} {{{{ inputs.dir }}}} --token {{{{ secrets.token }}}}
              - {{id: health, kind: http, title: Health, target: api, url: /health}}
              - {{id: qa, kind: signoff, title: QA, role: QA}}
              - {{id: go, kind: gate, title: Go, require: [{{signoff: QA}}]}}
        rollback:
          steps:
            - {{id: undo, kind: confirm, title: Undo}}
        """
    )
    text = plan_text(loaded)
    assert text.splitlines()[0] == "dry run of plan v1 · window 1h 00m — nothing is executed"
    assert "[local] mk: Make 7.0.0" in text
    assert f"$ touch {created} '<inputs.dir>' --token ••••" in text
    assert "GET https://api.example/health   @ api" in text
    assert "ask p95: number [ms] target < 500 ms" in text
    assert "sign-off by QA" in text and "require QA" in text
    assert "↺ Rollback" in text
    assert not created.exists()
