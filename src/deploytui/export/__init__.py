"""Exports of a run: a filled-in report as JSON, Markdown or a self-contained HTML file.

Everything comes from the journal through ``build_document`` (which starts from the same
``RunReport`` as ``deploytui show``); the renderers only lay it out. This package sits below the
UI and never imports textual.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from deploytui.engine.masking import Masker
from deploytui.export.model import SCHEMA_VERSION, ExportDocument, build_document

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "ExportDocument",
    "build_document",
    "render",
    "write_atomic",
]

Format = Literal["md", "html", "json"]
Layout = Literal["auto", "report", "checklist"]
FORMATS: tuple[str, ...] = ("md", "html", "json")


def render(
    document: ExportDocument,
    fmt: Format,
    *,
    layout: Layout = "auto",
    secrets: dict[str, str] | None = None,
) -> str:
    """The document in one format. ``layout`` picks, for Markdown, the run report or the
    original checklist filled in (``auto``: the checklist when the run's playbook was imported).
    """
    if fmt == "json":
        text = json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        from deploytui.export.fillin import render_checklist
        from deploytui.export.html import render_html

        checklist = render_checklist(document) if document.source_document else None
        text = render_html(document, checklist) + "\n"
    elif fmt == "md":
        from deploytui.export.fillin import render_checklist
        from deploytui.export.markdown import render_report

        if layout == "checklist" and document.source_document is None:
            raise ValueError("this run's playbook was not imported from a checklist")
        use_checklist = layout == "checklist" or (
            layout == "auto" and document.source_document is not None
        )
        text = render_checklist(document) if use_checklist else render_report(document)
        text = text.rstrip("\n") + "\n"
    else:
        raise ValueError(f"unknown export format '{fmt}'; use one of {', '.join(FORMATS)}")
    # Last belt: the document was masked already, but a renderer must never reintroduce one.
    return Masker((secrets or {}).values())(text)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename, so a
    reader never sees half a report and a failed write leaves any earlier file untouched."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file 0600; give the report the mode any new file would get.
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it (Linux); 022 when it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
