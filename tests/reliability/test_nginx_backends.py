"""Two backends behind Debian's nginx with the project's example configuration
(deploy/nginx/taskdeck.conf): TLS with a certificate made here, the client's address
forwarded by nginx and believed from nginx only, per-address limits, and one backend
killed while tasks are submitted and read through nginx: every answer still comes, every
task submitted reaches the ledger and finishes, from either backend alike."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port, start_process
from taskdeck_dev.stack import running_redis, start_backend, start_worker
from tests.conftest import FAST_WORKLOAD, ROOMY, TOKENS
from tests.helpers import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
        reason="nginx comes from scripts/system-deps.sh",
    ),  # fmt: skip
]
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "taskdeck.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYNC = "data_sync.sync_single_file"


def certificate(folder: Path) -> tuple[Path, Path]:
    crt, key = folder / "taskdeck.crt", folder / "taskdeck.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={LOOPBACK}", "-addext", f"subjectAltName=IP:{LOOPBACK}",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return crt, key


def nginx_config(folder: Path, port: int, backends: list[int], crt: Path, key: Path) -> Path:
    """The example as shipped, with this test's addresses and files; the upstream each
    answer came from is added as a header for the test to read."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for shipped, here in (("127.0.0.1:8401", f"{LOOPBACK}:{backends[0]}"),
                          ("127.0.0.1:8402", f"{LOOPBACK}:{backends[1]}"),
                          ("listen 443 ssl;", f"listen {LOOPBACK}:{port} ssl;"),
                          ("/etc/taskdeck/tls/taskdeck.crt", str(crt)),
                          ("/etc/taskdeck/tls/taskdeck.key", str(key))):  # fmt: skip
        assert shipped in text, shipped
        text = text.replace(shipped, here)
    text = text.replace("    client_max_body_size 1m;",
                        "    client_max_body_size 1m;\n    add_header X-Upstream $upstream_addr always;")  # fmt: skip
    (folder / "taskdeck.conf").write_text(text, encoding="utf-8")
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log {folder}/access.log;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n"
        f"  scgi_temp_path {folder}/scgi;\n  include {folder}/taskdeck.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


@contextlib.contextmanager
def running_edge(
    run_dir: Path, env: dict[str, str] | None = None, worker: bool = True
) -> Iterator[dict[str, Any]]:
    """Redis, two backends sharing one ledger (``env`` added to theirs), a worker (unless
    not ``worker``) and nginx in front with a certificate made here; yields the stack's
    parts and an HTTPS client of nginx that trusts that certificate."""
    with contextlib.ExitStack() as started:
        redis = started.enter_context(running_redis(run_dir))
        shared = run_dir / "ledger"  # both backends: one ledger, one broker
        ports = [free_port(), free_port()]
        backends: list[ManagedProcess] = []
        for name, port in zip(("edge-a", "edge-b"), ports, strict=True):
            full = {**ROOMY, "TASKDECK_DATA_DIR": str(shared), "TASKDECK_INSTANCE": name,
                    "TASKDECK_TRUSTED_PROXIES": LOOPBACK, "TASKDECK_STREAM_CLAIM_IDLE_S": "3",
                    **(env or {})}  # fmt: skip
            proc = start_backend(run_dir / name, port, redis.url, full)
            started.callback(proc.stop)
            backends.append(proc)
        if worker:
            celery = start_worker(
                run_dir, redis.url, "edgeworker", concurrency=2, env=FAST_WORKLOAD
            )
            started.callback(celery.stop)
        crt, key = certificate(run_dir)
        port = free_port()
        conf = nginx_config(run_dir, port, ports, crt, key)
        nginx = start_process("nginx", [NGINX, "-c", str(conf), "-p", str(run_dir)],
                              run_dir / "logs" / "nginx.log", {})  # fmt: skip
        started.callback(lambda: nginx.stop())
        url = f"https://{LOOPBACK}:{port}"
        trusted = ssl.create_default_context(cafile=str(crt))
        client = httpx.Client(base_url=url, verify=trusted, timeout=10,
                              headers={"Authorization": f"Bearer {TOKENS['admin']}"})  # fmt: skip
        started.callback(client.close)
        wait_for(lambda: _ok(client, "/health"), 30, "nginx and a backend behind it")
        yield {"client": client, "backends": backends, "ports": ports, "run_dir": run_dir,
               "crt": crt, "url": url, "redis": redis, "ledger_dir": shared}  # fmt: skip


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_edge(tmp_path_factory.mktemp("nginx-edge")) as stack:
        yield stack


