"""The broker scripts (find, remove, move) and depths against a real redis-server."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from backend.services.broker import BrokerQueues
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import Transport

pytestmark = pytest.mark.integration


def publish(rdb: redis.Redis, queue: str, task_id: str, priority: int) -> None:
    """A message as kombu's Redis transport writes it (only the fields the scripts read)."""
    step = to_celery_priority(priority)
    payload = {"body": "", "headers": {"id": task_id, "task": "sync", "argsrepr": "('f',)"},
               "properties": {"priority": step, "delivery_tag": uuid.uuid4().hex}}  # fmt: skip
    rdb.lpush(Transport().list_names(queue)[step], json.dumps(payload))


@pytest.fixture
def queue(redis_client: redis.Redis) -> str:
    name = f"q-{uuid.uuid4().hex[:8]}"
    publish(redis_client, name, "low", 2)
    publish(redis_client, name, "mid-1", 5)
    publish(redis_client, name, "mid-2", 5)
    publish(redis_client, name, "high", 9)
    return name


def test_depths_and_run_order(redis_client: redis.Redis, queue: str) -> None:
    queues = BrokerQueues(redis_client)
    depth = queues.depths([queue, "empty-queue"])
    assert depth[queue][9] == 1 and depth[queue][5] == 2 and depth[queue][2] == 1
    assert sum(depth[queue].values()) == 4 and not any(depth["empty-queue"].values())
    assert list(depth[queue]) == list(range(10, 0, -1))
    waiting, total = queues.messages(queue, 0, 10)
    assert total == 4 and [m.task_id for m in waiting] == ["high", "mid-1", "mid-2", "low"]


def test_locate_remove_and_move_find_messages_by_task_id(
    redis_client: redis.Redis, queue: str
) -> None:
    queues = BrokerQueues(redis_client)
    lists = Transport().list_names(queue)
    assert queues.locate(queue, "mid-2") == lists[to_celery_priority(5)]
    assert queues.locate(queue, "mid") is None  # a part of an id is not the id
    removed = queues.remove(queue, ["mid-1", "high", "unknown"])
    assert removed == {"mid-1": lists[to_celery_priority(5)], "high": lists[to_celery_priority(9)]}
    assert queues.remove(queue, ["mid-1"]) == {}  # gone: removed once only
    moved = queues.move(queue, ["low"], to_celery_priority(10))
    assert moved == {"low": lists[to_celery_priority(2)]}
    waiting, total = queues.messages(queue, 0, 10)
    assert total == 2 and [(m.task_id, m.priority) for m in waiting] == [("low", 10), ("mid-2", 5)]
    # Already on the target list: reported, left where it is.
    assert queues.move(queue, ["mid-2"], to_celery_priority(5)) == {"mid-2": lists[5]}
    assert queues.messages(queue, 0, 10)[1] == 2
