"""Hide secret values in any text before it is journaled, shown or exported.

A command may echo a secret back (``echo $TOKEN``, a URL with a password, a base64 header):
every known secret value, and its base64 and URL-encoded forms, becomes ``••••``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "••••"
MIN_SECRET_LENGTH = 3


class Masker:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for value in secrets:
            if len(value) < MIN_SECRET_LENGTH:
                continue
            encoded = value.encode()
            forms.update(
                {
                    value,
                    quote(value, safe=""),
                    quote_plus(value),
                    base64.b64encode(encoded).decode(),
                    base64.urlsafe_b64encode(encoded).decode(),
                    base64.b64encode(encoded).decode().rstrip("="),
                }
            )
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(form) for form in ordered)) if ordered else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def data(self, value: object) -> object:
        """Mask every string inside nested data."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        return value
