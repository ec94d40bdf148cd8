"""X-Forwarded-For is believed only from the proxies TASKDECK_TRUSTED_PROXIES names.

Without it (the default), a caller on the backend's own host that sends another
address with every wrong token is still counted as the address it connects
from, and is limited; nor can it make one address look like many users, or
hide behind another. With the proxy configured, the address the proxy adds is
the caller's: its own limit, and its own users. Two backends over one
redis-server (a database each), one per setting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from taskdeck_dev.stack import redis_url, running_backend
from tests.conftest import TOKENS, TOKENS_ENV, Server

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

AUTH_LIMIT = 3  # failed authentications per address and window
ENV = {
    "TASKDECK_TOKENS": TOKENS_ENV,
    "TASKDECK_RATELIMIT_TIERS": json.dumps({"anonymous": {"auth": AUTH_LIMIT}}),
}


@pytest.fixture(scope="module")
def direct(stack_dir: Path, broker: Server) -> Iterator[Server]:
    """The default: no trusted proxy."""
    with running_backend(stack_dir / "direct", redis_url(broker.port, 1), ENV) as server:
        yield server


@pytest.fixture(scope="module")
def proxied(stack_dir: Path, broker: Server) -> Iterator[Server]:
    """Behind a proxy on loopback (as a proxy on the same host would be)."""
    env = {**ENV, "TASKDECK_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    with running_backend(stack_dir / "proxied", redis_url(broker.port, 2), env) as server:
        yield server


def wrong_token(base: str, forwarded: str) -> httpx.Response:
    return httpx.get(
        f"{base}/api/v1/me",
        headers={"Authorization": "Bearer not-a-token", "X-Forwarded-For": forwarded},
        timeout=10,
    )


def act_as_every_role(base: str, forwarded: str) -> None:
    """One counted call per user (a cancel of an unknown task: 404, or 403 for the viewer)."""
    for role, token in TOKENS.items():
        reply = httpx.post(
            f"{base}/api/v1/tasks/no-such-task/cancel",
            json={"reason": "probe"},
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded},
            timeout=10,
        )
        assert reply.status_code in (403, 404), (role, reply.text)


def users_by_address(broker: Server, db: int) -> dict[str, set[str]]:
    """The users the rate limiter saw per address (its "one address, many users" evidence)."""
    client = redis.Redis.from_url(redis_url(broker.port, db))
    try:
        found: dict[str, set[str]] = {}
        for key in client.scan_iter("taskdeck:rl:b:*:ip:*"):
            ip = key.decode().split(":ip:", 1)[1]
            members = client.smembers(key)
            found.setdefault(ip, set()).update(m.decode() for m in members)  # type: ignore[union-attr]
        return found
    finally:
        client.close()


def test_without_a_trusted_proxy_a_forged_address_is_still_limited(
    direct: Server, broker: Server
) -> None:
    replies = [wrong_token(direct.url, f"203.0.113.{n}") for n in range(AUTH_LIMIT + 3)]
    codes = [r.status_code for r in replies]
    assert codes == [401] * AUTH_LIMIT + [429] * 3, codes
    assert replies[-1].json()["key"] == "ip:127.0.0.1"
    assert "127.0.0.1" in replies[-1].json()["detail"]
    act_as_every_role(direct.url, "198.51.100.7")
    seen = users_by_address(broker, 1)
    assert set(seen) == {"127.0.0.1"}, seen  # no forged address, however many were sent
    assert seen["127.0.0.1"] >= {f"{role}-user" for role in TOKENS}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_callers(
    proxied: Server, broker: Server
) -> None:
    # Each address has a limit of its own ...
    codes = [wrong_token(proxied.url, f"203.0.113.{n}").status_code for n in range(6)]
    assert codes == [401] * 6, codes
    # ... and one address sending wrong tokens reaches it.
    replies = [wrong_token(proxied.url, "203.0.113.50") for _ in range(AUTH_LIMIT + 1)]
    assert [r.status_code for r in replies] == [401] * AUTH_LIMIT + [429]
    assert replies[-1].json()["key"] == "ip:203.0.113.50"
    # A proxy appends the address it saw: what the caller wrote in front is not believed.
    forged_chain = [wrong_token(proxied.url, "10.9.9.9, 203.0.113.50") for _ in range(2)]
    assert all(r.status_code == 429 for r in forged_chain)
    assert {r.json()["key"] for r in forged_chain} == {"ip:203.0.113.50"}
    act_as_every_role(proxied.url, "198.51.100.7")
    seen = users_by_address(broker, 2)
    assert seen.get("198.51.100.7") == {f"{role}-user" for role in TOKENS}, seen
    assert "127.0.0.1" not in seen


def test_a_trusted_proxy_that_is_no_address_stops_the_backend_with_one_line(
    stack_dir: Path, listening_port: int
) -> None:
    env = {"TASKDECK_TRUSTED_PROXIES": "10.0.0.1,proxy.example", "PATH": "/usr/bin:/bin",
           "TASKDECK_DATA_DIR": str(stack_dir / "bad")}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "backend.main", "--port", str(listening_port)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "TASKDECK_TRUSTED_PROXIES" in lines[0] and "proxy.example" in lines[0]
