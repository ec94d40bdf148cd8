"""The Connections page's check of a broker under Redis Sentinel, when no Sentinel names
the master it asks for (as while they elect a new one): a reason a person can act on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.domain.endpoints import Endpoints
from console.domain.service_status import ServiceKind
from console.models.format import translated
from console.services.probes import LiveProber
from taskdeck_dev.procs import LOOPBACK, free_port
from taskdeck_dev.stack import running_sentinel

pytestmark = pytest.mark.integration


def test_a_master_no_sentinel_names_reads_as_such_not_as_a_raw_exception(
    tmp_path: Path,
) -> None:
    with running_sentinel(tmp_path) as group:
        url = group.url.replace("master_name=taskdeck", "master_name=elsewhere")
        dead = f"http://{LOOPBACK}:{free_port()}"
        prober = LiveProber(Endpoints(url, dead, dead, dead), timeout_s=2.0)

        async def check() -> tuple[bool, str | None]:
            try:
                result = await prober.probe(ServiceKind.BROKER)
            finally:
                await prober.aclose()
            return result.ok, result.error

        ok, error = asyncio.run(check())
    assert not ok and error is not None
    shown = translated(error)
    assert shown.startswith("no Sentinel names a master now; a failover may be under way"), shown
    assert "'elsewhere'" in shown  # the name asked for, as the Sentinels were asked
    assert "MasterNotFoundError" not in shown
