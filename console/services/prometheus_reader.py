"""Reads trends from Prometheus for the console's plots. No Qt here.

``prometheus_api_client.PrometheusConnect`` is synchronous: every request runs
in an executor, so the event loop never waits on the network. Its default of
three retries with back-off is replaced by none, and every request has a
deadline of ``timeout_s``, so a stopped or hung Prometheus fails within
``timeout_s`` with a :class:`PrometheusError` instead of after minutes.
"""

from __future__ import annotations

import ast
import asyncio
import json
import math
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import numpy as np
import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

from console.domain.series import Series, step_for
from taskdeck_core.urls import redact_url

T = TypeVar("T")

# name -> (PromQL, label whose value names each series; None for one unlabelled series)
OVERVIEW_QUERIES: dict[str, tuple[str, str | None]] = {
    "queue_depth": ("sum by (queue_name) (celery_queue_length)", "queue_name"),
    "task_rate": (
        'label_replace(sum(rate(celery_task_started_total[1m])), "state", "started", "", "")'
        ' or label_replace(sum(rate(celery_task_succeeded_total[1m])), "state", "succeeded", "", "")'
        ' or label_replace(sum(rate(celery_task_failed_total[1m])), "state", "failed", "", "")'
        ' or label_replace(sum(rate(celery_task_retried_total[1m])), "state", "retried", "", "")',
        "state",
    ),
    # "or ... * 0" stands in a zero rate while one of the two counters has no series yet
    # (no task has failed, or none has succeeded), so the ratio still exists.
    "failure_rate": (
        "(sum(rate(celery_task_failed_total[5m]))"
        " or sum(rate(celery_task_succeeded_total[5m])) * 0)"
        " / ((sum(rate(celery_task_failed_total[5m]))"
        " or sum(rate(celery_task_succeeded_total[5m])) * 0)"
        " + (sum(rate(celery_task_succeeded_total[5m]))"
        " or sum(rate(celery_task_failed_total[5m])) * 0))",
        None,
    ),
    "p95_runtime": (
        "histogram_quantile(0.95, sum by (le) (rate(celery_task_runtime_bucket[5m])))",
        None,
    ),
}

_MAX_QUERY_IN_MESSAGE = 80
_NOT_PROMETHEUS = "the answer is not a Prometheus API response"


class PrometheusError(Exception):
    """A request to Prometheus failed; the message says what, where and why."""


class MetricsSource(Protocol):
    """What the console reads trends through; tests of the layers above can fake it."""

    async def ready(self) -> bool: ...

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]: ...

    async def range(
        self,
        query: str,
        window_s: float,
        end: float | None = None,
        max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Series]: ...

    def close(self) -> None: ...


def _short(query: str) -> str:
    query = " ".join(query.split())
    if len(query) <= _MAX_QUERY_IN_MESSAGE:
        return query
    return query[: _MAX_QUERY_IN_MESSAGE - 1] + "…"


def _http_error_reason(exc: PrometheusApiClientException) -> str:
    """'HTTP 400: <Prometheus' error text>' from the client's exception message."""
    text = str(exc)
    match = re.match(r"HTTP Status Code (\d+) \((b(['\"]).*\3)\)$", text, re.S)
    if match is None:
        return text
    status, body = match.group(1), match.group(2)
    try:
        payload = json.loads(ast.literal_eval(body))
        detail = str(payload.get("error") or "").strip()
    except (ValueError, SyntaxError, AttributeError):
        detail = ""
    return f"HTTP {status}: {detail}" if detail else f"HTTP {status}"


def _network_reason(exc: requests.RequestException, timeout_s: float) -> str:
    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout_s:g} s"
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if match:
        return match.group(1).strip().lower()
    return type(exc).__name__


def _labels(metric: Any) -> dict[str, str]:
    if not isinstance(metric, dict):
        raise TypeError("a result's metric is not an object")
    return {str(k): str(v) for k, v in metric.items()}


def default_key(labels: dict[str, str], query: str) -> str:
    """A series' name without a legend label: its labels as k=v, or the query."""
    if not labels:
        return query
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


