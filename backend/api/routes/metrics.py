"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.config import Settings
from backend.metrics import Metrics
from backend.services.health import check_redis

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    exported: Metrics = request.app.state.metrics
    broker = await check_redis("broker", settings.broker_url, settings.health_timeout_s)
    exported.broker_up.set(1 if broker.up else 0)
    return Response(generate_latest(exported.registry), media_type=CONTENT_TYPE_LATEST)
