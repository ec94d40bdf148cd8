"""Search terms for task arguments: what support staff type matches what was sent.

A customer says "file 1234" about the argument ``F-01234``. Both the stored
terms and a query are split the same way: runs of letters and runs of digits
apart (``F-01234`` and ``f01234`` are both ``f 1234``), lower case, and a number
without its leading zeros. The ledger indexes these terms (SQLite FTS5, or a
PostgreSQL tsvector) and matches a query's terms as a phrase, the last term as a
prefix.

On PostgreSQL the words of failure messages are split here too, as SQLite's
FTS5 splits them (``unicode61``: runs of letters and digits, lower case, no
diacritics), and both are stored as tsvector literals with their positions, so
no text-search configuration of the server changes what matches.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_PART = re.compile(r"[^\W\d_]+|\d+")
TEXT_CAP = 4000  # characters of argument values indexed per task
_TOKEN = re.compile(r"[^\W_]+")
MAX_POSITION = 16383  # a tsvector's last position: words past it are not indexed
MAX_WORD = 255  # characters of a word kept (a tsvector's lexeme holds at most 2,047 bytes)


def words(text: str) -> list[str]:
    """``text`` as search terms: letter runs and digit runs, lower case, no leading zeros."""
    out = []
    for part in _PART.findall(text):
        if part.isdigit():
            part = part.lstrip("0") or "0"
        out.append(part.lower())
    return out


def _values(value: Any) -> list[str]:
    """The strings and numbers inside decoded JSON (keys left out), up to TEXT_CAP characters."""
    out: list[str] = []
    size = 0
    stack = [value]
    while stack and size < TEXT_CAP:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            size += len(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            out.append(str(item))
            size += len(out[-1])
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return out


def argument_terms(args: str | None, kwargs: str | None, options: str | None) -> str:
    """The search terms of a task's arguments, from its stored columns: the whole args and
    kwargs (JSON) when recorded, otherwise the reprs Celery events carry (in options)."""
    if args is not None:
        values = _values([json.loads(args), json.loads(kwargs or "{}")])
    else:
        opts = json.loads(options or "{}")
        values = [str(opts.get(k) or "") for k in ("argsrepr", "kwargsrepr")]
    return " ".join(words(" ".join(values)[:TEXT_CAP]))


def _fold(word: str) -> str:
    """``word`` in lower case without diacritics, at most ``MAX_WORD`` characters."""
    if not word.isascii():
        word = "".join(
            c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
        )
    return word.lower()[:MAX_WORD]


def message_words(text: str) -> list[str]:
    """A failure message's words as SQLite's FTS5 (``unicode61``) splits them: runs of
    letters and digits, lower case, without diacritics."""
    return [w for w in map(_fold, _TOKEN.findall(text)) if w]


def tsvector(terms: list[str]) -> str:
    """A PostgreSQL tsvector literal of ``terms`` at positions 1, 2, ... (for phrases)."""
    return " ".join(
        f"'{_fold(t)}':{n}" for n, t in enumerate(terms[:MAX_POSITION], start=1) if _fold(t)
    )


def tsquery_phrase(terms: list[str]) -> str | None:
    """A PostgreSQL tsquery literal: ``terms`` next to each other in order, the last one as a
    prefix (as an FTS5 phrase ``"a b c"*``); None without terms."""
    folded = [w for w in map(_fold, terms) if w]
    if not folded:
        return None
    return " <-> ".join(f"'{w}'" for w in folded) + ":*"
