"""The audit log's filters, bulk jobs' pages, failure groups and their series, and search by
the start of an id, through the API as tests/integration/test_audit_and_jobs.py checks them
on SQLite, with the backend's ledger in a real PostgreSQL (TASKDECK_LEDGER_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_audit_and_jobs import (  # noqa: F401
    admin,
    support,
    test_a_bulk_job_is_listed_audited_and_paged_by_item,
    test_a_task_is_found_by_the_start_of_its_id,
    test_audit_filters_by_user_action_time_and_task,
    test_failure_series_add_up_to_each_group_and_the_group_lists_its_tasks,
    worker,
)
from tests.scale.conftest import check_kept_in_postgresql

pytestmark = pytest.mark.integration


def test_the_backend_kept_its_ledger_and_audit_in_postgresql(
    backend_env: dict[str, str], stack_dir: Path
) -> None:
    """Runs last: what the tests above did is in PostgreSQL, and no SQLite ledger was made."""
    check_kept_in_postgresql(backend_env, stack_dir)
