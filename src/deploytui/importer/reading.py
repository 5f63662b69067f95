"""Turn a checklist file's bytes into clean text, or a clear reason it is not a checklist.

Real checklists arrive with a UTF-8 BOM, Windows (CRLF) or old Mac (CR) line endings, and
sometimes *mojibake*: UTF-8 that was once decoded with a single-byte code page and saved again
("✅" shown as "âœ…" from cp1252, or "‚úÖ" from Mac Roman, as in grover-launch.md). We repair a
run of characters only when re-encoding it with one of those code pages gives valid multi-byte
UTF-8, which ordinary accented text practically never does, so real text is left alone.

Line numbers are kept: no repair ever adds or removes a newline, so line N of the returned text
is line N of the file as an editor shows it.
"""

from __future__ import annotations

import re

MAX_BYTES = 2_000_000
# Code pages UTF-8 is commonly mis-decoded with, tried in this order (the one repairing the most
# sequences wins).
MOJIBAKE_CODECS = ("cp1252", "mac_roman", "latin-1")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


class ChecklistError(Exception):
    """The input cannot be imported; the message says why in a sentence."""


def decode_checklist(data: bytes) -> str:
    """Bytes of a Markdown file → text with ``\\n`` line endings and mojibake repaired."""
    if len(data) > MAX_BYTES:
        raise ChecklistError(
            f"the file is larger than {MAX_BYTES // 1_000_000} MB; is it really a checklist?"
        )
    if b"\x00" in data:
        raise ChecklistError("the file contains NUL bytes; it looks binary, not Markdown text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: most likely saved by an old editor in the Windows code page.
        text = data.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _mostly_control(text):
        raise ChecklistError("the file is mostly control characters; it looks binary, not text")
    return repair_mojibake(text)


def _mostly_control(text: str) -> bool:
    """Control characters (other than tab, form feed, vertical tab) or U+FFFD all over."""
    control = len(_CONTROL.findall(text))
    return control > max(8, len(text) // 50)


def _repair_run(run: str, codec: str) -> tuple[str, int]:
    """Repair the UTF-8 sequences hidden in ``run`` as decoded by ``codec``; count them."""
    out: list[str] = []
    repaired = 0
    index = 0
    while index < len(run):
        char = run[index]
        try:
            lead = char.encode(codec)[0]
        except (UnicodeEncodeError, IndexError):
            lead = 0
        length = (
            2
            if 0xC2 <= lead <= 0xDF
            else 3
            if 0xE0 <= lead <= 0xEF
            else 4
            if 0xF0 <= lead <= 0xF4
            else 0
        )
        if length and index + length <= len(run):
            try:
                raw = run[index : index + length].encode(codec)
                decoded = raw.decode("utf-8") if len(raw) == length else ""
            except (UnicodeEncodeError, UnicodeDecodeError):
                decoded = ""
            if decoded:
                out.append(decoded)
                repaired += 1
                index += length
                continue
        out.append(char)
        index += 1
    return "".join(out), repaired


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252/Mac-Roman/latin-1 where the evidence is unambiguous."""
    runs = list(_NON_ASCII_RUN.finditer(text))
    if not runs:
        return text
    best_codec, best_count = None, 0
    for codec in MOJIBAKE_CODECS:
        count = sum(_repair_run(match.group(0), codec)[1] for match in runs)
        if count > best_count:
            best_codec, best_count = codec, count
    if best_codec is None:
        return text
    codec = best_codec
    return _NON_ASCII_RUN.sub(lambda match: _repair_run(match.group(0), codec)[0], text)
