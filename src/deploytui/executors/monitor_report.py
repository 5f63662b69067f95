"""A watch's figures and crossings as lines of text, for ``show``, the history and exports.

Built only from ``details["monitor"]`` as the journal holds it, so every view tells the same
story. Pure (no httpx): ``deploytui show`` and the exports import it.
"""

from __future__ import annotations

from typing import Any

from deploytui.model.values import format_number

FIGURES = ("min", "p50", "p95", "max", "last")
_ARROW_WORDS = {"ok": "ok", "warning": "warning", "triggered": "TRIGGERED", "unknown": "unknown"}


def watch_clock(seconds: float) -> str:
    """Time into a watch: ``+0:12``, ``+12:04``, ``+1:02:03``."""
    total = max(0, round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"+{hours}:{minutes:02d}:{secs:02d}" if hours else f"+{minutes}:{secs:02d}"


def nice(value: float) -> float | int:
    """A reading as people read it: 66.7 %, 19.4 ms, 0.42 %, 1234 (three figures or so)."""
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 0.1 else 4
    result = round(value, digits)
    return int(result) if float(result).is_integer() and abs(result) < 2**53 else result


def _shown(value: Any, unit: str | None) -> str:
    if value is None:
        return "—"
    return format_number(float(nice(float(value))), unit)


def figure_names(monitor: dict[str, Any]) -> set[str]:
    """The value names a watch's figures were recorded under (``error_rate_p95`` ...)."""
    return {f"{name}_{figure}" for name in monitor.get("signals") or {} for figure in FIGURES}


def signal_line(name: str, summary: dict[str, Any]) -> str:
    unit = summary.get("unit")
    label = summary.get("label") or name
    figures = " · ".join(f"{figure} {_shown(summary.get(figure), unit)}" for figure in FIGURES)
    count = int(summary.get("count") or 0)
    errors = int(summary.get("errors") or 0)
    extra = f", {errors} failed" if errors else ""
    head = name if label in (name, name.replace("_", " ")) else f"{name} ({label})"
    return (
        f"{head}: {figures} · {count} reading{'s' if count != 1 else ''}{extra} · "
        f"{summary.get('state', '?')}"
    )


def crossing_line(crossing: dict[str, Any], unit: str | None) -> str:
    before = _ARROW_WORDS.get(str(crossing.get("from")), str(crossing.get("from")))
    after = _ARROW_WORDS.get(str(crossing.get("to")), str(crossing.get("to")))
    at = crossing.get("at")
    when = f" ({str(at)[11:19]} UTC)" if isinstance(at, str) and len(at) >= 19 else ""
    value = crossing.get("value")
    what = f" at {_shown(value, unit)}" if value is not None else ""
    threshold = f" ({crossing['threshold']})" if crossing.get("threshold") else ""
    if threshold and crossing.get("to") == "ok":  # "ok at 0 % (> 1 %)" read as if 0 % > 1 %
        threshold = f" (no longer {crossing['threshold']})"
    error = f": {crossing['error']}" if crossing.get("error") else ""
    return (
        f"{watch_clock(crossing.get('t') or 0)}{when} {crossing.get('signal')} "
        f"{before} → {after}{what}{threshold}{error}"
    )


def monitor_lines(monitor: dict[str, Any]) -> list[str]:
    """One line per signal (min/p50/p95/max/last, readings, state), then every crossing."""
    signals: dict[str, dict[str, Any]] = monitor.get("signals") or {}
    lines = [signal_line(name, summary) for name, summary in signals.items()]
    crossings = sorted(
        (
            (crossing, summary.get("unit"))
            for summary in signals.values()
            for crossing in summary.get("crossings") or []
        ),
        key=lambda item: float(item[0].get("t") or 0),
    )
    lines += [f"crossed {crossing_line(crossing, unit)}" for crossing, unit in crossings]
    triggered = monitor.get("triggered")
    if triggered:
        unit = (signals.get(str(triggered.get("signal"))) or {}).get("unit")
        lines.append(
            f"rollback trigger: {triggered.get('signal')} {_shown(triggered.get('value'), unit)} "
            f"{triggered.get('threshold')} at {watch_clock(triggered.get('t') or 0)}"
        )
    elif monitor.get("next_checkpoint"):
        lines.append(f"next checkpoint {monitor['next_checkpoint']}")
    return lines
