"""Every error answers JSON ``{error, detail}`` with a status that fits, and is documented.

The handlers cover the whole app, including what FastAPI and Starlette answer
by themselves: unknown paths (404), methods a path does not take (405), bodies
that are not JSON (400), too large (413) and failed validation (422). A
dependency that fails (the broker, the ledger's database) answers 503 with what
is unavailable and a Retry-After, not 500. An error echoes at most a short
prefix of what was sent. ``answers`` writes the OpenAPI description of each
status a route can give.
"""

from __future__ import annotations

import logging
import re
import reprlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from backend.services.actions import ActionError
from backend.services.health import broker_unavailable, cause, ledger_unavailable
from backend.services.ledger import CursorError
from backend.services.ratelimit import Decision
from taskdeck_core.api_types import ErrorBody, TooManyRequestsBody

log = logging.getLogger("taskdeck.api")

_NAMES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}
# Seconds a caller is asked to wait when a dependency is unavailable: the broker usually
# comes back within seconds (a restart); a full or read-only disk needs someone to act.
BROKER_RETRY_S = 5
LEDGER_RETRY_S = 15


class TooManyRequests(Exception):
    """Answered as 429 with the rate-limit headers and a body saying why."""

    def __init__(
        self, code: str, detail: str, headers: dict[str, str], extra: dict[str, Any]
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra

    @classmethod
    def rate_limited(cls, decision: Decision, detail: str) -> TooManyRequests:
        """A rate limit refused ``decision``'s request."""
        return cls(
            "rate_limited",
            detail,
            decision.headers(),
            {"key": decision.key, "tier": decision.tier, "endpoint": decision.endpoint,
             "limit": decision.limit, "retry_after_s": round(decision.reset_s, 3)},
        )  # fmt: skip


class BodyTooLarge(Exception):
    """Answered 413: the body is (or would become) larger than the route takes."""

    def __init__(self, limit: int, declared: int | None) -> None:
        size = f"{declared} bytes" if declared is not None else f"more than {limit} bytes"
        self.detail = (
            f"the body is {size}; this route takes at most {limit} bytes: send less "
            "(a bulk action names at most 100,000 task ids; a filter selects any number)"
        )
        super().__init__(self.detail)


def error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def unavailable(
    request: Request, code: str, what: str, exc: BaseException, retry_s: int
) -> JSONResponse:
    """503: ``what`` failed; when to try again, and (for a change) what to check first."""
    detail = (
        f"{what} is unavailable ({cause(exc)}); this call needs it. Try again in {retry_s} s; "
        "GET /health says when it is back"
    )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        detail += (
            "; a change this call was making may be done in part, so look at the task or "
            "the audit log before repeating it"
        )
    log.warning("%s %s: %s is unavailable: %s", request.method, request.url.path, what, cause(exc))
    response = error(503, code, detail)
    response.headers["Retry-After"] = str(retry_s)
    return response


def _internal(req: Request) -> JSONResponse:
    log.exception("unexpected error in %s %s", req.method, req.url.path)
    return error(500, "internal_error", "the backend failed unexpectedly; see its log")


BROKER = "the broker (Redis)"
LEDGER = "the task ledger's database"


ECHO_CHARS = 40  # of a value sent, an error shows at most this much
MAX_PROBLEMS = 5  # problems named in one answer; the rest are counted
_SHORT = reprlib.Repr()  # keyword arguments only from Python 3.12
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict, _SHORT.maxset = 2, 3, 3, 3, 3
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = ECHO_CHARS


def shown(value: Any) -> str:
    """``value`` as an error shows it: the start of a text, the first items of a list."""
    if isinstance(value, str | bytes) and len(value) > ECHO_CHARS:
        unit = "characters" if isinstance(value, str) else "bytes"
        return f"{value[:ECHO_CHARS]!r}... ({len(value)} {unit})"
    if isinstance(value, list | dict) and len(value) > _SHORT.maxlist:
        return f"{_SHORT.repr(value)} ({len(value)} items)"
    return _SHORT.repr(value)


def _describe(exc: RequestValidationError) -> str:
    errors = exc.errors()
    parts = []
    for err in errors[:MAX_PROBLEMS]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "request"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if "input" in err and err.get("type") not in ("missing",):
            msg = f"{msg} (got {shown(err['input'])})"
        parts.append(f"{where}: {msg}")
    if len(errors) > MAX_PROBLEMS:
        parts.append(f"and {len(errors) - MAX_PROBLEMS} more problems")
    return "; ".join(parts)


def _methods_of(request: Request) -> list[str]:
    """Every method the app's description lists for the request's path (HEAD with GET)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


_NOT_JSON = "the request body is not JSON; send a JSON object with Content-Type: application/json"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ActionError)
    async def _action(_req: Request, exc: ActionError) -> JSONResponse:
        return error(exc.status, exc.code, exc.detail)

    @app.exception_handler(TooManyRequests)
    async def _too_many(_req: Request, exc: TooManyRequests) -> JSONResponse:
        body = {"error": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=429, headers=exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_req: Request, exc: BodyTooLarge) -> JSONResponse:
        return error(413, "body_too_large", exc.detail)

    @app.exception_handler(CursorError)
    async def _cursor(_req: Request, exc: CursorError) -> JSONResponse:
        return error(400, "bad_cursor", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        why = [e.get("msg", "") for e in exc.errors() if e.get("type") == "json_invalid"]
        if why:
            said = f" ({why[0][:100]})" if why[0] and why[0] != "JSON decode error" else ""
            return error(400, "bad_body", _NOT_JSON + said)
        return error(422, "invalid_request", _describe(exc))

    @app.exception_handler(HTTPException)
    async def _http(req: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return error(400, "bad_body", _NOT_JSON)
        code = _NAMES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such path in this API; see /docs for the paths it has"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path; a path can have more.
            headers["Allow"] = ", ".join(_methods_of(req))
            if detail == "Method Not Allowed":
                detail = f"this path does not take that method; it takes {headers['Allow']}"
        response = error(exc.status_code, code, detail)
        response.headers.update(headers)
        return response

    @app.exception_handler(RedisError)
    @app.exception_handler(KombuOperationalError)
    async def _broker(req: Request, exc: Exception) -> JSONResponse:
        if not broker_unavailable(exc):
            return _internal(req)
        return unavailable(req, "broker_unavailable", BROKER, exc, BROKER_RETRY_S)

    @app.exception_handler(OperationalError)
    async def _ledger(req: Request, exc: OperationalError) -> JSONResponse:
        if not ledger_unavailable(exc):
            return _internal(req)
        return unavailable(req, "ledger_unavailable", LEDGER, exc, LEDGER_RETRY_S)

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        return _internal(req)


# -- OpenAPI: the answers a route can give ---------------------------------------------

_INT_HEADER = {"type": "string", "pattern": "^[0-9]+$"}
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "requests allowed per window", "schema": _INT_HEADER,
                          "required": True},
    "X-RateLimit-Remaining": {"description": "requests left in the window",
                              "schema": _INT_HEADER, "required": True},
    "X-RateLimit-Reset": {"description": "seconds until a slot frees up", "schema": _INT_HEADER,
                          "required": True},
}  # fmt: skip
_RESPONSES: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "The body is not JSON (bad_body), or the cursor is not one this API "
        "handed out (bad_cursor).",
    },
    401: {
        "model": ErrorBody,
        "description": "No bearer token, or one the backend does not know (unauthenticated); "
        "it counts against the address's limit of failed authentications, whose state the "
        "X-RateLimit-* headers give.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}, **_RATE_HEADERS},
    },
    403: {"model": ErrorBody, "description": "The caller's role may not do this (forbidden)."},
    404: {"model": ErrorBody, "description": "No such task, queue or job."},
    409: {
        "model": ErrorBody,
        "description": "The task's state does not allow it (not_queued, not_retryable), or the "
        "idempotency key was used for another request (idempotency_key_reused) or is still in "
        "use by a submission being sent (idempotency_key_in_use: try again in seconds).",
    },
    413: {
        "model": ErrorBody,
        "description": "The body is larger than the route takes (body_too_large); refused "
        "before it is read.",
    },
    422: {
        "model": ErrorBody,
        "description": "A parameter or the body is invalid (text that is not Unicode too); "
        "detail names the field and why.",
    },
    429: {
        "model": TooManyRequestsBody,
        "description": "A rate limit (rate_limited) or the user's quota (quota_exceeded) was "
        "reached; wait Retry-After seconds.",
        "headers": {
            **_RATE_HEADERS,
            "Retry-After": {"description": "seconds to wait", "schema": _INT_HEADER},
        },
    },
    503: {
        "model": ErrorBody,
        "description": "A dependency this call needs is unavailable: the broker "
        "(broker_unavailable) or the task ledger's database (ledger_unavailable, e.g. its "
        "disk is full or read-only); detail says which and why. Try again after Retry-After "
        "seconds; GET /health says when it is back.",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait",
                "schema": _INT_HEADER,
                "required": True,
            },
        },
    },
}
# Every call with a token can answer these: no or a bad token; too many failed attempts.
AUTHENTICATED = (401, 429)
# A call that needs the broker or the ledger's database answers 503 while it is unavailable.
UNAVAILABLE = 503


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route for the error ``statuses`` it can answer."""
    return {status: _RESPONSES[status] for status in sorted(set(statuses))}


def rate_limit_headers() -> dict[str, Any]:
    """The X-RateLimit-* headers a rate-limited route sends with every answer."""
    return dict(_RATE_HEADERS)
