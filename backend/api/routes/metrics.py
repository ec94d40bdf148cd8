"""GET /metrics in the Prometheus text format (optionally behind a scrape token)."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.api.deps import ServicesDep
from backend.metrics import Snapshot

router = APIRouter(tags=["metrics"])
# The errors of /metrics are JSON, though its answer is text (other routes declare ErrorBody).
ERROR_BODY_REF = "#/components/schemas/ErrorBody"


def snapshot(services: ServicesDep) -> Snapshot:
    snap = Snapshot()
    try:
        queues = services.environment.queue_names()
        for queue, by_priority in services.queues.depths(queues).items():
            snap.queues.extend((queue, priority, n) for priority, n in by_priority.items())
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


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "Prometheus text exposition format",
              "content": {"text/plain": {"schema": {"type": "string"}}}},
        401: {"description": "Only with TASKDECK_METRICS_TOKEN set: no or the wrong scrape token.",
              "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}}},
    },
)  # fmt: skip
def metrics(request: Request, services: ServicesDep) -> Response:
    """The exporter's metrics for Prometheus to scrape."""
    token = services.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise HTTPException(401, "this scrape needs the metrics token (TASKDECK_METRICS_TOKEN)")
    services.metrics.gauges.snapshot = snapshot(services)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
