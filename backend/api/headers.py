"""The X-RateLimit-* headers of a request: remembered when a limit is checked, sent with
whatever answer goes out (success or error), unless the answer names its own (a 429)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.services.ratelimit import Decision

_SCOPE_KEY = "taskdeck.rate_limit_headers"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def remember(request: Request, decision: Decision) -> None:
    """The answer to ``request`` reports ``decision`` (the last limit checked wins)."""
    headers = decision.headers()
    request.scope[_SCOPE_KEY] = {name: headers[name] for name in RATE_HEADERS}


class RateLimitHeaders:
    """ASGI middleware: adds the remembered headers to the answer's start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            remembered = scope.get(_SCOPE_KEY)
            if message["type"] == "http.response.start" and remembered:
                headers = MutableHeaders(scope=message)
                for name, value in remembered.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