class PrometheusReader:
    """Instant and range queries against one Prometheus, each in an executor thread."""

    def __init__(
        self,
        url: str,
        timeout_s: float = 5.0,
        headers: dict[str, str] | None = None,
        executor: Executor | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s!r}")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._shown_url = redact_url(self.url)
        self._owns_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="prometheus"
        )
        self._session = requests.Session()
        # No retries (as requests' own default, Retry(0, read=False)): a refused connection
        # fails at once, a read timeout is raised as such, a 503 is reported, not retried.
        self._client = PrometheusConnect(
            url=self.url,
            headers=dict(headers) if headers else None,
            retry=Retry(total=0, read=False, redirect=False, raise_on_status=False),
            session=self._session,
            timeout=timeout_s,
        )
        self._closed = False

    def close(self) -> None:
        """Close the HTTP session and the reader's own executor (not one passed in).

        Queued requests are cancelled; a running one is not waited for (its own
        timeouts end it), so closing never blocks the event loop.
        """
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()`` in the executor within ``timeout_s``; any failure as a PrometheusError."""
        if self._closed:
            raise PrometheusError(f"{what} at {self._shown_url} failed: the reader is closed")
        loop = asyncio.get_running_loop()
        cause: Exception
        try:
            async with asyncio.timeout(self.timeout_s):
                return await loop.run_in_executor(self._executor, fn)
        except TimeoutError as exc:
            reason, cause = f"no answer within {self.timeout_s:g} s", exc
        except requests.exceptions.JSONDecodeError as exc:
            reason, cause = _NOT_PROMETHEUS, exc
        except requests.RequestException as exc:
            reason, cause = _network_reason(exc, self.timeout_s), exc
        except OSError as exc:  # a socket or TLS error that requests did not wrap
            reason, cause = exc.strerror or str(exc) or type(exc).__name__, exc
        except PrometheusApiClientException as exc:
            reason, cause = _http_error_reason(exc), exc
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            # The client indexes the answer's ["data"]["result"] without checking.
            reason, cause = _NOT_PROMETHEUS, exc
        except RuntimeError as exc:  # the executor was shut down
            reason, cause = str(exc), exc
        raise PrometheusError(f"{what} at {self._shown_url} failed: {reason}") from cause

    async def ready(self) -> bool:
        """True when Prometheus answers /-/ready with 200, False for another status
        (e.g. 503 while it starts); PrometheusError when it cannot be reached."""

        def get() -> bool:
            response = self._session.get(
                f"{self.url}/-/ready", headers=self._client.headers, timeout=self.timeout_s
            )
            return response.status_code == 200

        return await self.call("readiness check", get)

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]:
        """The query's value now: (labels, value) per series; a scalar has no labels."""
        what = f"query {_short(query)!r}"
        params = {"timeout": f"{self.timeout_s:g}s"}
        result = await self.call(what, lambda: self._client.custom_query(query, params=params))
        try:
            return _parse_instant(result)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise PrometheusError(
                f"{what} at {self._shown_url} failed: unexpected result format"
            ) from exc

    async def range(
        self,
        query: str,
        window_s: float,
        end: float | None = None,
        max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Series]:
        """The query over the ``window_s`` seconds up to ``end`` (default now).

        Samples are at ``end``, ``end - step``, ... (whole seconds), at most
        ``max_points`` per series, so the newest value is always there. Each
        Series' key is the value of its ``legend`` label, else its labels as
        k=v, else the query; keys are made unique.
        """
        step = step_for(window_s, max_points)
        end_s = math.floor(time.time() if end is None else end)
        start_s = end_s - math.floor(window_s / step) * step
        start_dt = datetime.fromtimestamp(start_s, tz=UTC)
        end_dt = datetime.fromtimestamp(end_s, tz=UTC)
        what = f"range query {_short(query)!r}"
        params = {"timeout": f"{self.timeout_s:g}s"}
        result = await self.call(
            what,
            lambda: self._client.custom_query_range(
                query, start_dt, end_dt, step=f"{step:g}", params=params
            ),
        )
        try:
            return [_with_gaps(s, step) for s in _parse_range(result, query, legend)]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise PrometheusError(
                f"{what} at {self._shown_url} failed: unexpected result format"
            ) from exc


def _parse_instant(result: Any) -> list[tuple[dict[str, str], float]]:
    if (
        isinstance(result, list)
        and len(result) == 2
        and isinstance(result[0], int | float)
        and isinstance(result[1], str)
    ):
        return [({}, float(result[1]))]  # a scalar or string result: [time, "value"]
    if not isinstance(result, list):
        raise TypeError("the result is not a list")
    return [(_labels(item["metric"]), float(item["value"][1])) for item in result]


def _with_gaps(series: Series, step: float) -> Series:
    """A NaN wherever samples are missing for more than a step and a half, so a plot
    draws a gap (Prometheus was down, the series did not exist) instead of a straight line."""
    if len(series.x) < 2:
        return series
    breaks = np.nonzero(np.diff(series.x) > 1.5 * step)[0]
    if not len(breaks):
        return series
    x = np.insert(series.x, breaks + 1, series.x[breaks] + step)
    y = np.insert(series.y, breaks + 1, np.nan)
    return Series(series.key, series.labels, x, y)


def _parse_range(result: Any, query: str, legend: str | None) -> list[Series]:
    if not isinstance(result, list):
        raise TypeError("the result is not a list")
    out: list[Series] = []
    seen: dict[str, int] = {}
    for item in result:
        labels = _labels(item["metric"])
        values = item["values"]
        x = np.fromiter((float(p[0]) for p in values), dtype=np.float64, count=len(values))
        y = np.fromiter((float(p[1]) for p in values), dtype=np.float64, count=len(values))
        key = labels[legend] if legend and legend in labels else default_key(labels, query)
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count > 1:
            key = f"{key} ({count})"
        out.append(Series(key, labels, x, y))
    return out
