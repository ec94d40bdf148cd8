"""Small helpers shared by the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.conftest import TOKENS


def wait_for(
    check: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def api(base_url: str, role: str | None = "admin") -> httpx.Client:
    headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)
