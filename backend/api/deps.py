"""Typed dependencies of the routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn

import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, HTTPException, Request

from backend.api.errors import TooManyRequests
from backend.config import Settings
from backend.metrics import Metrics
from backend.services.actions import Actions
from backend.services.anomalies import AnomalyDetector
from backend.services.audit import AuditLog
from backend.services.auth import Principal, TokenStore
from backend.services.broker import BrokerQueues
from backend.services.events_source import EventIngestor, SourceChooser
from backend.services.ingest import StreamIngestor
from backend.services.ledger import Ledger
from backend.services.quotas import Quotas
from backend.services.ratelimit import RateLimiter
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
    actions: Actions
    workers: WorkerMonitor
    ingestor: StreamIngestor
    events: EventIngestor
    source: SourceChooser
    quotas: Quotas
    limiter: RateLimiter
    anomalies: AnomalyDetector
    metrics: Metrics
    user_tiers: dict[str, str]
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def quota_rows(self) -> list[dict[str, Any]]:
        """Every user with a slot or a limit of their own: used, limit, and drift from the ledger."""
        real = self._real_open()
        users = sorted(set(self.quotas.users()) | set(real))
        return [
            {"user": user, "used": used, "limit": limit, "drift": used - len(real.get(user, ()))}
            for user, used, limit in self.quotas.usage(users)
        ]

    def _real_open(self, user: str | None = None) -> dict[str, set[str]]:
        """Open tasks per user from the ledger, less those held by workers that are gone."""
        online = {w["hostname"] for w in self.workers.snapshot() if w["online"]}
        sure_of_workers = self.workers.watching_for(self.settings.worker_timeout_s)
        real: dict[str, set[str]] = {}
        for task_id, owner, state, hostname in self.ledger.open_tasks(user):
            if not owner:
                continue
            held = state in ("RECEIVED", "STARTED") and hostname
            if held and sure_of_workers and hostname not in online:
                continue  # its worker died: the task is not running, its slot is free
            real.setdefault(owner, set()).add(task_id)
        return real

    def reconcile_quota(self, user: str) -> dict[str, int]:
        return self.quotas.reconcile(user, self._real_open(user).get(user, set()))

    def reconcile_quotas(self) -> None:
        """Periodic: free slots of tasks the ledger knows finished, or whose worker died.
        Slots of tasks the ledger does not know yet (just submitted) are left alone."""
        real = self._real_open()
        for user in self.quotas.users():
            taken = self.quotas.open_ids(user)
            known = self.ledger.rows(taken)
            gone = [t for t in taken if t in known and t not in real.get(user, set())]
            self.quotas.release(gone)

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


def _refuse_anonymous(request: Request, services: Services, detail: str) -> NoReturn:
    """A failed authentication counts against the address's auth limit, then answers 401."""
    ip = client_ip(request)
    decision = services.limiter.check(f"ip:{ip}", "anonymous", "auth", ip, None)
    if not decision.allowed:
        services.metrics.rejections.labels("anonymous", "auth").inc()
        raise TooManyRequests(
            "rate_limited",
            f"too many failed authentications from {ip}; try again in {decision.reset_s:.0f} s",
            decision.headers(),
            {"key": f"ip:{ip}", "tier": "anonymous", "endpoint": "auth", "limit": decision.limit,
             "retry_after_s": round(decision.reset_s, 3)},
        )  # fmt: skip
    raise HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _refuse_anonymous(request, services, "send your token as 'Authorization: Bearer <token>'")
    principal = services.tokens.authenticate(token.strip())
    if principal is None:
        _refuse_anonymous(request, services, "this token is not known to the backend")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(role: str) -> Any:
    def check(who: CurrentUser) -> Principal:
        if not who.may(role):
            raise HTTPException(
                403, f"this needs the {role} role; {who.user} has the {who.role} role"
            )
        return who

    return Depends(check)


SupportUser = Annotated[Principal, require("support")]
AdminUser = Annotated[Principal, require("admin")]
