"""A port taken by another program between the sandbox choosing it and its server binding
it: 'up' fails, says so, and stops what it started."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest

from taskdeck_dev import sandbox
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.process_watch import still_running, watching

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Another program on the port: it answers every request with 200."""

    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_up_fails_when_another_program_takes_the_backend_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    preferred = {name: free_port() for name in sandbox.PREFERRED_PORTS}
    monkeypatch.setattr(sandbox, "PREFERRED_PORTS", preferred)
    servers: list[http.server.ThreadingHTTPServer] = []
    real_pick = sandbox.pick_port

    def pick_then_lose(port: int, taken: set[int], host: str = LOOPBACK) -> int:
        chosen = real_pick(port, taken, host)
        if port == preferred["backend"]:  # chosen, and taken by someone else at once
            server = http.server.ThreadingHTTPServer((LOOPBACK, chosen), _Impostor)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        return chosen

    monkeypatch.setattr(sandbox, "pick_port", pick_then_lose)
    run_dir = tmp_path / "sb"
    try:
        with watching(os.getpid()) as seen, pytest.raises(SystemExit) as ended:
            sandbox.cli(["up", "--run-dir", str(run_dir)])
    finally:
        if (run_dir / "state.json").exists():  # 'up' went on as if it were ready
            sandbox.down(run_dir)
        for server in servers:
            server.shutdown()
            server.server_close()
    out = capsys.readouterr()
    assert ended.value.code == 2
    assert "backend ready" not in out.out
    port = preferred["backend"]
    error = out.err.strip().splitlines()
    assert error[0].startswith("taskdeck-sandbox: error: "), out.err
    assert f"port {port}" in error[0] and "another program" in error[0], out.err
    assert seen.matching("redis-server") and seen.matching("worker1@taskdeck")
    assert not still_running(seen), "up left processes behind"
    assert not (run_dir / "state.json").exists()
