"""/api/v1/silences: an admin creates, extends and expires Alertmanager's silences, audited.

The console reads alerts and silences from Alertmanager itself; changes come here, so
each is authenticated, allowed to admins only, validated, and recorded in the audit log
before Alertmanager is asked (Alertmanager keeps no history of who did what). The entry
is finished "ok" with what Alertmanager answered, or "failed" with why. A change sent that
Alertmanager does not answer in time may have been made: the backend reads Alertmanager once
more and answers as it finds (made: ok; not made: failed); when that read is not answered
either, it answers 504 alertmanager_timeout and finishes the entry "unknown". A request refused
before Alertmanager is asked to change anything (invalid, unknown or expired silence,
Alertmanager not configured or unreachable while the silence is read) leaves no entry.

Audit entries: ``silence_create`` targets the matchers' text (the silence has no id until
Alertmanager answers; the id is in the outcome); ``silence_extend`` and ``silence_expire``
target the silence id asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse

from backend.api.body import json_body
from backend.api.deps import Services, ServicesDep
from backend.api.errors import AUTHENTICATED, answers, error
from backend.api.limits import LIMITED_ADMIN, LimitedAdmin
from backend.api.silence_schemas import (
    SilenceCreateBody,
    SilenceExpireBody,
    SilenceExtendBody,
    now,
)
from backend.services.alertmanager import RETRY_S, TIMED_OUT, AlertmanagerError, iso
from backend.services.auth import Principal
from taskdeck_core.api_types import ErrorBody
from taskdeck_core.silence_types import (
    SILENCE_ID_PATTERN,
    SilenceCreated,
    SilenceExpired,
    SilenceExtended,
    SilenceMatcher,
    matchers_text,
)

router = APIRouter(prefix="/api/v1/silences", tags=["silences"])
SilencePath = Annotated[
    str, Path(pattern=SILENCE_ID_PATTERN, description="Alertmanager's id of the silence")
]
CreateIn = Annotated[SilenceCreateBody, json_body(SilenceCreateBody, LIMITED_ADMIN)]
ExtendIn = Annotated[SilenceExtendBody, json_body(SilenceExtendBody, LIMITED_ADMIN)]
ExpireIn = Annotated[SilenceExpireBody, json_body(SilenceExpireBody, LIMITED_ADMIN)]

_ALERTMANAGER_ANSWERS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "A field is invalid (detail names it and why), or Alertmanager refused "
        "the silence (alertmanager_refused, with its text).",
    },
    502: {
        "model": ErrorBody,
        "description": "Alertmanager failed (alertmanager_error): its answer is in detail.",
    },
    504: {
        "model": ErrorBody,
        "description": "Alertmanager got the change but did not answer in time, nor when "
        "asked again (alertmanager_timeout): it may have been made; look at its silences "
        "before trying again. The audit entry says unknown.",
    },
    503: {
        "model": ErrorBody,
        "description": "No Alertmanager is configured (alertmanager_not_configured: set "
        "TASKDECK_ALERTMANAGER_URL), or it cannot be reached in time (alertmanager_unavailable: "
        "try again after Retry-After seconds).",
        "headers": {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}
        },
    },
}
CREATE_ANSWERS = {**answers(*AUTHENTICATED, 400, 403), **_ALERTMANAGER_ANSWERS}
CHANGE_ANSWERS = {**answers(*AUTHENTICATED, 400, 403, 404, 409), **_ALERTMANAGER_ANSWERS}


async def alertmanager_error(_req: Request, exc: Exception) -> JSONResponse:
    """The answer to an AlertmanagerError (installed by the app)."""
    assert isinstance(exc, AlertmanagerError)
    response = error(exc.status, exc.code, exc.detail)
    if exc.retry_after_s is not None:
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _matcher(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": raw["name"],
        "value": raw["value"],
        "isRegex": raw.get("isRegex", False),
        "isEqual": raw.get("isEqual", True),
    }


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def readable(value: str) -> str:
    """An Alertmanager time as people read it: "2026-11-24 07:12:48 UTC"."""
    try:
        return _at(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return value


async def _current(services: Services, silence_id: str) -> dict[str, Any]:
    """The silence as Alertmanager holds it; 404 unknown, 409 already expired."""
    silence = await services.alertmanager.silence(silence_id)
    if silence is None:
        raise HTTPException(404, f"Alertmanager has no silence {silence_id}")
    if silence.get("status", {}).get("state") == "expired":
        raise HTTPException(
            409, f"silence {silence_id} has expired already (it ended "
            f"{readable(str(silence.get('endsAt')))}); "
            "create a new one",
        )  # fmt: skip
    return silence


async def _act(
    services: Services, audit_id: int, call: Awaitable[Any],
    look: Callable[[], Awaitable[Any]], what: str,
) -> Any:  # fmt: skip
    """Await ``call``; a failure finishes the audit entry as failed, with its error. When
    Alertmanager got the change but did not answer (it may have been made), ``look()`` asks
    it once more what came of it: not None, the change was made (its answer is returned);
    None, it was not (failed, 503). If that is not answered either: 504, entry "unknown"."""
    try:
        return await call
    except AlertmanagerError as exc:
        if exc.code != TIMED_OUT:
            await _failed(services, audit_id, exc)
            raise
        sent = exc
    try:
        found = await look()
    except AlertmanagerError as exc:
        unknown = AlertmanagerError(
            504, TIMED_OUT,
            f"{sent.detail}, and did not answer when asked again ({exc.detail}). The {what} "
            "may have been made: look at the silences list before trying again",
        )  # fmt: skip
        await asyncio.to_thread(
            services.audit.finish, audit_id, "unknown",
            {"error": TIMED_OUT, "detail": unknown.detail},
        )  # fmt: skip
        raise unknown from None
    if found is None:
        refused = AlertmanagerError(
            503, "alertmanager_unavailable",
            f"{sent.detail}; asked again, it shows it was not: nothing was changed; try again "
            f"in {RETRY_S} s",
            RETRY_S,
        )  # fmt: skip
        await _failed(services, audit_id, refused)
        raise refused
    return found


async def _failed(services: Services, audit_id: int, exc: AlertmanagerError) -> None:
    await asyncio.to_thread(
        services.audit.finish, audit_id, "failed", {"error": exc.code, "detail": exc.detail}
    )


@router.post("", response_model=SilenceCreated, responses=CREATE_ANSWERS)
async def create_silence(
    body: CreateIn, services: ServicesDep, who: LimitedAdmin
) -> SilenceCreated:
    """Silence the alerts that match every matcher, from starts_at (default now) to ends_at.
    Alertmanager shows the caller as its creator, with the comment."""
    services.alertmanager.check_configured()
    starts_at = body.starts_at or now()
    text = matchers_text(body.matchers)
    audit_id = await _begin(
        services, who, "silence_create", text, body.comment,
        {"matchers": [m.model_dump() for m in body.matchers], "starts_at": iso(starts_at),
         "ends_at": iso(body.ends_at), "comment": body.comment},
    )  # fmt: skip
    silence = {
        "matchers": [_am_matcher(m) for m in body.matchers],
        "startsAt": iso(starts_at),
        "endsAt": iso(body.ends_at),
        "createdBy": who.user,
        "comment": body.comment,
    }
    sent_at = datetime.now(UTC)
    am = services.alertmanager
    silence_id = await _act(
        services, audit_id, am.post_silence(silence),
        lambda: am.find_silence(silence, sent_at), "silence",
    )  # fmt: skip
    answer = SilenceCreated(
        silence_id=silence_id, starts_at=starts_at, ends_at=body.ends_at, created_by=who.user,
        comment=body.comment, audit_id=audit_id,
    )  # fmt: skip
    await _finish(services, audit_id, answer)
    return answer


@router.post("/{silence_id}/extend", response_model=SilenceExtended, responses=CHANGE_ANSWERS)
async def extend_silence(
    silence_id: SilencePath, body: ExtendIn, services: ServicesDep, who: LimitedAdmin
) -> SilenceExtended:
    """Make the silence end later. Alertmanager keeps its id when it can change it in
    place; otherwise the silence in force has a new id (silence_id) and the old one
    (previous_id) is expired."""
    current = await _current(services, silence_id)
    old_end = _at(current["endsAt"])
    if body.ends_at <= old_end:
        raise HTTPException(
            422, f"ends_at: must be later than the silence's current end "
            f"({readable(current['endsAt'])})",
        )  # fmt: skip
    audit_id = await _begin(
        services, who, "silence_extend", silence_id, body.reason,
        {"ends_at": iso(body.ends_at), "previous_ends_at": current["endsAt"],
         "reason": body.reason},
    )  # fmt: skip
    update = {
        "id": silence_id,
        "matchers": [_matcher(m) for m in current["matchers"]],
        "startsAt": current["startsAt"],
        "endsAt": iso(body.ends_at),
        "createdBy": current["createdBy"],
        "comment": current["comment"],
    }
    sent_at = datetime.now(UTC)
    am = services.alertmanager
    new_id = await _act(
        services, audit_id, am.post_silence(update),
        lambda: am.find_silence(update, sent_at), "new end",
    )  # fmt: skip
    answer = SilenceExtended(
        silence_id=new_id, previous_id=silence_id, ends_at=body.ends_at, audit_id=audit_id
    )
    await _finish(services, audit_id, answer)
    return answer


@router.post("/{silence_id}/expire", response_model=SilenceExpired, responses=CHANGE_ANSWERS)
async def expire_silence(
    silence_id: SilencePath, body: ExpireIn, services: ServicesDep, who: LimitedAdmin
) -> SilenceExpired:
    """End the silence now: the alerts it matched notify again."""
    current = await _current(services, silence_id)
    audit_id = await _begin(
        services, who, "silence_expire", silence_id, body.reason,
        {"ends_at": current["endsAt"], "reason": body.reason},
    )  # fmt: skip
    am = services.alertmanager

    async def expired() -> bool | None:  # True when it is expired now
        now_held = await am.silence(silence_id)
        return True if now_held and now_held["status"].get("state") == "expired" else None

    if not await _act(services, audit_id, am.expire(silence_id), expired, "expiry"):
        await asyncio.to_thread(services.audit.finish, audit_id, "failed", {"error": "not_found"})
        raise HTTPException(404, f"Alertmanager has no silence {silence_id}")
    answer = SilenceExpired(silence_id=silence_id, audit_id=audit_id)
    await _finish(services, audit_id, answer)
    return answer


def _am_matcher(m: SilenceMatcher) -> dict[str, Any]:
    return {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}


async def _begin(
    services: Services, who: Principal, action: str, target: str, reason: str,
    request: dict[str, Any],
) -> int:  # fmt: skip
    return await asyncio.to_thread(services.audit.begin, who, action, [target], 1, reason, request)


async def _finish(services: Services, audit_id: int, answer: Any) -> None:
    outcome = answer.model_dump(mode="json", exclude={"audit_id"})
    await asyncio.to_thread(services.audit.finish, audit_id, "ok", outcome)
