"""One check of each of the four services, for the live status and for Test connection. No Qt.

The Connections page probes every few seconds through a :class:`LiveProber`;
the profile dialog's Test connection runs the same checks once through
:func:`check_profile`. A check never raises: an unreachable or broken service
is a :class:`ProbeResult` with ``ok=False`` and a short reason ("connection
refused", "timed out after 3 s", "HTTP 503") in which no password or token
appears.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx
import redis
import redis.asyncio.sentinel
import redis.exceptions
import redis.sentinel

from console.domain.endpoints import Endpoints
from console.domain.profiles import Profile, split_broker_password
from console.domain.service_status import ProbeResult, ServiceKind
from console.domain.translation import QT_TRANSLATE_NOOP, Message
from console.services.backend_client import CAFileError, tls_trust
from console.services.broker_reader import learner
from console.services.secrets import SecretStore, endpoints_for
from taskdeck_core.api_types import TransportInfo
from taskdeck_core.redis_clients import async_client, sync_client
from taskdeck_core.urls import redact_url

log = logging.getLogger(__name__)
TIMEOUT_S = 2.0
LEARN_EVERY_S = 30.0  # how often the broker's check looks at the bindings again
CONTEXT = "ConnectionCheck"  # the translation context of this module's messages
Facts = list[tuple[str, str]]


def _m(template: str, **values: object) -> Message:
    return Message(CONTEXT, template, **values)


_READY = _m(QT_TRANSLATE_NOOP("ConnectionCheck", "ready"))


class Prober(Protocol):
    async def probe(self, kind: ServiceKind) -> ProbeResult: ...

    async def aclose(self) -> None: ...


@dataclass
class _Answer:
    summary: Message  # one line for Test connection
    facts: Facts = field(default_factory=list)  # (label, value) pairs for the Connections page


class _Refused(Exception):
    """The service answered, but not as it should; the message is the reason."""

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


def _scrub(text: str, secrets: Sequence[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# What redis-py and httpx say when the server went away in the middle of a request (it
# stopped or crashed); not a server that speaks another protocol.
_CLOSED = (
    "Connection closed by server.",
    "Server disconnected without sending a response.",
    "Server disconnected",
)


# What a Sentinel client raises while no Sentinel names a master (during a failover, or
# with every Sentinel out of reach): the sync and the asyncio client each have their own.
_NO_MASTER = (redis.sentinel.MasterNotFoundError, redis.asyncio.sentinel.MasterNotFoundError)


def describe_error(
    exc: BaseException, timeout_s: float, secrets: Sequence[str | None] = ()
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
    if isinstance(exc, _NO_MASTER):
        return _m(
            QT_TRANSLATE_NOOP(
                "ConnectionCheck",
                "no Sentinel names a master now; a failover may be under way ({error})",
            ),
            error=_scrub(str(exc), secrets),
        )
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
    if str(exc) in _CLOSED and isinstance(
        exc, redis.exceptions.ConnectionError | httpx.RemoteProtocolError
    ):
        return _m(QT_TRANSLATE_NOOP("ConnectionCheck", "the server closed the connection"))
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


class LiveProber:
    """Checks the services at ``endpoints``, with one Redis and one HTTP client for all checks.

    The broker's check reports the depth of each queue of the watched system (bound in
    the broker, or set in the profile), read from the lists its transport names (learned
    from the broker every ``LEARN_EVERY_S``, unless the profile sets it); with
    ``verify_token`` the backend's check also signs in with the token.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        timeout_s: float = TIMEOUT_S,
        verify_token: bool = False,
    ) -> None:
        self.endpoints = endpoints
        self.timeout_s = timeout_s
        self.verify_token = verify_token
        self._secrets = (endpoints.backend_token, split_broker_password(endpoints.broker_url)[1])
        self._http = httpx.AsyncClient(timeout=timeout_s)
        try:  # the backend's certificate may be signed by a CA of the profile's own
            trust, self._ca_problem = tls_trust(endpoints.backend_ca_file), None
        except CAFileError as exc:
            trust, self._ca_problem = True, str(exc)
        self._backend_http = httpx.AsyncClient(timeout=timeout_s, verify=trust)
        self._redis = async_client(
            endpoints.broker_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._sync = sync_client(
            endpoints.broker_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._learn = learner(self._sync, endpoints.transport)
        self._info: TransportInfo | None = None
        self._learned_at = 0.0
        self._checks: dict[ServiceKind, tuple[str, Callable[[], Awaitable[_Answer]]]] = {
            ServiceKind.BROKER: (endpoints.broker_url, self._broker),
            ServiceKind.BACKEND: (endpoints.backend_url, self._backend),
            ServiceKind.PROMETHEUS: (endpoints.prometheus_url, self._prometheus),
            ServiceKind.ALERTMANAGER: (endpoints.alertmanager_url, self._alertmanager),
        }

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._backend_http.aclose()
        await self._redis.aclose()
        await asyncio.to_thread(self._sync.close)

    async def _transport(self) -> TransportInfo:
        """The system's transport, looked at again when older than ``LEARN_EVERY_S``
        (blocking redis-py, on a worker thread)."""
        if self._info is None or time.monotonic() - self._learned_at > LEARN_EVERY_S:
            self._info = await asyncio.to_thread(self._learn)
            self._learned_at = time.monotonic()
        return self._info

    async def probe(self, kind: ServiceKind) -> ProbeResult:
        url, check = self._checks[kind]
        target = redact_url(url)
        started = time.perf_counter()
        at = time.time()
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await check()
        except Exception as exc:  # noqa: BLE001 - every failure is a result
            reason = describe_error(exc, self.timeout_s, self._secrets)
            log.info("check of %s at %s failed: %s", kind.value, target, reason)
            return ProbeResult(kind, target, False, None, (), reason, at)
        latency = round((time.perf_counter() - started) * 1000, 1)
        return ProbeResult(kind, target, True, latency, tuple(answer.facts), None, at,
                           answer.summary)  # fmt: skip

    async def _broker(self) -> _Answer:
        try:
            info = await self._redis.info("server")
        except redis.exceptions.AuthenticationError as exc:
            if self._secrets[1]:
                raise _Refused(
                    _m(QT_TRANSLATE_NOOP("ConnectionCheck", "password refused"))
                ) from exc
            raise _Refused(
                _m(QT_TRANSLATE_NOOP("ConnectionCheck", "a password is needed and none is stored"))
            ) from exc
        version = str(info.get("redis_version", "?"))
        learned = await self._transport()
        transport, queues = learned.transport(), learned.queues
        pipe = self._redis.pipeline(transaction=False)
        for key in transport.all_list_names(queues):
            pipe.llen(key)
        depths = transport.depths(queues, await pipe.execute())
        facts = [("Redis", version)]
        facts += [(queue, str(sum(by_step.values()))) for queue, by_step in depths.items()]
        return _Answer(_m(QT_TRANSLATE_NOOP("ConnectionCheck", "Redis {version}"), version=version),
                       facts)  # fmt: skip

    async def _get(
        self, base: str, path: str, headers: dict[str, str] | None = None, allow: int | None = None
    ) -> httpx.Response:
        """GET ``path`` below ``base``; an error status other than ``allow`` is a failed check."""
        http = self._backend_http if base == self.endpoints.backend_url else self._http
        response = await http.get(base.rstrip("/") + path, headers=headers)
        if response.status_code >= 400 and response.status_code != allow:
            raise _Refused(
                _m(
                    QT_TRANSLATE_NOOP("ConnectionCheck", "HTTP {status}"),
                    status=response.status_code,
                )
            )
        return response

    async def _backend(self) -> _Answer:
        base = self.endpoints.backend_url
        if self._ca_problem is not None:
            raise _Refused(
                _m(QT_TRANSLATE_NOOP("ConnectionCheck", "{error}"), error=self._ca_problem)
            )
        try:
            health = (await self._get(base, "/health")).json()
            status = str(health.get("status", "?"))
            dependencies = dict(health.get("dependencies") or {})
        except (ValueError, AttributeError, TypeError) as exc:
            raise _Refused(
                _m(
                    QT_TRANSLATE_NOOP(
                        "ConnectionCheck",
                        "/health did not answer JSON: this is not a TaskDeck backend",
                    )
                )
            ) from exc
        facts = [("status", status), ("version", str(health.get("version")))]
        facts += [(name, "up" if dep.get("up") else "down") for name, dep in dependencies.items()]
        token = self.endpoints.backend_token
        if not self.verify_token:
            return _Answer(_m(QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}"),
                              status=status), facts)  # fmt: skip
        if not token:
            return _Answer(
                _m(QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; no token stored"),
                   status=status), facts,
            )  # fmt: skip
        me = await self._get(base, "/api/v1/me", {"Authorization": f"Bearer {token}"}, allow=401)
        if me.status_code == 401:
            raise _Refused(
                _m(
                    QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; token refused (401)"),
                    status=status,
                )
            )
        who = me.json()
        user, role = str(who.get("user", "?")), str(who.get("role", "?"))
        summary = _m(
            QT_TRANSLATE_NOOP("ConnectionCheck", "health {status}; signed in as {user} ({role})"),
            status=status,
            user=user,
            role=role,
        )
        return _Answer(summary, [*facts, ("user", user), ("role", role)])

    async def _prometheus(self) -> _Answer:
        base = self.endpoints.prometheus_url
        await self._get(base, "/-/ready")
        data = (await self._get(base, "/api/v1/targets?state=active")).json()
        targets = data.get("data", {}).get("activeTargets", []) if isinstance(data, dict) else []
        up = sum(1 for t in targets if t.get("health") == "up")
        return _Answer(_READY, [("targets up", f"{up} / {len(targets)}")])

    async def _alertmanager(self) -> _Answer:
        base = self.endpoints.alertmanager_url
        await self._get(base, "/-/ready")
        alerts = (
            await self._get(base, "/api/v2/alerts?active=true&silenced=false&inhibited=false")
        ).json()
        return _Answer(_READY, [("firing", str(len(alerts) if isinstance(alerts, list) else 0))])


async def check_profile(
    profile: Profile, secrets: SecretStore, timeout_s: float = 3.0
) -> list[ProbeResult]:
    """'Test connection': each of the profile's four services checked once, at the same time,
    signing in to the backend with the token; one result each, in ServiceKind order."""
    prober = LiveProber(await endpoints_for(profile, secrets), timeout_s, verify_token=True)
    try:
        return list(await asyncio.gather(*(prober.probe(kind) for kind in ServiceKind)))
    finally:
        await prober.aclose()
