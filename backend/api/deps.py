"""Typed dependencies of the routes: the services, the caller, and the role check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn

import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.api.errors import TooManyRequests
from backend.api.headers import remember
from backend.config import Settings
from backend.metrics import Metrics
from backend.services.actions import Actions
from backend.services.alertmanager import Alertmanager
from backend.services.anomalies import AnomalyDetector
from backend.services.audit import AuditLog
from backend.services.auth import Principal, TokenStore
from backend.services.broker import BrokerQueues
from backend.services.broker_watch import BrokerWatch
from backend.services.environment import EnvironmentService
from backend.services.events_source import EventIngestor, SourceChooser
from backend.services.health import LedgerWriteProbe
from backend.services.ingest import StreamIngestor
from backend.services.ledger import Ledger
from backend.services.quota_reconcile import QuotaReconciler
from backend.services.quota_stream import QuotaReleases
from backend.services.quotas import Quotas
from backend.services.ratelimit import RateLimiter
from backend.services.redelivery import RedeliveryWatch
from backend.services.submit_keys import SubmitKeys
from backend.services.workers import WorkerMonitor


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    audit: AuditLog
    tokens: TokenStore
    redis: redis.Redis
    aredis: aioredis.Redis
    celery: Celery
    queues: BrokerQueues
    environment: EnvironmentService
    actions: Actions
    workers: WorkerMonitor
    ingestor: StreamIngestor
    events: EventIngestor
    source: SourceChooser
    quotas: Quotas
    # Submissions' idempotency keys.
    submit_keys: SubmitKeys
    limiter: RateLimiter
    anomalies: AnomalyDetector
    metrics: Metrics
    user_tiers: dict[str, str]
    quota_reconcile: QuotaReconciler
    # Broker restarts, and the accepted tasks a restart lost.
    broker_watch: BrokerWatch
    # Frees quota slots from the lifecycle stream as tasks finish, whether or not the
    # ledger can take the records (a consumer group of its own).
    quota_releases: QuotaReleases
    ledger_probe: LedgerWriteProbe
    # Tasks held by worker processes that are gone: awaiting redelivery, or lost.
    redelivery: RedeliveryWatch
    # The Alertmanager whose silences admins change (its client is None when not configured).
    alertmanager: Alertmanager = field(default_factory=lambda: Alertmanager(None))
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    async def start_job(self, job_id: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.actions.job_pool, self.actions.run_job, job_id)

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refuse_anonymous(request: Request, services: Services, detail: str) -> NoReturn:
    """A failed authentication counts against the address's auth limit, then answers 401
    (with that limit's headers)."""
    ip = client_ip(request)
    decision = services.limiter.check(f"ip:{ip}", "anonymous", "auth", ip, None)
    remember(request, decision)
    if not decision.allowed:
        services.metrics.rejections.labels("anonymous", "auth").inc()
        raise TooManyRequests.rate_limited(
            decision,
            f"too many failed authentications from {ip}; try again in {decision.reset_s:.0f} s",
        )
    raise HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


# Declares the bearer scheme in the OpenAPI; the check itself is current_user's.
bearer = HTTPBearer(auto_error=False, description="a token from TASKDECK_TOKENS")


def current_user(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        refuse_anonymous(request, services, "send your token as 'Authorization: Bearer <token>'")
    principal = services.tokens.authenticate(token)
    if principal is None:
        refuse_anonymous(request, services, "this token is not known to the backend")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def authorise(who: Principal, role: str) -> None:
    """403 unless ``who`` has ``role`` (or a higher one)."""
    if not who.may(role):
        raise HTTPException(403, f"this needs the {role} role; {who.user} has the {who.role} role")
