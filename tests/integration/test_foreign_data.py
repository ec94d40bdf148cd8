"""Whatever another producer put in the broker, the backend shows it and never answers 500.

A Celery system's own producers are not checked by the backend: their tasks can
carry text with a lone surrogate, arguments nested hundreds of levels deep, or a
priority outside the transport's range. The queue's message list and the task's
page show such work as well as they can.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import redis

from taskdeck_core.transport import priority_list_names
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
SYNC = "data_sync.sync_single_file"
DEEP: list[object] = []
for _ in range(300):
    DEEP = [DEEP]


def raw_message(task_id: str, args_json: str, priority: object) -> str:
    """A message as kombu's Redis transport stores it, written by another producer
    (json.dumps writes a lone surrogate as its escape, as such producers do)."""
    body = base64.b64encode(f"[{args_json}, {{}}, {{}}]".encode()).decode()
    return json.dumps({
        "body": body, "content-encoding": "utf-8", "content-type": "application/json",
        "headers": {"id": task_id, "task": f"{SYNC} \ud800", "taskdeck_user": "eve\udfff"},
        "properties": {"priority": priority, "delivery_tag": str(uuid.uuid4())},
    })  # fmt: skip


def test_odd_messages_waiting_in_a_queue_are_listed(broker: Server, backend: Server) -> None:
    client = redis.Redis.from_url(broker.url)
    queue_list = priority_list_names("default")[5]
    try:
        for n, (args, priority) in enumerate([('["\\ud800 file"]', 4),
                                                (json.dumps(DEEP), 4),
                                                ('["f"]', 250), ('["f"]', "high")]):  # fmt: skip
            client.lpush(queue_list, raw_message(f"odd-{n}", args, priority))
        client.lpush(queue_list, "not a message at all")
    finally:
        client.close()
    with api(backend.url, "viewer") as viewer:
        reply = viewer.get("/api/v1/queues/default/messages")
        assert reply.status_code == 200, reply.text
        page = reply.json()
        ids = [m["task_id"] for m in page["items"]]
        assert {"odd-0", "odd-1", "odd-2", "odd-3"} <= set(ids)
        odd = next(m for m in page["items"] if m["task_id"] == "odd-0")
        assert odd["user"] == "eve\ufffd" and "\ufffd" in odd["name"]
        assert viewer.get("/api/v1/queues").status_code == 200


def test_a_task_with_odd_arguments_has_a_page(broker: Server, backend: Server) -> None:
    producer = create_celery(WorkerSettings(broker_url=broker.url), results=False)
    try:
        task_id = producer.send_task(SYNC, args=["\ud800 file", DEEP], queue="scheduled").id
    finally:
        producer.close()
    with api(backend.url, "viewer") as viewer:

        def shown() -> bool:
            reply = viewer.get(f"/api/v1/tasks/{task_id}")
            assert reply.status_code in (200, 404), reply.text
            return reply.status_code == 200

        wait_for(shown, 15, "the task's page")
        task = viewer.get(f"/api/v1/tasks/{task_id}").json()
        assert task["args"][0] == "\ufffd file"
        listed = viewer.get("/api/v1/tasks", params={"q": task_id})
        assert listed.status_code == 200 and listed.json()["items"][0]["task_id"] == task_id
