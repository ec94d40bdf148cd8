"""Backend and Celery settings, read from ``TASKDECK_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from taskdeck_core.transport import parse_sep, parse_steps
from taskdeck_core.urls import check_redis_url
from taskdeck_worker.config import WorkerSettings


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "taskdeck"


def split_queues(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def split_proxies(value: str) -> list[str]:
    """The addresses and networks of TASKDECK_TRUSTED_PROXIES; ValueError names one that is
    neither."""
    proxies = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"{item[:60]!r} is not an IP address or network; list the proxies' addresses "
                "(e.g. 10.0.0.5,192.168.1.0/24), or leave it empty to trust none"
            ) from None
        proxies.append(item)
    return proxies


class Settings(BaseSettings):
    """Everything configurable, with the environment variable that sets it."""

    model_config = SettingsConfigDict(env_prefix="TASKDECK_", extra="ignore")

    # TASKDECK_BROKER_URL: redis://[user[:password]@]host:port/db or rediss://... for TLS
    broker_url: str = "redis://127.0.0.1:6379/0"
    # TASKDECK_RESULT_BACKEND: defaults to the broker URL
    result_backend: str | None = None
    # TASKDECK_REDIS_CA_CERTS: CA bundle to verify a rediss:// server (system store if unset)
    redis_ca_certs: str | None = None

    # Where the backend keeps its files (ledger database, run state).
    data_dir: Path = Field(default_factory=default_data_dir)

    # The backend's HTTP listener.
    host: str = "127.0.0.1"
    port: int = Field(default=8400, ge=0, le=65535)

    # Seconds allowed for a dependency check in /health.
    health_timeout_s: float = Field(default=1.0, gt=0, le=30)

    # The task ledger: any SQLAlchemy URL; empty means SQLite in the data dir.
    ledger_url: str = ""
    # Days of task history kept in the ledger.
    retention_days: float = Field(default=30.0, gt=0, le=3650)
    # What feeds the ledger: "stream" (the integration), "events" (Celery events and the
    # result backend), or "auto": the stream while workers write to it, else events.
    ledger_source: Literal["auto", "stream", "events"] = "auto"
    # TASKDECK_INTEGRATION=0 leaves the lifecycle integration out of this process's
    # Celery app (to run the workload as a system without it).
    integration: bool = True
    # Length the lifecycle stream is capped at (approximately).
    stream_maxlen: int = Field(default=1_000_000, ge=1000)
    # Seconds a lifecycle-stream entry another backend read may stay unacknowledged before
    # this one takes it over (that backend died or hangs; several backends share the stream).
    stream_claim_idle_s: float = Field(default=60.0, ge=1, le=3600)
    # Seconds a bulk job's lease lasts unless renewed (every third of it) by the backend that
    # runs the job; once it lapses (that backend died), another backend takes the job over.
    # The backends' clocks must agree to well within it.
    bulk_lease_s: float = Field(default=15.0, ge=1, le=3600)
    # TASKDECK_INGEST_HELPERS: processes the backend starts to apply a share of the
    # lifecycle stream to the ledger beside its own (a burst drains on more cores). Unset:
    # one on a machine with two cores or more, else none.
    ingest_helpers: int | None = Field(default=None, ge=0, le=8)
    # Name of this backend instance as a consumer of the lifecycle stream.
    instance: str = Field(default_factory=lambda: f"backend-{socket.gethostname()}")
    # Bearer tokens: a file (JSON list of {user, role, token or token_sha256}) ...
    tokens_file: Path | None = None
    # ... and/or "user:role:token" entries separated by commas.
    tokens: str = ""
    # Tasks queued or running per user, unless a user has a limit of their own.
    quota_default: int = Field(default=10, ge=1, le=100_000)
    # Seconds a submission's idempotency_key answers the same task (TASKDECK_IDEMPOTENCY_S).
    idempotency_s: float = Field(default=86400.0, ge=60, le=30 * 86400)
    # Seconds after which a key claimed for a submission but never marked sent is taken for
    # one a stopped backend left (its task is then looked for, and sent if it was not).
    idempotency_stale_s: float = Field(default=30.0, gt=0, le=3600)
    # Seconds between automatic quota reconciles against the ledger and live workers.
    quota_reconcile_s: float = Field(default=60.0, gt=0)
    # Seconds between looks at the broker for a restart (a new run_id in INFO server).
    broker_watch_s: float = Field(default=5.0, gt=0, le=3600)
    # After a restart, seconds before a waiting task found missing from the broker is looked
    # for again (and the ledger has caught up with the stream) and, still missing, marked lost.
    lost_confirm_s: float = Field(default=5.0, ge=0, le=3600)
    # Rate-limit tiers as JSON over the defaults, e.g. {"premium": {"data_sync": 80}}.
    ratelimit_tiers: str = ""
    # Users' tiers: "alice:premium,bob:normal"; admins are in the admin tier, others normal.
    user_tiers: str = ""
    # Length of the rate-limit window, and of the buckets the statistics are kept in.
    ratelimit_window_s: float = Field(default=60.0, gt=0, le=3600)
    ratelimit_bucket_s: float = Field(default=60.0, gt=0, le=3600)
    # TASKDECK_METRICS_TOKEN: the bearer token Prometheus sends to read /metrics, all of it.
    metrics_token: str = ""
    # TASKDECK_METRICS_OPEN=1: /metrics answers a scrape without the token too, leaving out
    # the series that name users. With neither set, /metrics answers 403 to every scrape.
    metrics_open: bool = False
    # TASKDECK_TRUSTED_PROXIES: the proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed, as addresses or networks ("10.0.0.5,192.168.1.0/24"). Empty (the default):
    # none; the address a request comes from is the caller's, whatever headers it sends.
    trusted_proxies: str = ""
    # Celery task events held for the ledger at most, in the events fallback (a system
    # without the plug-in): beyond, each is dropped and counted in /health and a metric.
    events_buffer: int = Field(default=200_000, ge=100, le=10_000_000)
    # Seconds without a heartbeat after which a worker counts as offline.
    worker_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # The workers' visibility timeout (kombu's ``visibility_timeout``), when they do not
    # report it themselves (each is asked once per start): when a task of a dead worker
    # is delivered again. Unset: what the workers report, else kombu's default (3600).
    visibility_timeout_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    # The watched system's transport, where its broker does not show it. Empty: the
    # separator is read from the broker's queue bindings (kombu's default "\x06\x16"
    # until there are some), the steps are kombu's default unless lists show others.
    # TASKDECK_TRANSPORT_SEP takes Python escapes, e.g. "\x06\x16" or ":".
    transport_sep: str = ""
    # TASKDECK_PRIORITY_STEPS: the workers' priority_steps, e.g. "0,3,6,9" or "0,1,...,9".
    priority_steps: str = ""
    # TASKDECK_QUEUES: queues shown even before any worker has bound them, e.g. "erp_sync,celery".
    queues: str = ""
    # TASKDECK_ALERTMANAGER_URL: the Alertmanager whose silences admins change through the
    # backend (audited), e.g. http://127.0.0.1:9093. Empty: silences cannot be changed here.
    alertmanager_url: str = ""
    # TASKDECK_ALERTMANAGER_TIMEOUT_S: how long a call of Alertmanager's API may take.
    alertmanager_timeout_s: float = Field(default=5.0, gt=0, le=60)

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanager(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith(("http://", "https://")) and len(value) > 8):
            raise ValueError(
                f"{value[:60]!r} is not an http:// or https:// URL; give Alertmanager's address "
                "(e.g. http://127.0.0.1:9093), or leave it empty"
            )
        return value.rstrip("/")

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, value: str) -> str:
        return check_redis_url(value)

    @field_validator("result_backend")
    @classmethod
    def _result(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_redis_url(value)

    @field_validator("transport_sep")
    @classmethod
    def _sep(cls, value: str) -> str:
        return parse_sep(value)

    @field_validator("priority_steps")
    @classmethod
    def _steps(cls, value: str) -> str:
        if value.strip():
            parse_steps(value)
        return value

    @field_validator("queues")
    @classmethod
    def _queues(cls, value: str) -> str:
        for name in split_queues(value):
            if len(name) > 100:
                raise ValueError(f"queue name {name[:20]!r}... is longer than 100 characters")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        split_proxies(value)
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return split_proxies(self.trusted_proxies)

    @property
    def steps(self) -> tuple[int, ...] | None:
        return parse_steps(self.priority_steps) if self.priority_steps.strip() else None

    @property
    def queue_list(self) -> list[str]:
        return split_queues(self.queues)

    @property
    def result_backend_url(self) -> str:
        return self.result_backend or self.broker_url

    @property
    def helpers(self) -> int:
        """How many ingest helpers to start (``ingest_helpers``, or the machine's default)."""
        if self.ingest_helpers is not None:
            return self.ingest_helpers
        return 1 if (os.cpu_count() or 1) >= 2 else 0

    def worker(self) -> WorkerSettings:
        """The settings of this process's Celery app (the worker plug-in's own type)."""
        return WorkerSettings(
            broker_url=self.broker_url,
            result_backend=self.result_backend,
            redis_ca_certs=self.redis_ca_certs,
            integration=self.integration,
            stream_maxlen=self.stream_maxlen,
        )

    @property
    def ledger_database_url(self) -> str:
        return self.ledger_url or f"sqlite:///{self.data_dir / 'ledger.sqlite3'}"


def load_settings() -> Settings:
    """Read the settings; a bad value raises ``SettingsError`` with a readable message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = "_".join(str(p) for p in err["loc"]).upper()
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"TASKDECK_{field}: {msg}")
        raise SettingsError("; ".join(lines)) from None


class SettingsError(Exception):
    """The environment holds a setting that cannot be used."""
