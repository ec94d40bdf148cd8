"""Search terms for task arguments: what support staff type matches what was sent.

A customer says "file 1234" about the argument ``F-01234``. Both the stored
terms and a query are split the same way: runs of letters and runs of digits
apart (``F-01234`` and ``f01234`` are both ``f 1234``), lower case, and a number
without its leading zeros. The ledger indexes these terms (SQLite FTS5) and
matches a query's terms as a phrase, the last term as a prefix.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PART = re.compile(r"[^\W\d_]+|\d+")
TEXT_CAP = 4000  # characters of argument values indexed per task


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
