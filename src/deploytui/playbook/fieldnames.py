"""Which field names are allowed at a place in a playbook, for "did you mean" hints."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

from deploytui.model import playbook as pb
from deploytui.model import steps as st
from deploytui.model.fields import InputField

_STEP_MODELS: dict[str, type[BaseModel]] = {
    model.model_fields["kind"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in get_args(get_args(st.Step)[0])
}

# The model found under a key, keyed by (parent key, key) or key alone.
_CHILD_MODELS: dict[str, type[BaseModel]] = {
    "window": pb.Window,
    "targets": pb.Targets,
    "rollback": pb.Rollback,
    "phases": pb.Phase,
    "fields": InputField,
    "require": st.GateCondition,
    "capture": st.Capture,
    "json_checks": st.JsonCheck,
    "auth": st.HttpAuth,
    "poll": st.HttpPoll,
    "sample": st.HttpSample,
}
_TARGET_MODELS: dict[str, type[BaseModel]] = {
    "ssh": pb.SshHost,
    "http": pb.HttpTarget,
    "mongo": pb.MongoTarget,
}


def step_models() -> dict[str, type[BaseModel]]:
    """Every step kind's model, by kind name."""
    return dict(_STEP_MODELS)


def _names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def allowed_fields(path: tuple[Any, ...], node: Any) -> list[str]:
    if not path:
        return _names(pb.Playbook)
    keys = [part for part in path if isinstance(part, str)]
    if isinstance(node, dict) and "kind" in node and keys and keys[-1] == "steps":
        model = _STEP_MODELS.get(str(node["kind"]))
        return _names(model) if model else []
    if len(keys) >= 2 and keys[-2] == "targets" and keys[-1] in _TARGET_MODELS:
        return _names(_TARGET_MODELS[keys[-1]])
    if len(path) >= 3 and path[-3] == "targets" and path[-2] in _TARGET_MODELS:
        return _names(_TARGET_MODELS[str(path[-2])])
    if keys and keys[-1] in _CHILD_MODELS:
        return _names(_CHILD_MODELS[keys[-1]])
    return []
