"""Playbook files: safe YAML loading with positions, validation, cross-checks and templating."""

from deploytui.playbook.loader import LoadedPlaybook, PlaybookError, Problem, load_playbook

__all__ = ["LoadedPlaybook", "PlaybookError", "Problem", "load_playbook"]
