"""Values from other people's producers, made safe to store and to answer with.

A Celery system's producers are not TaskDeck's: their messages may carry text
with a lone surrogate (which no UTF-8 encoder accepts), NaN or Infinity (which
strict JSON refuses) or arguments nested hundreds of levels deep (which
serialisers refuse). What TaskDeck stores and shows of them goes through
``clean_json`` first: a lone surrogate becomes U+FFFD, a non-finite number its
name as text, and anything nested deeper than ``MAX_DEPTH`` the text ``"…"``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

try:  # the backend's C codec (a dependency of the service); the standard library's otherwise
    import orjson
except ImportError:  # pragma: no cover - the worker plug-in and the console go without it
    orjson = None  # type: ignore[assignment]

MAX_DEPTH = 32
CUT = "…"
_SURROGATE = re.compile("[\ud800-\udfff]")
# JSON text that may need cleaning: an escaped surrogate, a non-finite number (written as
# such, or too large for a float: 1e999, or 309 digits and more), deep nesting.
_SUSPECT = re.compile(r"\\u[dD][89a-fA-F]|NaN|Infinity|[eE][+-]?\d{3}|\d{309}")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class _Unclean(Exception):
    """A number JSON text decodes to that is not finite (NaN, Infinity, 1e999)."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Unclean
    return value


def _refuse(_name: str) -> float:
    raise _Unclean


_STRICT = json.JSONDecoder(parse_float=_finite, parse_constant=_refuse)  # made once: not cheap


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def clean_json(value: Any, depth: int = 0) -> Any:
    """A copy of a decoded JSON value that any encoder accepts (see the module's note)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            return CUT
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return CUT
        return {clean_text(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    return value


def loads_clean(json_text: str) -> Any:
    """``json.loads(json_text)``, put through ``clean_json`` only when it may need it: text
    not only ASCII, with an escaped surrogate or nested deeply enough to be cut, or a number
    that decodes to no finite float (found by the decoder itself, not by scanning the text:
    the hot path of the ledger's ingest)."""
    if (
        not json_text.isascii()
        or ("\\u" in json_text and _ESCAPED_SURROGATE.search(json_text))
        or json_text.count("[") + json_text.count("{") > MAX_DEPTH
    ):
        return clean_json(json.loads(json_text))
    if orjson is not None:
        try:  # refuses NaN, Infinity and out-of-range numbers: those go the long way below
            return orjson.loads(json_text)
        except orjson.JSONDecodeError:
            pass
    try:
        return _STRICT.decode(json_text)
    except _Unclean:
        return clean_json(json.loads(json_text))


def may_need_cleaning(json_text: str) -> bool:
    """False when JSON text surely decodes to a clean value: no escaped surrogate, no NaN or
    Infinity nor a number too large for a float, not deep enough to be cut, only ASCII. A
    cheap test for hot paths."""
    if not json_text.isascii() or _SUSPECT.search(json_text):
        return True
    return json_text.count("[") + json_text.count("{") > MAX_DEPTH
