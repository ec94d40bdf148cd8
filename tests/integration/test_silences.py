"""Silences changed through the backend: admins only, validated, audited, then done in a real
Alertmanager (and refused requests leave it as it was); the console's client of these routes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.services.backend_client import BackendClient, BackendError
from console.services.silences_client import create_silence, expire_silence, extend_silence
from taskdeck_core.silence_types import SilenceMatcher
from taskdeck_dev.stack import running_alertmanager
from tests.conftest import ROOMY, TOKENS, Server, running_backend
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

PATH = "/api/v1/silences"


@pytest.fixture(scope="module")
def alertmanager(stack_dir: Path) -> Iterator[Server]:
    with running_alertmanager(stack_dir) as server:
        yield server


@pytest.fixture(scope="module")
def backend_env(alertmanager: Server) -> dict[str, str]:
    return {**ROOMY, "TASKDECK_ALERTMANAGER_URL": alertmanager.url}


@pytest.fixture
def admin(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def body(marker: str, **changes: Any) -> dict[str, Any]:
    """A valid creation body whose matchers name ``marker``."""
    return {
        "matchers": [{"name": "alertname", "value": "QueueBacklog"},
                     {"name": "marker", "value": marker}],
        "ends_at": later(hours=1),
        "comment": f"maintenance of the ERP sync ({marker})",
        **changes,
    }  # fmt: skip


def am_silences(alertmanager: Server, marker: str) -> list[dict[str, Any]]:
    """Alertmanager's silences whose matchers name ``marker``."""
    reply = httpx.get(f"{alertmanager.url}/api/v2/silences", timeout=10)
    reply.raise_for_status()
    return [s for s in reply.json() if any(m["value"] == marker for m in s["matchers"])]


def am_silence(alertmanager: Server, silence_id: str) -> dict[str, Any]:
    reply = httpx.get(f"{alertmanager.url}/api/v2/silence/{silence_id}", timeout=10)
    reply.raise_for_status()
    answer: dict[str, Any] = reply.json()
    return answer


def audit(client: httpx.Client, action: str, audit_id: int) -> dict[str, Any]:
    reply = client.get("/api/v1/audit", params={"action": action})
    assert reply.status_code == 200, reply.text
    entries = {e["id"]: e for e in reply.json()["items"]}
    assert all(e["action"] == action for e in entries.values())
    return entries[audit_id]


def created(client: httpx.Client, marker: str) -> str:
    reply = client.post(PATH, json=body(marker))
    assert reply.status_code == 200, reply.text
    return str(reply.json()["silence_id"])


def test_an_admin_creates_a_silence_seen_in_alertmanager_and_audited(
    admin: httpx.Client, alertmanager: Server
) -> None:
    marker = uuid.uuid4().hex
    ends_at = later(hours=2)
    reply = admin.post(PATH, json=body(marker, ends_at=ends_at))
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["created_by"] == "admin-user"
    [silence] = am_silences(alertmanager, marker)
    assert silence["id"] == answer["silence_id"]
    assert silence["createdBy"] == "admin-user"
    assert silence["comment"] == f"maintenance of the ERP sync ({marker})"
    assert silence["status"]["state"] == "active"
    assert abs(datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(ends_at)) < (
        timedelta(seconds=1)
    )
    entry = audit(admin, "silence_create", answer["audit_id"])
    assert (entry["user"], entry["role"], entry["status"]) == ("admin-user", "admin", "ok")
    assert entry["reason"] == f"maintenance of the ERP sync ({marker})"
    assert marker in entry["targets"][0] and "alertname=" in entry["targets"][0]
    assert entry["request"]["matchers"][1]["value"] == marker
    assert entry["outcome"]["silence_id"] == answer["silence_id"]


