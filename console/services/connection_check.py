"""'Test connection': one check of each service of a profile. No Qt here.

``check_profile`` never raises: each failure is a result with a short detail
("connection refused", "timed out after 3 s", "HTTP 503"). Passwords never
appear in a target or a detail.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Awaitable
from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis
import redis.exceptions

from console.domain.profiles import (
    QT_TRANSLATE_NOOP,
    Message,
    Profile,
    split_broker_password,
    with_broker_password,
)
from console.domain.service_status import ServiceKind
from console.services.secrets import BACKEND_TOKEN, BROKER_PASSWORD, SecretStore
from taskdeck_core.urls import redact_url

log = logging.getLogger(__name__)
CONTEXT = "ConnectionCheck"  # the translation context of this module's messages


def _m(template: str, **values: object) -> Message:
    return Message(CONTEXT, template, **values)


@dataclass(frozen=True)
class CheckResult:
    service: str  # a ServiceKind value: "broker", "backend", "prometheus", "alertmanager"
    target: str  # the URL checked, without any password
    ok: bool
    detail: str  # a Message: what the service said, or what went wrong
    latency_ms: float | None  # None when the check failed


class _Refused(Exception):
    """The service answered, but not as it should; the message is the detail."""

    def __init__(self, detail: Message) -> None:
        super().__init__(str(detail))
        self.detail = detail


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def describe_error(
    exc: BaseException, timeout_s: float, secrets: tuple[str | None, ...] = ()
) -> Message:
    """A short, readable reason for ``exc``, with any of ``secrets`` replaced by ``***``."""
    if isinstance(exc, _Refused):
        return exc.detail
    chain = _causes(exc)
    if any(
        isinstance(e, TimeoutError | httpx.TimeoutException | redis.exceptions.TimeoutError)
        for e in chain
    ):
        return _m(
            QT_TRANSLATE_NOOP("ConnectionCheck", "timed out after {seconds:g} s"), seconds=timeout_s
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return _m(QT_TRANSLATE_NOOP("ConnectionCheck", "connection refused"))
    if any(isinstance(e, socket.gaierror) for e in chain):
        return _m(QT_TRANSLATE_NOOP("ConnectionCheck", "host name not found"))
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return _m(
                QT_TRANSLATE_NOOP("ConnectionCheck", "TLS certificate not trusted: {reason}"),
                reason=e.verify_message or e.reason,
            )
        if isinstance(e, ssl.SSLError):
            return _m(
                QT_TRANSLATE_NOOP("ConnectionCheck", "TLS error: {reason}"), reason=e.reason or e
            )
    if isinstance(exc, redis.exceptions.InvalidResponse | httpx.RemoteProtocolError):
        return _m(
            QT_TRANSLATE_NOOP(
                "ConnectionCheck", "the server there does not speak this protocol ({error})"
            ),
            error=_scrub(str(exc), secrets),
        )
    text = _scrub(str(exc), secrets)
    return _m(
        QT_TRANSLATE_NOOP("ConnectionCheck", "{error}"),
        error=f"{type(exc).__name__}: {text}" if text else type(exc).__name__,
    )


async def _timed(
    kind: ServiceKind,
    target: str,
    check: Awaitable[Message],
    timeout_s: float,
    secrets: tuple[str | None, ...],
) -> CheckResult:
    target = redact_url(split_broker_password(target)[0])
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            detail = await check
    except Exception as exc:  # noqa: BLE001 - every failure is a result
        reason = describe_error(exc, timeout_s, secrets)
        log.info("connection check of %s at %s failed: %s", kind.value, target, reason)
        return CheckResult(kind.value, target, False, reason, None)
    latency = round((time.perf_counter() - started) * 1000, 1)
    return CheckResult(kind.value, target, True, detail, latency)


async def _broker(url: str, password: str | None, timeout_s: float) -> Message:
    client = aioredis.Redis.from_url(
        with_broker_password(url, password),
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
    )
    try:
        try:
            await client.ping()
            info = await client.info("server")
        except redis.exceptions.AuthenticationError as exc:
            if password:
                raise _Refused(
                    _m(QT_TRANSLATE_NOOP("ConnectionCheck", "password refused"))
                ) from exc
            raise _Refused(
                _m(QT_TRANSLATE_NOOP("ConnectionCheck", "a password is needed and none is stored"))
            ) from exc
    finally:
        await client.aclose()
    return _m(
        QT_TRANSLATE_NOOP("ConnectionCheck", "Redis {version}"),
        version=info.get("redis_version", "?"),
    )


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + path


async def _get(
    http: httpx.AsyncClient,
    url: str,
    headers: dict[str, str] | None = None,
    allow: tuple[int, ...] = (),
) -> httpx.Response:
    """GET ``url``; an error status not in ``allow`` is a failed check ("HTTP 503")."""
    response = await http.get(url, headers=headers)
    if response.status_code >= 400 and response.status_code not in allow:
        raise _Refused(
            _m(QT_TRANSLATE_NOOP("ConnectionCheck", "HTTP {status}"), status=response.status_code)
        )
    return response


async def _backend(http: httpx.AsyncClient, base: str, token: str | None) -> Message:
    health = await _get(http, _join(base, "/health"))
    try:
        status = str(health.json().get("status", "?"))
    except (ValueError, AttributeError) as exc:
        raise _Refused(
            _m(
                QT_TRANSLATE_NOOP(
                    "ConnectionCheck", "/health did not answer JSON: this is not a TaskDeck backend"
                )
            )
        ) from exc
    if not token:
        return _m(
            QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; no token stored"), status=status
        )
    headers = {"Authorization": f"Bearer {token}"}
    me = await _get(http, _join(base, "/api/v1/me"), headers, allow=(401,))
    if me.status_code == 401:
        raise _Refused(
            _m(
                QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; token refused (401)"),
                status=status,
            )
        )
    who = me.json()
    return _m(
        QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; signed in as {user} ({role})"),
        status=status,
        user=who.get("user", "?"),
        role=who.get("role", "?"),
    )


async def _ready(http: httpx.AsyncClient, base: str) -> Message:
    await _get(http, _join(base, "/-/ready"))
    return _m(QT_TRANSLATE_NOOP("ConnectionCheck", "ready"))


async def _secret(secrets: SecretStore, profile: str, kind: str) -> str | None:
    """The secret, read off the loop thread (a keyring may block); None if it cannot be read."""
    try:
        return await asyncio.to_thread(secrets.get, profile, kind)
    except Exception as exc:  # noqa: BLE001 - checked without it, and the check says what failed
        log.warning("secret %s of profile %r not read: %s", kind, profile, exc)
        return None


async def check_profile(
    profile: Profile, secrets: SecretStore, timeout_s: float = 3.0
) -> list[CheckResult]:
    """Check the profile's four services at once; one result each, in ServiceKind order."""
    password, token = await asyncio.gather(
        _secret(secrets, profile.name, BROKER_PASSWORD),
        _secret(secrets, profile.name, BACKEND_TOKEN),
    )
    secrets_used = (password, token)
    async with httpx.AsyncClient(timeout=timeout_s) as http:
        results = await asyncio.gather(
            _timed(
                ServiceKind.BROKER,
                profile.broker_url,
                _broker(profile.broker_url, password, timeout_s),
                timeout_s,
                secrets_used,
            ),
            _timed(
                ServiceKind.BACKEND,
                profile.backend_url,
                _backend(http, profile.backend_url, token),
                timeout_s,
                secrets_used,
            ),
            _timed(
                ServiceKind.PROMETHEUS,
                profile.prometheus_url,
                _ready(http, profile.prometheus_url),
                timeout_s,
                secrets_used,
            ),
            _timed(
                ServiceKind.ALERTMANAGER,
                profile.alertmanager_url,
                _ready(http, profile.alertmanager_url),
                timeout_s,
                secrets_used,
            ),
        )
    return list(results)
