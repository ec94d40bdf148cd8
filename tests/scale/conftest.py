"""A PostgreSQL server per test module, and a database of its own per test.

The ledger runs on SQLite by default and on PostgreSQL where a team outgrows one machine
(TASKDECK_LEDGER_URL). A module here starts Debian's PostgreSQL on a free loopback port
with a throwaway cluster (``running_postgres``) and stops it at its end; each test gets an
empty database, so tests never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from taskdeck_dev.stack import Server, create_database, running_postgres
from tests.conftest import ROOMY


@pytest.fixture(scope="module")
def postgres(stack_dir: Path) -> Iterator[Server]:
    with running_postgres(stack_dir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres: Server) -> str:
    """The SQLAlchemy URL of a new, empty database for this test."""
    return create_database(postgres, f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(scope="module")
def backend_env(postgres: Server) -> dict[str, str]:
    """The API tests' backend, its ledger in a database of the module's PostgreSQL."""
    return {**ROOMY, "TASKDECK_LEDGER_URL": create_database(postgres, "ledger")}


def check_kept_in_postgresql(backend_env: dict[str, str], stack_dir: Path) -> None:
    """What a module's API tests did is in PostgreSQL, and no SQLite ledger was made."""
    engine = create_engine(backend_env["TASKDECK_LEDGER_URL"])
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM tasks")).scalar_one() > 0
            assert conn.execute(text("SELECT count(*) FROM audit")).scalar_one() > 0
    finally:
        engine.dispose()
    assert not list((stack_dir / "backend").glob("*.sqlite3*"))