def _ok(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def submit(client: httpx.Client, file_id: str, answered: set[str] | None = None) -> str:
    body = {"name": SYNC, "args": [file_id, "edge"], "queue": "data_sync", "user": "edge"}
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    if answered is not None:
        answered.add(reply.headers["x-upstream"].split(", ")[-1])  # after any it tried first
    return str(reply.json()["task_id"])


def test_either_backend_answers_and_a_killed_one_loses_nothing(edge: dict[str, Any]) -> None:
    client: httpx.Client = edge["client"]
    marker = uuid.uuid4().hex[:6]
    answered: set[str] = set()
    ids = []
    for n in range(5):  # within nginx's own limit: 30 submissions a minute, 10 at once
        ids.append(submit(client, f"{marker}-{n}", answered))
        reply = client.get("/api/v1/tasks", params={"user": "edge", "limit": 100})
        assert reply.status_code == 200
        answered.add(reply.headers["x-upstream"].split(", ")[-1])
    ports = {f"{LOOPBACK}:{p}" for p in edge["ports"]}
    assert answered == ports  # both backends answer, one request after the other
    # The same answer whichever backend gives it: no state lives in one backend.
    wait_for(lambda: all(_state(client, t) == "SUCCESS" for t in ids), 60, "the first tasks")
    seen = {_listed(client, marker) for _ in range(4)}
    assert seen == {frozenset(ids)}

    # One backend dies; nginx sends the next requests to the other, nothing is refused.
    first: ManagedProcess = edge["backends"][0]
    os.kill(first.pid, signal.SIGKILL)
    wait_for(lambda: not first.alive(), 10, "the first backend to die")
    after: set[str] = set()
    later = [submit(client, f"{marker}-after-{n}", after) for n in range(5)]
    assert after == {f"{LOOPBACK}:{edge['ports'][1]}"}
    for _ in range(6):
        reply = client.get("/api/v1/tasks", params={"user": "edge", "limit": 100})
        assert reply.status_code == 200
        assert reply.headers["x-upstream"].split(", ")[-1] == f"{LOOPBACK}:{edge['ports'][1]}"
    # Everything submitted reaches the ledger and finishes: what the dead backend had read
    # from the lifecycle stream and not committed is taken over by the other (3 s here).
    everything = ids + later
    wait_for(lambda: all(_state(client, t) == "SUCCESS" for t in everything), 90,
             "every task, before and after the kill, finished in the ledger")  # fmt: skip
    assert _listed(client, marker) == frozenset(everything)


def _state(client: httpx.Client, task_id: str) -> str | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json()["state"] if reply.status_code == 200 else None


def _listed(client: httpx.Client, marker: str) -> frozenset[str]:
    reply = client.get("/api/v1/tasks", params={"user": "edge", "q": marker, "limit": 100})
    assert reply.status_code == 200, reply.text
    return frozenset(t["task_id"] for t in reply.json()["items"])


def test_the_forwarded_address_is_the_clients_and_limits_answer_429(edge: dict[str, Any]) -> None:
    """nginx sets X-Forwarded-For to the address it saw; a header the client sends is not
    believed; beyond the per-address sign-in limit (10/min, 5 at once) nginx answers 429."""
    client: httpx.Client = edge["client"]
    spoofed = client.get("/api/v1/me", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 200
    codes = [client.get("/api/v1/me").status_code for _ in range(12)]
    assert 429 in codes and codes[0] == 200
    refused = next(i for i, c in enumerate(codes) if c == 429)
    assert all(c == 429 for c in codes[refused:])
    # The backends saw nginx's client, never the address the client claimed.
    logs = "".join(p.read_text(errors="replace")
                   for p in edge["run_dir"].glob("edge-*/logs/backend.log"))  # fmt: skip
    assert "203.0.113.9" not in logs