def test_extend_makes_the_silence_end_later_in_alertmanager(
    admin: httpx.Client, alertmanager: Server
) -> None:
    marker = uuid.uuid4().hex
    silence_id = created(admin, marker)
    ends_at = later(hours=5)
    reply = admin.post(f"{PATH}/{silence_id}/extend", json={"ends_at": ends_at,
                                                             "reason": "takes longer"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["previous_id"] == silence_id
    # An active silence whose start and matchers stay is changed in place: same id.
    assert answer["silence_id"] == silence_id
    [silence] = [s for s in am_silences(alertmanager, marker) if s["status"]["state"] == "active"]
    assert silence["id"] == answer["silence_id"]
    assert abs(datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(ends_at)) < (
        timedelta(seconds=1)
    )
    assert silence["createdBy"] == "admin-user"  # its creator still
    entry = audit(admin, "silence_extend", answer["audit_id"])
    assert (entry["user"], entry["reason"], entry["status"]) == ("admin-user", "takes longer", "ok")
    assert entry["targets"] == [silence_id]
    # not later than the current end: refused, the silence unchanged
    reply = admin.post(f"{PATH}/{silence_id}/extend", json={"ends_at": later(hours=3),
                                                             "reason": "shorter"})  # fmt: skip
    assert reply.status_code == 422
    assert "later than the silence's current end" in reply.json()["detail"]
    end = datetime.fromisoformat(silence["endsAt"].replace("Z", "+00:00")).astimezone(UTC)
    assert f"({end:%Y-%m-%d %H:%M:%S} UTC)" in reply.json()["detail"]  # as people read it
    assert am_silence(alertmanager, silence_id)["endsAt"] == silence["endsAt"]


def test_a_silence_that_has_not_started_keeps_its_id_and_start_when_extended(
    admin: httpx.Client, alertmanager: Server
) -> None:
    marker = uuid.uuid4().hex
    reply = admin.post(PATH, json=body(marker, starts_at=later(hours=1), ends_at=later(hours=2)))
    assert reply.status_code == 200, reply.text
    silence_id = reply.json()["silence_id"]
    assert am_silence(alertmanager, silence_id)["status"]["state"] == "pending"
    starts = am_silence(alertmanager, silence_id)["startsAt"]
    reply = admin.post(f"{PATH}/{silence_id}/extend", json={"ends_at": later(hours=4),
                                                             "reason": "longer window"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert reply.json()["silence_id"] == silence_id
    assert am_silence(alertmanager, silence_id)["startsAt"] == starts
    assert len(am_silences(alertmanager, marker)) == 1


def test_expire_ends_the_silence_and_an_expired_one_is_refused(
    admin: httpx.Client, alertmanager: Server
) -> None:
    marker = uuid.uuid4().hex
    silence_id = created(admin, marker)
    reply = admin.post(f"{PATH}/{silence_id}/expire", json={"reason": "maintenance done"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["silence_id"] == silence_id
    assert am_silence(alertmanager, silence_id)["status"]["state"] == "expired"
    entry = audit(admin, "silence_expire", reply.json()["audit_id"])
    assert (entry["targets"], entry["reason"], entry["status"]) == (
        [silence_id],
        "maintenance done",
        "ok",
    )
    for action, extra in (("expire", {}), ("extend", {"ends_at": later(hours=1)})):
        reply = admin.post(f"{PATH}/{silence_id}/{action}", json={"reason": "again", **extra})
        assert reply.status_code == 409, reply.text
        assert reply.json()["error"] == "conflict"
        assert "expired already" in reply.json()["detail"]
    assert len(am_silences(alertmanager, marker)) == 1


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"comment": None}, "comment"),
        ({"comment": "   "}, "a comment is required"),
        ({"comment": "x" * 1001}, "comment"),
        ({"ends_at": later(minutes=-5)}, "must be in the future"),
        ({"ends_at": later(days=91)}, "at most 90 days ahead"),
        ({"starts_at": later(hours=2), "ends_at": later(hours=1)}, "after starts_at"),
        ({"ends_at": "2030-01-01T00:00:00"}, "timezone"),
        ({"matchers": []}, "matchers"),
        (
            {"matchers": [{"name": "queue", "value": "erp_(sync", "is_regex": True}]},
            "not a regular expression",
        ),
        ({"matchers": [{"name": "bad-name", "value": "x"}]}, "matchers.0.name"),
    ],
)
def test_an_invalid_silence_is_refused_and_nothing_is_created(
    admin: httpx.Client, alertmanager: Server, change: dict[str, Any], said: str
) -> None:
    marker = uuid.uuid4().hex
    sent = {k: v for k, v in body(marker, **change).items() if v is not None}
    reply = admin.post(PATH, json=sent)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"] == "invalid_request"
    assert said in reply.json()["detail"]
    assert am_silences(alertmanager, marker) == []


def test_alertmanager_refusing_a_silence_answers_422_with_its_reason(
    admin: httpx.Client, alertmanager: Server
) -> None:
    # Alertmanager takes no silence whose matchers all match the empty value.
    reply = admin.post(PATH, json=body("x", matchers=[{"name": "queue", "value": ".*",
                                                       "is_regex": True}]))  # fmt: skip
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"] == "alertmanager_refused"
    assert "Alertmanager refused" in reply.json()["detail"]
    entry = audit(admin, "silence_create", admin.get("/api/v1/audit").json()["items"][0]["id"])
    assert entry["status"] == "failed"


def test_unknown_or_malformed_silence_ids_are_refused(admin: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    for action, extra in (("expire", {}), ("extend", {"ends_at": later(hours=1)})):
        reply = admin.post(f"{PATH}/{unknown}/{action}", json={"reason": "r", **extra})
        assert reply.status_code == 404, reply.text
        assert unknown in reply.json()["detail"]
        reply = admin.post(f"{PATH}/not-an-id/{action}", json={"reason": "r", **extra})
        assert reply.status_code == 422, reply.text


@pytest.mark.parametrize("role", ["support", "viewer"])
def test_only_admins_change_silences(
    backend: Server, admin: httpx.Client, alertmanager: Server, role: str
) -> None:
    marker = uuid.uuid4().hex
    silence_id = created(admin, marker)
    with api(backend.url, role) as client:
        assert client.post(PATH, json=body(marker)).status_code == 403
        for action, extra in (("expire", {}), ("extend", {"ends_at": later(hours=3)})):
            reply = client.post(f"{PATH}/{silence_id}/{action}", json={"reason": "r", **extra})
            assert reply.status_code == 403, reply.text
    [silence] = am_silences(alertmanager, marker)
    assert silence["status"]["state"] == "active"
    assert abs(datetime.fromisoformat(silence["endsAt"]) - datetime.now(UTC)) < timedelta(hours=2)


def test_an_unconfigured_backend_answers_503_saying_what_to_set(backend_server: Server) -> None:
    with api(backend_server.url, "admin") as client:
        reply = client.post(PATH, json=body("x"))
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"] == "alertmanager_not_configured"
        assert "TASKDECK_ALERTMANAGER_URL" in reply.json()["detail"]
        reply = client.post(f"{PATH}/{uuid.uuid4()}/expire", json={"reason": "r"})
        assert reply.json()["error"] == "alertmanager_not_configured"


def test_a_stopped_alertmanager_answers_503_and_the_audit_says_failed(
    tmp_path: Path, broker: Server
) -> None:
    with running_alertmanager(tmp_path) as am, running_backend(
        tmp_path, broker.url, {**ROOMY, "TASKDECK_ALERTMANAGER_URL": am.url}
    ) as backend, api(backend.url, "admin") as client:  # fmt: skip
        silence_id = created(client, "before-the-stop")
        am.proc.stop()
        reply = client.post(PATH, json=body("after-the-stop"))
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"] == "alertmanager_unavailable"
        assert int(reply.headers["Retry-After"]) > 0
        entry = client.get("/api/v1/audit", params={"action": "silence_create"}).json()["items"][0]
        assert entry["status"] == "failed"
        assert entry["outcome"]["error"] == "alertmanager_unavailable"
        assert "after-the-stop" in entry["targets"][0]
        reply = client.post(f"{PATH}/{silence_id}/expire", json={"reason": "r"})
        assert reply.status_code == 503
        assert reply.json()["error"] == "alertmanager_unavailable"


def test_a_silence_sent_to_a_hung_alertmanager_is_told_as_maybe_made_not_failed(
    tmp_path: Path, broker: Server
) -> None:
    env = {**ROOMY, "TASKDECK_ALERTMANAGER_TIMEOUT_S": "1"}
    with running_alertmanager(tmp_path) as am, running_backend(
        tmp_path, broker.url, {**env, "TASKDECK_ALERTMANAGER_URL": am.url}
    ) as backend, api(backend.url, "admin") as client:  # fmt: skip
        silence_id = created(client, "before-the-hang")
        os.killpg(am.proc.pid, signal.SIGSTOP)
        try:
            reply = client.post(PATH, json=body("during-the-hang"))
            expiry = client.post(f"{PATH}/{silence_id}/expire", json={"reason": "r"})
        finally:
            os.killpg(am.proc.pid, signal.SIGCONT)
        assert reply.status_code == 504, reply.text
        assert reply.json()["error"] == "alertmanager_timeout"
        assert "may have been made" in reply.json()["detail"]
        assert "silences list" in reply.json()["detail"]
        entry = client.get("/api/v1/audit", params={"action": "silence_create"}).json()["items"][0]
        assert "during-the-hang" in entry["targets"][0]
        assert (entry["status"], entry["outcome"]["error"]) == ("unknown", "alertmanager_timeout")
        # The expiry could not even read the silence first: nothing was sent, nothing changed.
        assert expiry.status_code == 503, expiry.text
        assert expiry.json()["error"] == "alertmanager_unavailable"
        # Resumed, Alertmanager makes the silence it was sent: "may have been made" was right.
        wait_for(lambda: am_silences(am, "during-the-hang"), 10, "the silence sent in the hang")


class HeldReply:
    """A loopback relay to Alertmanager that can keep back the answer to one change (a POST
    or DELETE): Alertmanager does it, the backend hears nothing back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.hold = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                near, _ = self.listener.accept()
                far = socket.create_connection(("127.0.0.1", self.port))
                changing = threading.Event()
                threading.Thread(target=self._ask, args=(near, far, changing), daemon=True).start()
                threading.Thread(target=self._tell, args=(far, near, changing), daemon=True).start()

    def _ask(self, near: socket.socket, far: socket.socket, changing: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while chunk := near.recv(65536):
                if chunk[:1].isupper():  # a request begins with its method
                    (changing.set if chunk.startswith((b"POST", b"DELETE")) else changing.clear)()
                far.sendall(chunk)
        far.close()

    def _tell(self, far: socket.socket, near: socket.socket, changing: threading.Event) -> None:
        held = False
        with contextlib.suppress(OSError):
            while chunk := far.recv(65536):
                if not held and changing.is_set() and self.hold.is_set():
                    self.hold.clear()
                    held = True  # this connection's answers are kept back from now on
                if not held:
                    near.sendall(chunk)
        near.close()

    def close(self) -> None:
        self.listener.close()


def test_a_change_made_without_an_answer_in_time_is_found_and_answered_as_made(
    tmp_path: Path, broker: Server, alertmanager: Server
) -> None:
    relay = HeldReply(alertmanager.port)
    env = {**ROOMY, "TASKDECK_ALERTMANAGER_URL": relay.url, "TASKDECK_ALERTMANAGER_TIMEOUT_S": "1"}
    marker = uuid.uuid4().hex
    try:
        with running_backend(tmp_path, broker.url, env) as backend, api(
            backend.url, "admin"
        ) as client:  # fmt: skip
            relay.hold.set()
            reply = client.post(PATH, json=body(marker))
            assert not relay.hold.is_set()  # the answer was kept back
            assert reply.status_code == 200, reply.text
            [silence] = am_silences(alertmanager, marker)  # made once, and found
            assert reply.json()["silence_id"] == silence["id"]
            entry = audit(client, "silence_create", reply.json()["audit_id"])
            assert (entry["status"], entry["outcome"]["silence_id"]) == ("ok", silence["id"])
            relay.hold.set()
            reply = client.post(f"{PATH}/{silence['id']}/extend",
                                json={"ends_at": later(hours=3), "reason": "longer"})  # fmt: skip
            assert not relay.hold.is_set()
            assert reply.status_code == 200, reply.text
            assert reply.json()["silence_id"] == silence["id"]
            assert audit(client, "silence_extend", reply.json()["audit_id"])["status"] == "ok"
            relay.hold.set()
            reply = client.post(f"{PATH}/{silence['id']}/expire", json={"reason": "done"})
            assert not relay.hold.is_set()
            assert reply.status_code == 200, reply.text
            assert am_silence(alertmanager, silence["id"])["status"]["state"] == "expired"
            assert audit(client, "silence_expire", reply.json()["audit_id"])["status"] == "ok"
    finally:
        relay.close()


def test_a_url_that_is_no_alertmanager_answers_502(
    tmp_path: Path, broker: Server, backend: Server
) -> None:
    env = {**ROOMY, "TASKDECK_ALERTMANAGER_URL": backend.url}  # another backend: no such API
    with running_backend(tmp_path, broker.url, env) as misled, api(misled.url) as client:
        reply = client.post(PATH, json=body("misled"))
        assert reply.status_code == 502, reply.text
        assert reply.json()["error"] == "alertmanager_error"
        assert "TASKDECK_ALERTMANAGER_URL" in reply.json()["detail"]


def test_the_console_client_creates_extends_and_expires(
    backend: Server, alertmanager: Server
) -> None:
    marker = uuid.uuid4().hex

    async def run() -> None:
        client = BackendClient(backend.url, TOKENS["admin"])
        try:
            made = await create_silence(
                client,
                [SilenceMatcher(name="alertname", value="QueueBacklog"),
                 {"name": "marker", "value": marker}],
                datetime.now(UTC) + timedelta(hours=1), "console check",
            )  # fmt: skip
            assert am_silence(alertmanager, made.silence_id)["comment"] == "console check"
            longer = await extend_silence(
                client, made.silence_id, datetime.now(UTC) + timedelta(hours=2), "longer"
            )
            assert longer.previous_id == made.silence_id
            gone = await expire_silence(client, longer.silence_id, "done")
            assert am_silence(alertmanager, gone.silence_id)["status"]["state"] == "expired"
            with pytest.raises(BackendError) as refused:
                await expire_silence(client, gone.silence_id, "again")
            assert refused.value.status == 409
        finally:
            await client.aclose()

    asyncio.run(run())
