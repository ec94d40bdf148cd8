"""Typed dependencies of the routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

import redis
import redis.asyncio as aioredis
from celery import Celery
from fastapi import Depends, HTTPException, Request

from backend.config import Settings
from backend.services.actions import Actions
from backend.services.audit import AuditLog
from backend.services.auth import Principal, TokenStore
from backend.services.broker import BrokerQueues
from backend.services.events_source import EventIngestor, SourceChooser
from backend.services.ingest import StreamIngestor
from backend.services.ledger import Ledger
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


def current_user(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401,
            "send your token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = services.tokens.authenticate(token.strip())
    if principal is None:
        raise HTTPException(
            401, "this token is not known to the backend", headers={"WWW-Authenticate": "Bearer"}
        )
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
