"""Monitor thresholds: ``> 10 % for 5m`` parsed once, at load time, in the signal's unit.

A warn or fail threshold is an operator, a number (with a unit that converts, ``2 s`` for a
signal in ms) and an optional sustain (``for 5m``). Kept apart from the monitor step's model so
the comparison rules have one home: the step validates with them, the watch evaluates with them,
and a figure's target (``<= 1 %``) is the warn threshold turned round.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from deploytui.model.step_base import duration_seconds_bare
from deploytui.model.values import InvalidValue, parse_number_with_unit

__all__ = ["Threshold", "parse_threshold", "target_for"]

_FOR = re.compile(r"\s+for\s+", re.IGNORECASE)
_THRESHOLD = re.compile(
    r"^\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>.+?)(?:\s+for\s+(?P<sustain>\S.*?))?\s*$",
    re.IGNORECASE,
)
_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Threshold:
    """``> 10 % for 5m`` parsed: operator, number in the signal's unit, sustain seconds."""

    text: str
    op: str
    value: float
    sustain: float  # 0: the first reading beyond it counts

    def reached_by(self, number: float) -> bool:
        return bool(_COMPARE[self.op](number, self.value))

    @property
    def instant_text(self) -> str:
        """The comparison without its ``for`` part (``> 10 %``): a figure's target."""
        # The same case-insensitive "for" the parser accepted ("> 10 % FOR 5m").
        return _FOR.split(self.text, maxsplit=1)[0].strip() if self.sustain else self.text.strip()


def parse_threshold(text: str, unit: str | None) -> Threshold:
    """Parse a threshold for a signal in ``unit``; raise ``ValueError`` with a clear sentence."""
    match = _THRESHOLD.match(str(text))
    if not match:
        raise ValueError(
            f"threshold '{text}' must be a comparison such as '> 10 %' or '> 10 % for 5m' "
            "(one of <, <=, >, >=, ==, != then a number)"
        )
    raw_value = match.group("value")
    try:
        number = parse_number_with_unit(raw_value, unit)
    except InvalidValue as error:
        if unit is None:
            raise ValueError(
                f"threshold '{text}': the signal has no unit, so write a plain number, or set "
                f"the signal's unit ({error})"
            ) from None
        raise ValueError(f"threshold '{text}': {error}") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"threshold '{text}' needs a finite number")
    sustain = 0.0
    if match.group("sustain"):
        try:
            sustain = duration_seconds_bare(match.group("sustain")) or 0.0
        except ValueError as error:
            raise ValueError(
                f"threshold '{text}': 'for' takes a duration like 5m ({error})"
            ) from None
        if sustain <= 0:
            raise ValueError(f"threshold '{text}': 'for' needs a duration of more than zero")
    return Threshold(text=str(text).strip(), op=match.group("op"), value=number, sustain=sustain)


_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}


def target_for(warn: Threshold) -> str:
    """A figure's target is the warn threshold turned round: ``> 1 %`` warns, so ``<= 1 %``."""
    operand = warn.instant_text[len(warn.op) :].strip()
    return f"{_NEGATED[warn.op]} {operand}"
