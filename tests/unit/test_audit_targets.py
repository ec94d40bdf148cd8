"""What an audit entry acted on, in words: task ids are offered as tasks to open only for
actions on tasks; workers, silences, users and the default limit are named as such."""

from __future__ import annotations

from typing import Any

import pytest

from console.models.audit_table_model import targets_text, task_ids
from taskdeck_core.api_types import AuditEntry


def entry(action: str, targets: Any, count: int = 1) -> AuditEntry:
    return AuditEntry(id=1, at=0.0, user="ann", role="admin", action=action, targets=targets,
                      target_count=count, reason="why", request={}, status="ok")  # fmt: skip


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
