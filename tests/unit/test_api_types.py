"""The API's value types: one definition the backend answers with and the console reads."""

from __future__ import annotations

import base64
import json
from typing import get_args

from backend.services.broker import decode_message
from taskdeck_core import lifecycle as lc
from taskdeck_core.api_types import TaskState, WaitingMessage, WorkerInfo
from taskdeck_core.heartbeats import Heartbeats
from taskdeck_core.workers import Liveness


def test_task_states_are_the_lifecycle_states() -> None:
    assert get_args(TaskState) == lc.STATES


def test_a_waiting_message_decoded_by_the_backend_reads_back_the_same() -> None:
    payload = json.dumps(
        {
            "headers": {"id": "t-1", "task": "data_sync.sync_single_file", "argsrepr": "('f',)",
                        "taskdeck_user": "alice", "eta": None},
            "properties": {"priority": 1},
            "body": base64.b64encode(b"[[], {}, {}]").decode(),
        }
    )  # fmt: skip
    message = decode_message(payload, 3)
    assert message == WaitingMessage(
        position=3, task_id="t-1", name="data_sync.sync_single_file", priority=9, user="alice",
        args="('f',)", step=0,
    )  # fmt: skip
    assert WaitingMessage.model_validate_json(message.model_dump_json()) == message


def test_a_worker_is_online_stale_then_offline_by_the_shared_rule() -> None:
    liveness = Liveness(stale_after_s=10, offline_after_s=30)
    seen = Heartbeats("w1@host", last_heartbeat=1000.0)
    seen.apply("worker-heartbeat", {"active": 2}, now=1000.0)

    def at(now: float) -> WorkerInfo:
        return seen.info(now, liveness)

    assert (at(1005).status, at(1005).online) == ("online", True)
    assert (at(1015).status, at(1015).online) == ("stale", True)
    assert (at(1031).status, at(1031).online) == ("offline", False)
    seen.offline_reported = True
    assert at(1001).status == "offline"
