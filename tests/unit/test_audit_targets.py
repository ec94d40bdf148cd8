"""What an audit entry acted on, in words: task ids are offered as tasks to open only for
actions on tasks; workers, silences, users and the default limit are named as such."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console.models.audit_table_model import (
    AuditTableModel,
    action_text,
    outcome_text,
    targets_text,
    task_ids,
)
from taskdeck_core.api_types import AuditEntry

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the model's colours want an app


def entry(action: str, targets: Any, count: int = 1, request: Any = None, outcome: Any = None,
          status: str = "ok") -> AuditEntry:  # fmt: skip
    return AuditEntry(id=1, at=0.0, user="ann", role="admin", action=action, targets=targets,
                      target_count=count, reason="why", request=request or {}, status=status,
                      outcome=outcome)  # fmt: skip


@pytest.mark.parametrize(
    ("action", "targets", "text"),
    [
        ("worker_control", ["w1@host", "w2@host"], "worker w1@host, w2@host"),
        ("silence_create", ['{alertname="X"}'], 'silence of {alertname="X"}'),
        ("silence_expire", ["5d1c-aa"], "silence 5d1c-aa"),
        ("quota_limit", ["ann"], "user ann"),
        ("quota_default", ["*"], "the default quota limit"),
        ("some_future_action", ["thing"], "thing"),
    ],
)
def test_targets_that_are_not_tasks_are_named_and_never_offered_as_tasks(
    action: str, targets: list[str], text: str
) -> None:
    one = entry(action, targets, len(targets))
    assert task_ids(one) == []
    assert targets_text(one) == text


def test_the_targets_of_an_action_on_tasks_are_task_ids() -> None:
    ids = ["3f2a9c1e-0000-4000-8000-000000000001", "3f2a9c1e-0000-4000-8000-000000000002"]
    one = entry("cancel", ids, 2)
    assert task_ids(one) == ids
    assert targets_text(one).startswith("2 tasks: 3f2a9c1e")


def test_a_worker_control_names_its_command_and_counts_its_replies() -> None:
    one = entry(
        "worker_control", ["w1@h", "w2@h", "w3@h", "w4@h"], 4,
        request={"command": "pool_shrink", "arguments": {"n": 1}, "workers": ["w1@h"]},
        outcome={"replies": [{"hostname": "w1@h", "ok": True, "message": "pool will shrink"},
                             {"hostname": "w2@h", "ok": True, "message": "pool will shrink"},
                             {"hostname": "w3@h", "ok": False, "message": "cannot shrink"}],
                 "no_reply": ["w4@h"], "note": None},
    )  # fmt: skip
    assert targets_text(one) == "Shrink pool, n=1 on worker w1@h, w2@h, w3@h, w4@h"
    assert outcome_text(one) == "2 did it, 1 refused, 1 did not reply"
    shutdown = entry(
        "worker_control", ["w1@h"], request={"command": "shutdown", "arguments": {}},
        outcome={"replies": [], "no_reply": ["w1@h"], "note": "a worker does not reply"},
    )  # fmt: skip
    assert targets_text(shutdown) == "Shut down on worker w1@h"
    assert outcome_text(shutdown) == "0 did it, 1 did not reply (a worker does not reply)"


def test_silence_outcomes_name_the_silence_and_its_end_in_local_time() -> None:
    end = "2026-11-25T07:12:48Z"
    local = datetime.fromisoformat("2026-11-25T07:12:48+00:00").astimezone()
    shown = local.strftime("%Y-%m-%d %H:%M:%S")
    made = entry("silence_create", ['{a="b"}'], outcome={
        "silence_id": "5d1c2a3b-0000-4000-8000-000000000001", "starts_at": "2026-11-24T07:02:39Z",
        "ends_at": end, "created_by": "ann", "comment": "x"})  # fmt: skip
    assert outcome_text(made) == f"silence 5d1c2a3b until {shown}"
    same = "5d1c2a3b-0000-4000-8000-000000000001"
    extended = entry("silence_extend", [same], outcome={
        "silence_id": same, "previous_id": same, "ends_at": end})  # fmt: skip
    assert outcome_text(extended) == f"silence 5d1c2a3b until {shown}"
    replaced = entry("silence_extend", [same], outcome={
        "silence_id": "77aa0000-1", "previous_id": same, "ends_at": end})  # fmt: skip
    assert outcome_text(replaced) == f"silence 77aa0000 until {shown} (replacing 5d1c2a3b)"
    expired = entry("silence_expire", [same], outcome={"silence_id": same})
    assert outcome_text(expired) == "silence 5d1c2a3b expired"
    unknown = entry("silence_create", ['{a="b"}'], status="unknown",
                    outcome={"error": "alertmanager_timeout", "detail": "may have been made"})  # fmt: skip
    assert outcome_text(unknown) == "no answer, may have been done (alertmanager_timeout)"


def test_quota_outcomes_are_in_words() -> None:
    default = entry("quota_default", ["*"], outcome={"limit": 12, "previous_limit": 10})
    assert outcome_text(default) == "limit 12 (was 10)"
    reconciled = entry("quota_reconcile", ["ann"], outcome={
        "user": "ann", "released": 2, "added": 0, "used": 3, "drift": 0})  # fmt: skip
    assert outcome_text(reconciled) == "released 2, added 0; 3 in use"


def test_the_action_column_shows_words_with_the_code_in_its_tooltip(qapp: Any) -> None:
    assert action_text(entry("silence_create", [])) == "Silence created"
    assert action_text(entry("worker_control", [])) == "Worker control"
    assert action_text(entry("quota_default", [])) == "Default quota limit"
    assert action_text(entry("some_future_action", [])) == "some_future_action"
    model = AuditTableModel()
    model.append([entry("quota_default", ["*"], outcome={"limit": 12, "previous_limit": 10},
                        status="unknown")])  # fmt: skip
    action = model.index(0, 2)
    assert model.data(action) == "Default quota limit"
    assert model.data(action, Qt.ItemDataRole.ToolTipRole) == "quota_default"
    assert model.data(model.index(0, 5)) == "unknown"
