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

_QUOTED = (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>")
_UUID = (
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    "<uuid>",
)
_LATER_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:(?<=\s)|^)(?:/[\w.@%+-]+)+/?"), "<path>"),
    (re.compile(r"\b[A-Za-z]:\\\S+"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
)
# Two rules are scanned run by run: as one regular expression each, a long run of scheme
# characters ("a.a.a...") or of word characters and dashes ("a-a-a...") was scanned again
# from each word in it, and a 100 kB message took minutes.
# \b[a-z][a-z0-9+.-]*://\S+ (any case): a run of scheme characters right before "://".
_SCHEME_RUN = re.compile(r"(?<![a-z0-9+.-])[a-z0-9+.-]++(?=://\S)", re.I)
_LETTER = re.compile(r"[a-z]", re.I)
_WORD = re.compile(r"\w")
_NON_SPACE = re.compile(r"\S+")
# \b[\w-]*\d[\w-]*\b: a run of word characters and dashes, without the dashes at its ends,
# that holds a digit.
_WORDS_AND_DASHES = re.compile(r"[\w-]+")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_FRAME = re.compile(r'File "([^"]+)", line \d+, in (\S+)')


def _urls(text: str) -> str:
    """Each URL as <url>: from the first letter of its scheme that starts a word."""
    out: list[str] = []
    copied = searched = 0
    while (run := _SCHEME_RUN.search(text, searched)) is not None:
        start = next(
            (i for i in range(run.start(), run.end())
             if _LETTER.match(text, i) and (i == 0 or not _WORD.match(text, i - 1))),
            None,
        )  # fmt: skip
        if start is None:
            searched = run.end()
            continue
        rest = _NON_SPACE.match(text, run.end() + 3)  # there is one: the run's lookahead
        out += (text[copied:start], "<url>")
        copied = searched = rest.end() if rest else len(text)
    return "".join(out) + text[copied:]


def _numbered(run: re.Match[str]) -> str:
    whole = run.group()
    core = whole.strip("-")
    if not _DIGIT.search(core):
        return whole
    lead = len(whole) - len(whole.lstrip("-"))
    return whole[:lead] + "<n>" + whole[lead + len(core) :]


def normalise_message(message: str) -> str:
    text = message.strip()
    for pattern, placeholder in (_QUOTED, _UUID):
        text = pattern.sub(placeholder, text)
    text = _urls(text)
    for pattern, placeholder in _LATER_RULES:
        text = pattern.sub(placeholder, text)
    text = _WORDS_AND_DASHES.sub(_numbered, text)
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
