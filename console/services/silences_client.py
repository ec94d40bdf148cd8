"""The backend's silence routes, for the Alerts page. No Qt here.

The console reads alerts and silences from Alertmanager itself; every change goes through
the backend, which allows it to admins only and records it in its audit log. Each function
takes the console's BackendClient and goes through its one request path (``call``), so
failures raise BackendError with the backend's own explanation (e.g. 503
alertmanager_not_configured or alertmanager_unavailable, 409 for an expired silence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter

from console.services.backend_client import BackendClient
from taskdeck_core.silence_types import (
    SilenceCreated,
    SilenceExpired,
    SilenceExtended,
    SilenceMatcher,
)

PATH = "/api/v1/silences"
_CREATED = TypeAdapter(SilenceCreated)
_EXTENDED = TypeAdapter(SilenceExtended)
_EXPIRED = TypeAdapter(SilenceExpired)


def _silence_path(silence_id: str) -> str:
    return f"{PATH}/{quote(silence_id, safe='')}"


def _matcher(matcher: SilenceMatcher | Mapping[str, Any]) -> dict[str, Any]:
    """A matcher as the backend takes it; a mapping is checked as a SilenceMatcher first."""
    model = matcher if isinstance(matcher, SilenceMatcher) else SilenceMatcher(**matcher)
    return model.model_dump()


async def create_silence(
    client: BackendClient,
    matchers: Sequence[SilenceMatcher | Mapping[str, Any]],
    ends_at: datetime,
    comment: str,
    starts_at: datetime | None = None,
) -> SilenceCreated:
    """Silence the alerts matching every matcher until ``ends_at`` (admin); Alertmanager shows
    the signed-in user as its creator, with ``comment``. A time without a zone is local."""
    body: dict[str, Any] = {
        "matchers": [_matcher(m) for m in matchers],
        "ends_at": ends_at.astimezone().isoformat(),
        "comment": comment,
    }
    if starts_at is not None:
        body["starts_at"] = starts_at.astimezone().isoformat()
    return await client.call(_CREATED, "POST", PATH, json=body)


async def extend_silence(
    client: BackendClient, silence_id: str, ends_at: datetime, reason: str
) -> SilenceExtended:
    """Make the silence end at ``ends_at`` (admin); the answer's ``silence_id`` is the one now
    in force (Alertmanager may give the silence a new id)."""
    body = {"ends_at": ends_at.astimezone().isoformat(), "reason": reason}
    return await client.call(_EXTENDED, "POST", _silence_path(silence_id) + "/extend", json=body)


async def expire_silence(client: BackendClient, silence_id: str, reason: str) -> SilenceExpired:
    """End the silence now (admin)."""
    return await client.call(
        _EXPIRED, "POST", _silence_path(silence_id) + "/expire", json={"reason": reason}
    )
