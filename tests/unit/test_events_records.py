import json
import math

from backend.services.events_source import record_from_event
from taskdeck_core import lifecycle as lc


def test_an_ordinary_event_becomes_a_record_as_it_is() -> None:
    record = record_from_event({
        "type": "task-received", "uuid": "t1", "timestamp": 1.5, "name": "sync", "pid": 7,
        "args": "['f-1']", "kwargs": "{}", "retries": 0, "hostname": "w1@h", "queue": "q",
    })  # fmt: skip
    assert record is not None and (record.type, record.task_id, record.ts) == (
        lc.RECEIVED,
        "t1",
        1.5,
    )
    assert record.data["argsrepr"] == "['f-1']" and record.data["worker_pid"] == 7


def test_what_no_encoder_accepts_in_an_event_is_cleaned() -> None:
    odd = [
        {"type": "task-received", "uuid": "t1", "timestamp": 1.0, "args": "['\ud800']"},
        {"type": "task-succeeded", "uuid": "t1", "timestamp": 2.0, "runtime": math.nan},
        {"type": "task-succeeded", "uuid": "t1", "timestamp": 2.0, "result": [[[1]]]},
        {"type": "task-failed", "uuid": "t1", "timestamp": 3.0, "exception": "E('同步')"},
    ]
    for event in odd:
        record = record_from_event(event)
        assert record is not None
        json.dumps(record.data, allow_nan=False).encode("utf-8")  # would raise if not cleaned
    received = record_from_event(odd[0])
    assert received is not None and received.data["argsrepr"] == "['\ufffd']"
