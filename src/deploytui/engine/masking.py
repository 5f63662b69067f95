"""Hide secret values in any text before it is journaled, shown or exported.

A command may echo a secret back (``echo $TOKEN``, a URL with a password, ``curl -v -u
user:TOKEN`` printing a Basic header): every known secret value, its URL-encoded forms, its
base64 forms, and any base64 token that decodes to text containing a secret becomes ``••••``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "••••"
MIN_SECRET_LENGTH = 3
# Base64 (standard or URL-safe) tokens long enough to hide a secret inside, e.g. user:secret.
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _encodings(value: str) -> set[str]:
    encoded = value.encode()
    standard = base64.b64encode(encoded).decode()
    return {
        value,
        quote(value, safe=""),
        quote(value),  # keeps "/" as HTTP clients do in paths
        quote_plus(value),
        standard,
        standard.rstrip("="),
        base64.urlsafe_b64encode(encoded).decode(),
        base64.urlsafe_b64encode(encoded).decode().rstrip("="),
    }


class Masker:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted(
            {value for value in secrets if len(value) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        forms: set[str] = set()
        for value in self._secrets:
            forms.update(_encodings(value))
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(form) for form in ordered)) if ordered else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        masked = self._pattern.sub(MASK, text)
        return _BASE64_TOKEN.sub(self._mask_embedded, masked)

    def _mask_embedded(self, match: re.Match[str]) -> str:
        """A base64 token whose decoded text contains a secret (``user:secret``) is masked."""
        token = match.group(0)
        padded = token + "=" * (-len(token) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(padded).decode("utf-8", errors="ignore")
            except (binascii.Error, ValueError):
                continue
            if any(secret in decoded for secret in self._secrets):
                return MASK
        return token

    def data(self, value: object) -> object:
        """Mask every string inside nested data."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        return value
