"""/api/v1/quotas: per-user usage, limits and drift; admins change limits and reconcile."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from backend.api.body import json_body
from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.limits import LIMITED_ADMIN, LimitedAdmin
from backend.api.schemas import USER_PATTERN, QuotaBody, Reasoned
from backend.services.quotas import QuotaError, check_user
from taskdeck_core.api_types import QuotaLimitChanged, QuotaReconciled, QuotaRow

router = APIRouter(prefix="/api/v1/quotas", tags=["quotas"])
UserPath = Annotated[str, Path(min_length=1, max_length=100, pattern=USER_PATTERN)]
CHANGE_ANSWERS = answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 422)
QuotaIn = Annotated[QuotaBody, json_body(QuotaBody, LIMITED_ADMIN)]
ReasonIn = Annotated[Reasoned, json_body(Reasoned, LIMITED_ADMIN)]


def _user(user: str) -> str:
    try:
        return check_user(user)
    except QuotaError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("", response_model=list[QuotaRow], responses=answers(*AUTHENTICATED, UNAVAILABLE))
async def list_quotas(services: ServicesDep, who: CurrentUser) -> list[QuotaRow]:
    """Every user with a slot or a limit: slots used, the limit, and drift from the ledger."""
    return await asyncio.to_thread(services.quota_reconcile.rows)


@router.put("/{user}", response_model=QuotaLimitChanged, responses=CHANGE_ANSWERS)
def set_limit(
    user: UserPath, body: QuotaIn, services: ServicesDep, who: LimitedAdmin
) -> QuotaLimitChanged:
    """Set how many tasks the user may have queued or running at once."""
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
    return QuotaLimitChanged(user=user, limit=body.limit, previous_limit=old, audit_id=audit_id)


@router.post("/{user}/reconcile", response_model=QuotaReconciled, responses=CHANGE_ANSWERS)
def reconcile(
    user: UserPath, body: ReasonIn, services: ServicesDep, who: LimitedAdmin
) -> QuotaReconciled:
    """Make the user's slots exactly their open tasks in the ledger."""
    _user(user)
    audit_id = services.audit.begin(
        who, "quota_reconcile", [user], 1, body.reason, {"reason": body.reason}
    )
    changed = services.quota_reconcile.reconcile_user(user)
    row = services.quota_reconcile.row(user)
    answer = QuotaReconciled(
        user=user, released=changed["released"], added=changed["added"],
        used=row.used if row else 0, drift=row.drift if row else 0, audit_id=audit_id,
    )  # fmt: skip
    services.audit.finish(audit_id, "ok", answer.model_dump(exclude={"audit_id"}))
    return answer
