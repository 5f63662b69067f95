"""The TUI's few settings: who the operator is and where their playbooks live.

Read from ``$XDG_CONFIG_HOME/deploytui/config.toml`` (all keys optional)::

    name = "Ana Silva"            # prefilled in sign-off dialogs
    playbooks = "~/ops/playbooks" # listed on the home screen besides ./playbooks

``DEPLOYTUI_PLAYBOOKS`` overrides ``playbooks``. A broken file is reported, never fatal.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError


class UiConfig(BaseModel):
    """Settings for the terminal UI."""

    name: str | None = Field(default=None, description="Prefilled signer name in sign-offs.")
    playbooks: str | None = Field(default=None, description="A folder of playbooks to list.")
    problem: str | None = Field(default=None, description="Why the config file was ignored.")


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "deploytui" / "config.toml"


def load_config() -> UiConfig:
    path = config_path()
    config = UiConfig()
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            config = UiConfig.model_validate(
                {key: data[key] for key in ("name", "playbooks") if key in data}
            )
        except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
            config = UiConfig(problem=f"{path}: {error}; using defaults")
    if os.environ.get("DEPLOYTUI_PLAYBOOKS"):
        config = config.model_copy(update={"playbooks": os.environ["DEPLOYTUI_PLAYBOOKS"]})
    return config


def playbook_folders(config: UiConfig, cwd: Path | None = None) -> list[Path]:
    """``./playbooks`` and the configured folder, existing ones only, without duplicates."""
    folders = [(cwd or Path.cwd()) / "playbooks"]
    if config.playbooks:
        folders.append(Path(config.playbooks).expanduser())
    seen: list[Path] = []
    for folder in folders:
        resolved = folder.resolve()
        if folder.is_dir() and resolved not in seen:
            seen.append(resolved)
    return seen


def find_playbooks(folders: list[Path]) -> list[Path]:
    """YAML files directly in each folder, sorted by name."""
    found: list[Path] = []
    for folder in folders:
        found.extend(sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]))
    return found
