"""Settings of the data-sync system's Celery app, read from ``TASKDECK_*`` variables.

The plug-in depends on Celery only, so this reads the environment itself
rather than through the backend's pydantic settings; the backend hands its
own values over with ``Settings.worker()``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from taskdeck_core.urls import check_redis_url, redact_url


class WorkerSettingsError(Exception):
    """The environment holds a setting the Celery app cannot use."""


@dataclass
class WorkerSettings:
    # TASKDECK_BROKER_URL: redis://[user[:password]@]host:port/db or rediss://... for TLS
    broker_url: str = "redis://127.0.0.1:6379/0"
    # TASKDECK_RESULT_BACKEND: defaults to the broker URL
    result_backend: str | None = None
    # TASKDECK_REDIS_CA_CERTS: CA bundle to verify a rediss:// server (system store if unset)
    redis_ca_certs: str | None = None
    # TASKDECK_INTEGRATION=0 leaves the lifecycle integration out of the app.
    integration: bool = True
    # TASKDECK_STREAM_MAXLEN: length the lifecycle stream is capped at (approximately).
    stream_maxlen: int = 1_000_000
    # TASKDECK_VISIBILITY_TIMEOUT_S: seconds a message a worker took may stay unacknowledged
    # before kombu delivers it again (see celery_app.VISIBILITY_TIMEOUT_S for the choice).
    visibility_timeout_s: int = 2400
    # The simulated data-sync workload (sandbox and tests).
    workload_failure_rate: float = 0.15
    workload_speed: float = 1.0
    workload_retry_backoff_s: int = 2

    def __post_init__(self) -> None:
        check_redis_url(self.broker_url, "TASKDECK_BROKER_URL")
        if self.result_backend:
            check_redis_url(self.result_backend, "TASKDECK_RESULT_BACKEND")
        _check_range("TASKDECK_STREAM_MAXLEN", self.stream_maxlen, 1000, None)
        _check_range("TASKDECK_VISIBILITY_TIMEOUT_S", self.visibility_timeout_s, 1, 7 * 86400)
        _check_range("TASKDECK_WORKLOAD_FAILURE_RATE", self.workload_failure_rate, 0.0, 1.0)
        _check_range("TASKDECK_WORKLOAD_SPEED", self.workload_speed, 0.001, 1000.0)
        _check_range("TASKDECK_WORKLOAD_RETRY_BACKOFF_S", self.workload_retry_backoff_s, 1, 600)

    @property
    def result_backend_url(self) -> str:
        return self.result_backend or self.broker_url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        """Read every field from ``TASKDECK_<FIELD>``; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        parse: dict[str, Callable[[str], Any]] = {
            "integration": _parse_bool,
            "stream_maxlen": int,
            "visibility_timeout_s": int,
            "workload_failure_rate": float,
            "workload_speed": float,
            "workload_retry_backoff_s": int,
        }
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"TASKDECK_{f.name.upper()}")
            if raw is None or raw.strip() == "":
                continue
            try:
                values[f.name] = parse.get(f.name, str)(raw.strip())
            except ValueError:
                shown = redact_url(raw) if "://" in raw else raw
                raise WorkerSettingsError(
                    f"TASKDECK_{f.name.upper()}={shown!r} is not a valid {f.type}"
                ) from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise WorkerSettingsError(str(exc)) from None


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _check_range(name: str, value: float, low: float, high: float | None) -> None:
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
