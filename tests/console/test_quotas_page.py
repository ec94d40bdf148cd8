"""The Quotas page as an admin uses it, against a real broker, worker and backend: change a
user's limit and see the next submission refused or accepted, reconcile drift away, and
see what the backend says when it refuses. A viewer sees the changes offered to admins
only. What the page shows is checked against GET /api/v1/quotas.

The module has its own broker, backend and a slow worker on ``data_sync`` (a task runs
for 10 s or more); nothing consumes ``scheduled``, so what is sent there waits. Each test
has users of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from celery import Celery
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from backend.services.quotas import OPEN_PREFIX, OWNER_KEY, USERS_KEY
from console.controllers.quotas_controller import QuotasController
from console.models.format import number
from console.models.quotas_table_model import (
    COL_DRIFT,
    COL_QUEUED,
    COL_RUNNING,
    COL_USAGE,
    QuotasTableModel,
    QuotaView,
)
from console.services.backend_client import BackendClient
from console.views.quotas_page import QuotaDialog, QuotasPage
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, TOKENS, Server
from tests.console.conftest import run_coro
from tests.fault_proxy import Fault, FaultProxy
from tests.helpers import api

pytestmark = pytest.mark.integration
WAIT_MS = 30_000
SYNC = "data_sync.sync_single_file"
SLOW = {**FAST_WORKLOAD, "TASKDECK_WORKLOAD_SPEED": "0.02"}  # a task runs for 10 s or more


@pytest.fixture(scope="module")
def worker(stack_dir: Any, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "quotasworker", concurrency=1,
                        queues="data_sync", env=SLOW)  # fmt: skip
    yield proc
    proc.stop()


@pytest.fixture
def admin_api(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url) as client:
        yield client


class Opened:
    def __init__(self, page: QuotasPage, controller: QuotasController, client: BackendClient):
        self.page, self.controller, self.client = page, controller, client


@pytest.fixture
def opened(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess
) -> Iterator[Any]:
    """Opens the page on the module's backend with a role's token (closed after the test)."""
    made: list[Opened] = []

    def open_as(role: str) -> Opened:
        client = BackendClient(backend.url, TOKENS[role])
        page = QuotasPage(QuotasTableModel())
        qtbot.addWidget(page)
        page.resize(1200, 760)
        controller = QuotasController(client, None)
        page.attach(controller)
        page.set_role(role)
        page.show()
        controller.start()
        made.append(Opened(page, controller, client))
        return made[-1]

    yield open_as
    for one in made:
        run_coro(qtbot, one.controller.aclose())
        run_coro(qtbot, one.client.aclose())


def new_user(what: str) -> str:
    return f"{what}-{uuid.uuid4().hex[:6]}"


def submit(client: httpx.Client, user: str, queue: str = "scheduled") -> httpx.Response:
    return client.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user], "queue": queue,
              "user": user},
    )  # fmt: skip


def api_row(client: httpx.Client, user: str) -> dict[str, Any] | None:
    reply = client.get("/api/v1/quotas")
    assert reply.status_code == 200, reply.text
    return next((r for r in reply.json() if r["user"] == user), None)


def page_row(page: QuotasPage, user: str) -> QuotaView | None:
    return page.model.row_for(user)


def cell(page: QuotasPage, user: str, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    row = page.model.rows().index(page.model.row_for(user))  # type: ignore[arg-type]
    return page.model.index(row, column).data(role)


def shows_as_api(page: QuotasPage, client: httpx.Client, user: str) -> bool:
    shown, told = page_row(page, user), api_row(client, user)
    if shown is None or told is None:
        return False
    return (shown.used, shown.limit, shown.drift) == (told["used"], told["limit"], told["drift"])


def select_user(qtbot: QtBot, page: QuotasPage, user: str) -> None:
    qtbot.waitUntil(lambda: page_row(page, user) is not None, timeout=WAIT_MS)
    proxy = page.table.proxy
    index = next(proxy.index(r, 0) for r in range(proxy.rowCount())
                 if proxy.index(r, 0).data() == user)  # fmt: skip
    page.table.table.scrollTo(index)
    rect = page.table.table.visualRect(index)
    qtbot.mouseClick(page.table.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.user == user, timeout=5_000)


def open_dialog(qtbot: QtBot, page: QuotasPage, button: Any) -> QuotaDialog:
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=5_000)
    assert page.dialog is not None
    return page.dialog


def type_limit(qtbot: QtBot, dialog: QuotaDialog, text: str) -> None:
    dialog.limit.selectAll()
    qtbot.keyClicks(dialog.limit, text)


def confirm(qtbot: QtBot, dialog: QuotaDialog) -> str:
    assert dialog.confirm.isEnabled(), dialog.hint.text()
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.answer_text() != "", timeout=WAIT_MS)
    return dialog.answer_text()


def change_limit(qtbot: QtBot, page: QuotasPage, user: str, limit: int, reason: str) -> str:
    select_user(qtbot, page, user)
    dialog = open_dialog(qtbot, page, page.limit_button)
    type_limit(qtbot, dialog, str(limit))
    qtbot.keyClicks(dialog.reason, reason)
    answer = confirm(qtbot, dialog)
    dialog.reject()
    return answer


# -- limits -----------------------------------------------------------------------------


def test_an_admin_lowers_a_limit_and_the_next_submission_is_refused_then_raises_it(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client
) -> None:
    user = new_user("ann")
    running = submit(admin_api, user, queue="data_sync")
    assert running.status_code == 202, running.text
    for _ in range(2):
        assert submit(admin_api, user).status_code == 202
    page = opened("admin").page

    def counted() -> bool:
        row = page_row(page, user)
        return row is not None and (row.used, row.queued, row.running) == (3, 2, 1)

    qtbot.waitUntil(counted, timeout=WAIT_MS)
    assert cell(page, user, COL_USAGE) == f"3 / {number(10_000)}"
    assert (cell(page, user, COL_QUEUED), cell(page, user, COL_RUNNING)) == ("2", "1")
    assert shows_as_api(page, admin_api, user)
    # The user's tasks that hold slots are listed, newest first.
    qtbot.waitUntil(lambda: page.tasks.count() == 3, timeout=WAIT_MS)
    assert running.json()["task_id"] in page.tasks.item(2).text()

    answer = change_limit(qtbot, page, user, 3, "ann's batch is big enough")
    assert f"limit is now 3 (was {number(10_000)})" in answer
    assert api_row(admin_api, user)["limit"] == 3  # type: ignore[index]
    refused = submit(admin_api, user)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "quota_exceeded"
    qtbot.waitUntil(lambda: shows_as_api(page, admin_api, user) and
                    page_row(page, user).limit == 3, timeout=WAIT_MS)  # type: ignore[union-attr]  # fmt: skip
    assert page.result.text() == answer  # the page says what the change came to

    change_limit(qtbot, page, user, 4, "one more for ann")
    accepted = submit(admin_api, user)
    assert accepted.status_code == 202, accepted.text
    qtbot.waitUntil(lambda: (page_row(page, user) or QuotaView("", 0, 1, 0)).used == 4,
                    timeout=WAIT_MS)  # fmt: skip
    assert shows_as_api(page, admin_api, user)
    assert page_row(page, user).saturation == 1.0  # type: ignore[union-attr]


def test_an_admin_changes_the_default_limit_and_a_user_without_a_limit_is_held_to_it(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client
) -> None:
    page = opened("admin").page
    setting = admin_api.get("/api/v1/quota-default").json()["setting"]
    qtbot.waitUntil(lambda: page.default is not None, timeout=WAIT_MS)
    assert f"hold {number(setting)} slots" in page.default_note.text()
    try:
        dialog = open_dialog(qtbot, page, page.default_button)
        type_limit(qtbot, dialog, "2")
        qtbot.keyClicks(dialog.reason, "a quiet day for new users")
        answer = confirm(qtbot, dialog)
        dialog.reject()
        assert f"default limit is now 2 (was {number(setting)})" in answer
        told = admin_api.get("/api/v1/quota-default").json()
        assert (told["limit"], told["changed"]) == (2, True)
        qtbot.waitUntil(lambda: "hold 2 slots: the default an admin set"
                        in page.default_note.text(), timeout=WAIT_MS)  # fmt: skip
        user = new_user("dee")
        codes = [submit(admin_api, user).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        qtbot.waitUntil(lambda: (page_row(page, user) or QuotaView("", 0, 1, 0)).limit == 2,
                        timeout=WAIT_MS)  # fmt: skip
        assert shows_as_api(page, admin_api, user)
    finally:
        admin_api.put("/api/v1/quota-default", json={"limit": setting, "reason": "restored"})


def test_the_limit_box_takes_only_a_whole_number_from_1_to_100000(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client
) -> None:
    user = new_user("bob")
    assert submit(admin_api, user).status_code == 202
    page = opened("admin").page
    select_user(qtbot, page, user)
    dialog = open_dialog(qtbot, page, page.limit_button)
    for typed in ("0", "-5", "abc", "1e3", "999999"):
        type_limit(qtbot, dialog, typed)
        dialog.limit.interpretText()
        assert 1 <= dialog.limit.value() <= 100_000, typed
        digits = dialog.limit.cleanText().replace(dialog.limit.locale().groupSeparator(), "")
        assert digits == str(dialog.limit.value()), typed
    # Without a reason nothing can be sent.
    assert not dialog.confirm.isEnabled()
    assert dialog.hint.text() == "Give a reason."
    dialog.reject()
    assert api_row(admin_api, user)["limit"] == 10_000  # type: ignore[index]


def test_a_refusal_of_the_backend_is_shown_and_changes_nothing(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client, producer: Celery
) -> None:
    # A task sent straight to Celery for a user whose name the quota routes refuse (a
    # space): the ledger has it open, so the user is listed, with a drift of -1.
    user = f"jane doe {uuid.uuid4().hex[:6]}"
    producer.send_task(SYNC, args=[f"f-{uuid.uuid4().hex[:8]}", user], queue="scheduled")
    page = opened("admin").page
    qtbot.waitUntil(lambda: shows_as_api(page, admin_api, user), timeout=WAIT_MS)
    before = api_row(admin_api, user)
    assert before is not None and (before["used"], before["drift"]) == (0, -1)
    assert cell(page, user, COL_DRIFT) == "-1"
    assert "1 open tasks hold no slot" in cell(page, user, COL_DRIFT, Qt.ItemDataRole.ToolTipRole)
    select_user(qtbot, page, user)
    dialog = open_dialog(qtbot, page, page.limit_button)
    type_limit(qtbot, dialog, "7")
    qtbot.keyClicks(dialog.reason, "jane sends too many")
    answer = confirm(qtbot, dialog)
    assert "refused (HTTP 422)" in answer and "Nothing was changed" in answer
    assert "path.user" in answer and user in answer  # the backend's own words
    assert dialog.isVisible() and dialog.confirm.isEnabled()  # still open, to try again
    dialog.reject()
    assert api_row(admin_api, user) == before
    page.controller.refresh()
    qtbot.waitUntil(lambda: shows_as_api(page, admin_api, user), timeout=WAIT_MS)
    assert page_row(page, user).limit == before["limit"]  # type: ignore[union-attr]
    assert page.result.text() == ""  # no change is reported
    audit = admin_api.get("/api/v1/audit", params={"action": "quota_limit"}).json()["items"]
    assert not any(e["reason"] == "jane sends too many" for e in audit)


# -- drift ------------------------------------------------------------------------------


def test_a_reconcile_from_the_page_frees_a_slot_no_open_task_explains(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client, broker: Server
) -> None:
    user = new_user("dee")
    waiting = submit(admin_api, user)
    assert waiting.status_code == 202
    # A slot held for a task the ledger does not have open (as after a missed record).
    ghost = str(uuid.uuid4())
    client = redis.Redis.from_url(broker.url)
    try:
        client.sadd(OPEN_PREFIX + user, ghost)
        client.hset(OWNER_KEY, ghost, user)
        client.sadd(USERS_KEY, user)
    finally:
        client.close()
    page = opened("admin").page

    def drifting() -> bool:
        row = page_row(page, user)
        return row is not None and (row.used, row.drift) == (2, 1)

    qtbot.waitUntil(drifting, timeout=WAIT_MS)
    assert shows_as_api(page, admin_api, user)
    assert cell(page, user, COL_DRIFT) == "+1"
    tip = cell(page, user, COL_DRIFT, Qt.ItemDataRole.ToolTipRole)
    assert "slots held minus open tasks the ledger knows: 2 − 1 = +1" in tip
    assert cell(page, user, COL_DRIFT, Qt.ItemDataRole.ForegroundRole) is not None

    select_user(qtbot, page, user)
    dialog = open_dialog(qtbot, page, page.reconcile_button)
    assert not dialog.limit.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.reason, "a slot left behind")
    answer = confirm(qtbot, dialog)
    assert "1 slots freed, 0 taken again; 1 used, drift 0" in answer
    dialog.reject()
    assert api_row(admin_api, user) is not None
    assert (api_row(admin_api, user)["used"], api_row(admin_api, user)["drift"]) == (1, 0)  # type: ignore[index]
    qtbot.waitUntil(lambda: (page_row(page, user) or QuotaView("", 0, 1, 9)).drift == 0,
                    timeout=WAIT_MS)  # fmt: skip
    assert shows_as_api(page, admin_api, user)
    assert cell(page, user, COL_DRIFT, Qt.ItemDataRole.ForegroundRole) is None
    # The audit log has it, with the reason.
    entries = admin_api.get("/api/v1/audit", params={"action": "quota_reconcile"}).json()
    assert any(e["reason"] == "a slot left behind" for e in entries["items"])


# -- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "support"])
def test_a_viewer_or_support_sees_the_changes_disabled_and_why(
    qtbot: QtBot, opened: Any, admin_api: httpx.Client, role: str
) -> None:
    user = new_user("eve")
    assert submit(admin_api, user).status_code == 202
    page = opened(role).page
    select_user(qtbot, page, user)
    assert shows_as_api(page, admin_api, user)
    qtbot.waitUntil(lambda: page.default is not None, timeout=WAIT_MS)
    for button in (page.limit_button, page.reconcile_button, page.default_button):
        assert not button.isEnabled()
        assert "needs the admin role" in button.toolTip() and role in button.toolTip()
    # Reading is theirs: the tasks holding slots, and the way to the Tasks page.
    qtbot.waitUntil(lambda: page.tasks.count() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(page.open_tasks, timeout=5_000) as shown:
        qtbot.mouseClick(page.show_tasks_button, Qt.MouseButton.LeftButton)
    assert shown.args == [user]


def test_a_change_whose_answer_is_lost_says_it_may_have_been_made(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess,
    admin_api: httpx.Client,
) -> None:  # fmt: skip
    """The backend acted but its answer never came (a connection dropped): the dialog must
    not say "nothing was changed"."""
    proxy = FaultProxy(backend.url)
    proxy.start()
    client = BackendClient(proxy.url, TOKENS["admin"])
    page = QuotasPage(QuotasTableModel())
    qtbot.addWidget(page)
    controller = QuotasController(client, None)
    page.attach(controller)
    page.set_role("admin")
    page.show()
    controller.start()
    setting = admin_api.get("/api/v1/quota-default").json()["setting"]
    try:
        qtbot.waitUntil(lambda: page.default is not None, timeout=WAIT_MS)
        proxy.fail(Fault("PUT", "/api/v1/quota-default", drop=True))
        dialog = open_dialog(qtbot, page, page.default_button)
        type_limit(qtbot, dialog, "7")
        qtbot.keyClicks(dialog.reason, "answer lost on the way")
        answer = confirm(qtbot, dialog)
        dialog.reject()
        assert "may or may not have been made" in answer and "Nothing was" not in answer
        assert admin_api.get("/api/v1/quota-default").json()["limit"] == 7  # it was made
        qtbot.waitUntil(lambda: "hold 7 slots" in page.default_note.text(), timeout=WAIT_MS)
    finally:
        admin_api.put("/api/v1/quota-default", json={"limit": setting, "reason": "restored"})
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())
        proxy.stop()
