"""Request bodies: read only after the caller passed, bounded in size, parsed, validated.

FastAPI reads and parses a body parameter before any dependency runs, so an
anonymous caller's malformed body would be answered 400 instead of 401, and a
body of any size would be held in memory whole. A route therefore takes its body
through ``json_body(Model, caller)``: a dependency that waits for ``caller``
(the dependency that authenticates, counts against the rate limit and checks the
role), then reads at most ``max_bytes`` (413 beyond, before reading on), parses
the JSON (400 if it is not JSON), refuses what could not be stored and shown
again (text that is no Unicode, nesting deeper than MAX_DEPTH: 422) and
validates the model (422). backend/api/openapi.py writes the request body and
its 413 into the OpenAPI description, as FastAPI would for a body parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from backend.api.deps import Services, ServicesDep
from backend.api.errors import BodyTooLarge
from backend.services.auth import Principal

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 1 << 20  # every body of this API is far smaller; bulk takes more
MAX_DEPTH = 32  # levels of nesting in a body (a task's arguments included)
_NOT_UNICODE = "a lone surrogate: it is no character and cannot be stored; send valid Unicode text"
_JSON_TYPES = ("application/json",)


def _invalid(loc: tuple[str | int, ...], kind: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", *loc), "msg": msg}])


def not_json(reason: str) -> RequestValidationError:
    """Answered 400 bad_body (the error handler recognises json_invalid)."""
    return _invalid((), "json_invalid", reason)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


async def read_bounded(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, None)
        chunks.append(chunk)
    return b"".join(chunks)


def _first_unusable(value: Any) -> tuple[tuple[str | int, ...], str, str] | None:
    """Where parsed JSON holds what could not be stored or sent back, and why: a string (or
    an object key) with a lone surrogate, or nesting deeper than MAX_DEPTH.

    JSON may write a lone surrogate (``"\\ud800"``); it is no character, so it cannot be
    encoded. Iterative: parsed JSON can be nested as deep as the parser allows.
    """
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, str):
            if (found := _surrogate(item)) is not None:
                return loc, "string_unicode", f"holds {found}, {_NOT_UNICODE}"
        elif isinstance(item, list | dict) and len(loc) >= MAX_DEPTH:
            return loc[:1], "too_deep", f"nested deeper than {MAX_DEPTH} levels"
        elif isinstance(item, list):
            stack.extend(((*loc, n), v) for n, v in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            for key in item:
                if (found := _surrogate(key)) is not None:
                    return loc, "string_unicode", f"a key holds {found}, {_NOT_UNICODE}"
            stack.extend(((*loc, k), v) for k, v in reversed(list(item.items())))
    return None


def _surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, written as JSON writes it (``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"\\u{ord(text[exc.start]):04x}"
    return None


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's parser takes them; nothing could send them back)."""
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large for a number")
    return number


def parse_json(raw: bytes, content_type: str | None) -> Any:
    """The JSON value of a body, or the error that says what is wrong with it."""
    if not _is_json(content_type):
        got = f"Content-Type {content_type[:60]!r}" if content_type else "no Content-Type"
        raise _invalid(
            (), "content_type", f"send the body as JSON with Content-Type: application/json "
            f"(got {got})",
        )  # fmt: skip
    if not raw.strip():
        raise _invalid((), "missing", "the body is empty; send a JSON object")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise not_json(str(exc)[:100]) from None
    found = _first_unusable(value)
    if found is not None:
        raise _invalid(*found)
    return value


def _located(exc: ValidationError) -> list[Any]:
    """The model's errors, placed in the body; a body that is no object said so plainly."""
    errors: list[Any] = []
    for err in exc.errors(include_url=False):
        if not err["loc"] and err["type"] in ("model_type", "model_attributes_type", "dict_type"):
            err = {**err, "msg": "the body must be a JSON object"}
        errors.append({**err, "loc": ("body", *err["loc"])})
    return errors


def json_body(
    model: type[M],
    caller: Any,
    max_bytes: int = MAX_BODY_BYTES,
    refused: Callable[[Request, Services, Principal], None] | None = None,
) -> Any:
    """A dependency: the body as ``model``, read only once ``caller`` (a Depends that
    authenticates and authorises) has passed. ``refused`` runs before a body error is
    raised (a route that counts its rate limit by the body counts the caller's instead)."""

    async def body(
        request: Request,
        services: ServicesDep,
        who: Principal = caller,  # a default: an annotation could not see ``caller``
    ) -> M:
        try:
            raw = await read_bounded(request, max_bytes)
            value = parse_json(raw, request.headers.get("content-type"))
            try:
                return model.model_validate(value)
            except ValidationError as exc:
                raise RequestValidationError(_located(exc)) from None
        except (BodyTooLarge, RequestValidationError):
            if refused is not None:
                refused(request, services, who)
            raise

    body.body_model = model  # type: ignore[attr-defined]
    body.max_bytes = max_bytes  # type: ignore[attr-defined]
    return Depends(body)
