"""Failure signatures: which failures are 'the same problem'.

Two failures belong to one group when they have the same task name, exception
type, normalised message and top traceback frame. Normalising replaces what
varies between occurrences of one problem (ids, numbers, hex, paths, quoted
values) with placeholders, so "row 17 of 'f-1a2b.csv'" and "row 902 of
'f-9c8d.csv'" are one group.
"""

from __future__ import annotations

import hashlib
import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I), "<url>"),
    (re.compile(r"(?:(?<=\s)|^)(?:/[\w.@%+-]+)+/?"), "<path>"),
    (re.compile(r"\b[A-Za-z]:\\\S+"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\b[\w-]*\d[\w-]*\b"), "<n>"),
)
_SPACES = re.compile(r"\s+")
_FRAME = re.compile(r'File "([^"]+)", line \d+, in (\S+)')


def normalise_message(message: str) -> str:
    text = message.strip()
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return _SPACES.sub(" ", text)[:500]


def top_frame(traceback_text: str | None) -> str:
    """``module-file:function`` of the innermost frame (where it was raised), or ''."""
    if not traceback_text:
        return ""
    frames = _FRAME.findall(traceback_text)
    if not frames:
        return ""
    path, function = frames[-1]
    return f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{function}"


def failure_signature(name: str, exc_type: str, message: str, traceback_text: str | None) -> str:
    key = "\x1f".join((name, exc_type, normalise_message(message), top_frame(traceback_text)))
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
