"""/api/v1/quotas: per-user usage, limits and drift; admins change limits and reconcile."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.limits import LimitedAdmin
from backend.api.schemas import QuotaBody, Reasoned
from backend.services.quotas import QuotaError, check_user

router = APIRouter(prefix="/api/v1/quotas", tags=["quotas"])
UserPath = Annotated[str, Path(min_length=1, max_length=200)]


def _user(user: str) -> str:
    try:
        return check_user(user)
    except QuotaError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("")
async def list_quotas(services: ServicesDep, who: CurrentUser) -> list[dict[str, Any]]:
    return await asyncio.to_thread(services.quota_rows)


@router.put("/{user}")
def set_limit(
    user: UserPath, body: QuotaBody, services: ServicesDep, who: LimitedAdmin
) -> dict[str, Any]:
    _user(user)
    audit_id = services.audit.begin(
        who, "quota_limit", [user], 1, body.reason, {"limit": body.limit, "reason": body.reason}
    )
    try:
        old = services.quotas.set_limit(user, body.limit)
    except QuotaError as exc:  # checked by the schema already; kept for direct callers
        services.audit.finish(audit_id, "failed", {"error": str(exc)})
        raise HTTPException(422, str(exc)) from None
    answer = {"user": user, "limit": body.limit, "previous_limit": old}
    services.audit.finish(audit_id, "ok", answer)
    return {**answer, "audit_id": audit_id}


@router.post("/{user}/reconcile")
def reconcile(
    user: UserPath, body: Reasoned, services: ServicesDep, who: LimitedAdmin
) -> dict[str, Any]:
    _user(user)
    audit_id = services.audit.begin(
        who, "quota_reconcile", [user], 1, body.reason, {"reason": body.reason}
    )
    changed = services.reconcile_quota(user)
    row = next((r for r in services.quota_rows() if r["user"] == user), None)
    answer = {
        "user": user,
        **changed,
        "used": row["used"] if row else 0,
        "drift": row["drift"] if row else 0,
    }
    services.audit.finish(audit_id, "ok", answer)
    return {**answer, "audit_id": audit_id}
