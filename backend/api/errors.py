"""Every error answers JSON ``{error, detail}`` with a status that fits."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from backend.services.actions import ActionError
from backend.services.ledger import CursorError

log = logging.getLogger("taskdeck.api")

_NAMES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_request",
    429: "too_many_requests",
}


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


def error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "request"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if "input" in err and err.get("type") not in ("missing",):
            msg = f"{msg} (got {err['input']!r})"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ActionError)
    async def _action(_req: Request, exc: ActionError) -> JSONResponse:
        return error(exc.status, exc.code, exc.detail)

    @app.exception_handler(TooManyRequests)
    async def _too_many(_req: Request, exc: TooManyRequests) -> JSONResponse:
        body = {"error": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=429, headers=exc.headers)

    @app.exception_handler(CursorError)
    async def _cursor(_req: Request, exc: CursorError) -> JSONResponse:
        return error(400, "bad_cursor", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, "invalid_request", _describe(exc))

    @app.exception_handler(HTTPException)
    async def _http(_req: Request, exc: HTTPException) -> JSONResponse:
        code = _NAMES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = error(exc.status_code, code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", req.method, req.url.path)
        return error(500, "internal_error", "the backend failed unexpectedly; see its log")
