"""GET /metrics in the Prometheus text format, for the scrape token (or openly, if told).

What a scrape may see: with TASKDECK_METRICS_TOKEN sent as a bearer token, everything;
without it, and only where TASKDECK_METRICS_OPEN=1, everything but the series that name
users (taskdeck_quota_used and taskdeck_quota_limit keep their names, with no samples).
With neither setting, no one may scrape (403). A scrape with a wrong token, or without one
where the token is required, is a failed authentication: it counts against the address's
limit, as a wrong API token does (401, then 429).
"""

from __future__ import annotations

import hmac
import json
import threading
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from backend.api.deps import ServicesDep, refuse_anonymous
from backend.api.errors import rate_limit_headers
from backend.metrics import Snapshot
from backend.services.action_steps import ActionError

router = APIRouter(tags=["metrics"])
# The errors of /metrics are JSON, though its answer is text (other routes declare ErrorBody).
ERROR_BODY_REF = "#/components/schemas/ErrorBody"
LIMITED_BODY_REF = "#/components/schemas/TooManyRequestsBody"
CLOSED = (
    "this backend serves /metrics to no one yet: set TASKDECK_METRICS_TOKEN and give "
    "Prometheus the same token (monitoring/prometheus/prometheus.yml reads it from a file), "
    "or set TASKDECK_METRICS_OPEN=1 to serve it without one (leaving out the series that "
    "name users)"
)
# One scrape at a time: the gauges hold the snapshot of the scrape being written, which
# must not be one gathered for another caller (with users) or half of one.
_scraping = threading.Lock()


def snapshot(services: ServicesDep, users: bool = True) -> Snapshot:
    snap = Snapshot()
    try:
        queues = services.environment.queue_names()
        for queue, by_priority in services.queues.depths(queues).items():
            snap.queues.extend((queue, priority, n) for priority, n in by_priority.items())
        if users:
            snap.quotas = services.quotas.usage(services.quotas.users())
        stored: Any = services.redis.hgetall("taskdeck:rl:anomalies")
        for value in stored.values():
            kind = json.loads(value)["kind"]
            snap.anomalies[kind] = snap.anomalies.get(kind, 0) + 1
        snap.broker_up = True
    except Exception:  # noqa: BLE001 - a broker that fails shows as taskdeck_broker_up 0
        snap.broker_up = False
    snap.workers = [(w.hostname, w.online, w.active) for w in services.workers.snapshot()]
    snap.broker_aof = services.broker_watch.status.aof_enabled
    return snap


def _error(
    description: str, ref: str = ERROR_BODY_REF, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ref}}},
        **({"headers": headers} if headers else {}),
    }


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "Prometheus text exposition format; without the scrape token "
                             "(TASKDECK_METRICS_OPEN=1), no series that names a user",
              "content": {"text/plain": {"schema": {"type": "string"}}}},
        401: _error(
            "The scrape token (TASKDECK_METRICS_TOKEN) is required and was not sent, or a "
            "wrong one was (unauthenticated); it counts against the address's limit of failed "
            "authentications, whose state the X-RateLimit-* headers give.",
            headers={"WWW-Authenticate": {"schema": {"type": "string"}}, **rate_limit_headers()},
        ),
        403: _error(
            "Neither TASKDECK_METRICS_TOKEN nor TASKDECK_METRICS_OPEN is set: this backend "
            "serves /metrics to no one (metrics_closed)."
        ),
        429: _error(
            "Too many failed authentications from this address (rate_limited); wait "
            "Retry-After seconds.",
            LIMITED_BODY_REF,
            headers={**rate_limit_headers(),
                     "Retry-After": {"description": "seconds to wait",
                                     "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        ),
    },
)  # fmt: skip
def metrics(request: Request, services: ServicesDep) -> Response:
    """The exporter's metrics for Prometheus to scrape."""
    settings = services.settings
    sent = request.headers.get("authorization")
    full = False
    if settings.metrics_token and (sent is not None or not settings.metrics_open):
        scheme, _, credentials = (sent or "").strip().partition(" ")
        token = credentials.strip() if scheme.lower() == "bearer" else ""
        if not token:
            refuse_anonymous(
                request, services, "this scrape needs the metrics token (TASKDECK_METRICS_TOKEN) "
                "as 'Authorization: Bearer <token>'",
            )  # fmt: skip
        if not hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
            refuse_anonymous(
                request, services, "this is not the metrics token (TASKDECK_METRICS_TOKEN)"
            )
        full = True
    elif not settings.metrics_open:
        raise ActionError(403, "metrics_closed", CLOSED)
    with _scraping:
        text = services.metrics.exposition(snapshot(services, users=full))
    return Response(text, media_type=CONTENT_TYPE_LATEST)
