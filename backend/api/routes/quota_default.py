"""/api/v1/quota-default: the limit of every user without a limit of their own.

Its own path: under /api/v1/quotas/ every name is a user's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException

from backend.api.body import json_body
from backend.api.deps import CurrentUser, ServicesDep
from backend.api.errors import AUTHENTICATED, UNAVAILABLE, answers
from backend.api.limits import LIMITED_ADMIN, LimitedAdmin
from backend.api.schemas import QuotaBody
from backend.services.quotas import QuotaError
from taskdeck_core.api_types import QuotaDefault, QuotaDefaultChanged

router = APIRouter(prefix="/api/v1/quota-default", tags=["quotas"])
QuotaIn = Annotated[QuotaBody, json_body(QuotaBody, LIMITED_ADMIN)]


@router.get("", response_model=QuotaDefault, responses=answers(*AUTHENTICATED, UNAVAILABLE))
def get_default(services: ServicesDep, who: CurrentUser) -> QuotaDefault:
    """The default limit in force, the backend's setting, and whether an admin changed it."""
    limit, changed = services.quotas.default()
    return QuotaDefault(limit=limit, setting=services.quotas.setting, changed=changed)


@router.put(
    "",
    response_model=QuotaDefaultChanged,
    responses=answers(*AUTHENTICATED, UNAVAILABLE, 400, 403, 422),
)
def set_default(body: QuotaIn, services: ServicesDep, who: LimitedAdmin) -> QuotaDefaultChanged:
    """Set the limit of every user without a limit of their own, for every backend instance
    (kept in Redis; it replaces the setting TASKDECK_QUOTA_DEFAULT until changed again)."""
    audit_id = services.audit.begin(
        who, "quota_default", ["*"], 1, body.reason, {"limit": body.limit, "reason": body.reason}
    )
    try:
        old = services.quotas.set_default(body.limit)
    except QuotaError as exc:  # checked by the schema already; kept for direct callers
        services.audit.finish(audit_id, "failed", {"error": str(exc)})
        raise HTTPException(422, str(exc)) from None
    services.audit.finish(audit_id, "ok", {"limit": body.limit, "previous_limit": old})
    return QuotaDefaultChanged(limit=body.limit, previous_limit=old, audit_id=audit_id)
