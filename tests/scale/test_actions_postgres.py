"""Cancel, priority, retry and bulk jobs through the API with a real worker, as
tests/integration/test_actions.py does on SQLite, with the backend's ledger in a real
PostgreSQL (TASKDECK_LEDGER_URL): the same test functions, another ``backend_env``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_actions import (  # noqa: F401
    admin,
    producer,
    rdb,
    test_a_move_is_in_the_ledger_and_a_later_retry_keeps_it,
    test_bulk_by_failure_group_dry_run_counts,
    test_bulk_dry_run_announces_each_outcome_the_job_then_has,
    test_bulk_retry_twice_with_one_key_retries_each_task_once,
    test_cancel_survives_a_worker_restart_that_forgets_revokes,
    test_cancel_while_the_only_worker_is_stopped_holds_after_restart,
    test_cancelled_while_queued_never_runs,
    test_identical_bulk_requests_at_the_same_moment_get_one_job,
    test_priority_of_a_finished_task_is_refused,
    test_reprioritised_task_overtakes_and_runs_once,
    test_retry_sends_large_arguments_back_whole,
    workers,
)
from tests.scale.conftest import check_kept_in_postgresql

pytestmark = pytest.mark.integration


def test_the_backend_kept_its_ledger_and_audit_in_postgresql(
    backend_env: dict[str, str], stack_dir: Path
) -> None:
    """Runs last: what the tests above did is in PostgreSQL, and no SQLite ledger was made."""
    check_kept_in_postgresql(backend_env, stack_dir)
