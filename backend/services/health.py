"""Dependency checks for /health, and what counts as a dependency being unavailable.

Each check answers its state, latency and error. ``broker_unavailable`` and
``ledger_unavailable`` tell a failure of the broker (Redis) or of the ledger's
database from a fault of the backend's own: the API answers the first two 503
with when to retry, the rest 500. ``LedgerWriteProbe`` commits a one-row write,
so /health sees a ledger that answers reads but cannot write (a full disk, a
read-only file system).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import redis.exceptions as rex
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy import Column, Engine, Float, Integer, MetaData, Table, insert, update
from sqlalchemy.exc import OperationalError

from taskdeck_core.redis_clients import async_client
from taskdeck_core.urls import redact_url

# Redis answers these while it cannot do what is asked: persistence failing (MISCONF), a
# replica (READONLY), out of memory, loading its data set, a cluster without its master.
_BROKER_REFUSALS = (rex.ReadOnlyError, rex.OutOfMemoryError, rex.ClusterDownError,
                    rex.TryAgainError)  # fmt: skip
_REFUSAL_PREFIXES = ("MISCONF", "READONLY", "LOADING", "MASTERDOWN", "OOM", "TRYAGAIN")
CAUSE_CHARS = 160  # of an error's message, what an answer or /health shows

# One row in the ledger's database that the probe rewrites; made on the probe's first write.
ledger_probe = Table(
    "ledger_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False),
)


@dataclass(frozen=True)
class DependencyState:
    name: str
    up: bool
    latency_ms: float | None
    target: str
    error: str | None = None


def broker_unavailable(exc: BaseException) -> bool:
    """The broker could not be reached or refused to work: nothing the caller did wrong."""
    if isinstance(exc, rex.ConnectionError | rex.TimeoutError | KombuOperationalError):
        return True
    if isinstance(exc, _BROKER_REFUSALS):
        return True
    return isinstance(exc, rex.ResponseError) and str(exc).startswith(_REFUSAL_PREFIXES)


def ledger_unavailable(exc: BaseException) -> bool:
    """The ledger's database failed to read or write: a full or read-only disk, an I/O
    error, a database server that is gone."""
    return isinstance(exc, OperationalError)


def cause(exc: BaseException) -> str:
    """The error in a few words: its type and the start of its message (for SQL errors the
    database's own message, never the statement or its parameters)."""
    inner = exc.orig if isinstance(exc, OperationalError) and exc.orig is not None else exc
    text = " ".join(str(inner).split())
    if len(text) > CAUSE_CHARS:
        text = text[:CAUSE_CHARS] + "..."
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


async def check_redis(name: str, url: str, timeout_s: float) -> DependencyState:
    client = async_client(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    started = time.perf_counter()
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the dependency is down
        return DependencyState(name, False, None, redact_url(url), f"{type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
    latency = (time.perf_counter() - started) * 1000
    return DependencyState(name, True, round(latency, 2), redact_url(url))


@dataclass(frozen=True)
class WriteCheck:
    ok: bool
    at: float  # when the write was tried (epoch seconds)
    error: str | None = None


class LedgerWriteProbe:
    """Whether the ledger's database takes a write: one row updated and committed, at most
    once per ``every_s`` (in between, the last answer). A read succeeds on a full disk; a
    committed write does not."""

    def __init__(self, engine: Engine, every_s: float = 2.0) -> None:
        self.engine = engine
        self.every_s = every_s
        self._last: WriteCheck | None = None
        self._made = False
        self._lock = threading.Lock()

    def check(self) -> WriteCheck:
        with self._lock:
            last = self._last
            if last is not None and time.time() - last.at < self.every_s:
                return last
            now = time.time()
            try:
                with self.engine.begin() as conn:
                    if not self._made:
                        ledger_probe.create(conn, checkfirst=True)
                    changed = conn.execute(
                        update(ledger_probe).where(ledger_probe.c.id == 1).values(at=now)
                    ).rowcount
                    if not changed:
                        conn.execute(insert(ledger_probe).values(id=1, at=now))
                self._made = True
                self._last = WriteCheck(True, now)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                self._last = WriteCheck(False, now, cause(exc))
            return self._last
