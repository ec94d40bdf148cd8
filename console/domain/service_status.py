"""The connection state of one service the console talks to."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from taskdeck_core.urls import redact_url


class ServiceKind(enum.Enum):
    BROKER = "broker"
    BACKEND = "backend"
    PROMETHEUS = "prometheus"
    ALERTMANAGER = "alertmanager"


class Connection(enum.Enum):
    UNKNOWN = "unknown"  # not checked yet
    CONNECTED = "connected"
    STALE = "stale"  # the last check failed; the data shown is from an earlier one
    DOWN = "down"  # never reached, or unreachable for longer than the stale limit


@dataclass(frozen=True)
class ProbeResult:
    """One check of one service: reached or not, how fast, and what it said."""

    kind: ServiceKind
    target: str
    ok: bool
    latency_ms: float | None
    facts: tuple[tuple[str, str], ...] = ()  # short (label, value) pairs to show
    error: str | None = None
    at: float = 0.0  # time.time() of the check
    summary: str = ""  # one line saying what the service answered (a translatable Message)
    saved: bool = False  # answered from a snapshot file, not by the live service


@dataclass(frozen=True)
class ServiceStatus:
    """What the console shows for a service: the last good result and the state now."""

    kind: ServiceKind
    target: str
    connection: Connection
    last_ok: ProbeResult | None
    last_error: str | None
    since_ok_s: float | None  # seconds since the last good check, None if never

    @staticmethod
    def initial(kind: ServiceKind, target: str) -> ServiceStatus:
        """Not checked yet; ``target`` is shown with any password in it replaced by ***."""
        return ServiceStatus(kind, redact_url(target), Connection.UNKNOWN, None, None, None)

    def updated(self, result: ProbeResult, stale_limit_s: float) -> ServiceStatus:
        """The status after ``result``: a failure keeps the last good data, marked stale."""
        if result.ok:
            return ServiceStatus(self.kind, result.target, Connection.CONNECTED, result, None, 0.0)
        if self.last_ok is None:
            return ServiceStatus(
                self.kind, result.target, Connection.DOWN, None, result.error, None
            )
        since = max(0.0, result.at - self.last_ok.at)
        connection = Connection.STALE if since <= stale_limit_s else Connection.DOWN
        return ServiceStatus(
            self.kind, result.target, connection, self.last_ok, result.error, since
        )

    def aged(self, now: float, stale_limit_s: float) -> ServiceStatus:
        """The status at ``now`` (``time.time()``) with no new check: a service that stopped
        answering has been down for longer (and turns down once past ``stale_limit_s``),
        while the checks are backing off; any other status is as it was."""
        if (
            self.connection not in (Connection.STALE, Connection.DOWN)
            or self.last_ok is None
            or self.last_ok.saved
            or self.since_ok_s is None
        ):
            return self
        since = max(self.since_ok_s, now - self.last_ok.at)
        connection = Connection.STALE if since <= stale_limit_s else Connection.DOWN
        return ServiceStatus(
            self.kind, self.target, connection, self.last_ok, self.last_error, since
        )
