"""What the console is given at start that it cannot use: URLs on the command line, a
backend that answers HTML, a profiles file with huge values or many mistakes. Each time the
window opens and says what was wrong, within a second, with no unhandled exception."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from console.__main__ import SHOWN_PROBLEMS, Choice, choose, parse_args, start_window
from console.app import Console
from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints
from console.domain.profiles import PROFILES_FILE, ProfileStore
from console.domain.service_status import ServiceKind
from console.services.secrets import MemorySecrets
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import Server
from tests.console.conftest import run_coro
from tests.helpers import GOOD_ENTRY

PAGE = b"<!DOCTYPE html><html><body><h1>It works!</h1></body></html>"


@pytest.fixture
def unexpected(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """What reaches sys.excepthook (the "Something went wrong" dialog) or the loop's
    exception handler ("Task exception was never retrieved") during the test."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(repr(value)))
    loop.set_exception_handler(lambda _loop, ctx: seen.append(str(ctx.get("message"))))
    yield seen


def open_window(
    qtbot: QtBot, tmp_path: Path, argv: list[str], store: ProfileStore | None = None
) -> Console:
    store = store or ProfileStore(tmp_path / "config" / PROFILES_FILE)
    loaded = store.load()
    args = parse_args(argv)
    choice, missing = choose(args, loaded)
    console = start_window(
        args, store, loaded, MemorySecrets(), choice, missing, tmp_path / "console.log"
    )
    qtbot.addWidget(console.window)
    return console


def notes(console: Console) -> str:
    boxes = console.window.findChildren(QMessageBox)
    assert len(boxes) == 1 and boxes[0].isVisible()
    return boxes[0].text()


def close(qtbot: QtBot, console: Console) -> None:
    run_coro(qtbot, console.aclose())
    gc.collect()  # a task whose exception nobody read is reported when it is collected
    qtbot.wait(50)


@pytest.mark.parametrize("broker", ["http://x", "redis:/x", "foo"])
def test_a_broker_url_with_a_bad_scheme_opens_the_window_saying_what_to_do(
    qtbot: QtBot, tmp_path: Path, unexpected: list[str], broker: str
) -> None:
    argv = ["--broker-url", broker, "--backend-url", "http://127.0.0.1:8400",
            "--prometheus-url", "http://127.0.0.1:9090",
            "--alertmanager-url", "http://127.0.0.1:9093"]  # fmt: skip
    console = open_window(qtbot, tmp_path, argv)
    try:
        assert console.window.isVisible() and console.link is None
        text = notes(console)
        assert f"--broker-url “{broker}”: The broker URL" in text
        assert "Start TaskDeck again with corrected URLs" in text
        assert "Connection > Profiles" in text
    finally:
        close(qtbot, console)
    assert unexpected == []


class HtmlPage(BaseHTTPRequestHandler):
    """A web server where the backend should be: every path answers an HTML page."""

    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(params=[200, 502], ids=["page", "proxy-error"])
def html_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """The server's URL and the status it answers with."""
    handler = type("Handler", (HtmlPage,), {"status": request.param})
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}", request.param
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_backend_answering_html_is_reported_as_the_backends_error(
    qtbot: QtBot,
    tmp_path: Path,
    unexpected: list[str],
    redis_server: Server,
    html_server: tuple[str, int],
) -> None:
    url, status = html_server
    dead = f"http://{LOOPBACK}:{free_port()}"
    endpoints = Endpoints(redis_server.url, url, dead, dead, backend_token="t",
                          transport=SANDBOX_SETTINGS)  # fmt: skip
    store = ProfileStore(tmp_path / PROFILES_FILE)
    console = start_window(
        parse_args([]), store, store.load(), MemorySecrets(), Choice(endpoints, "html"), None,
        tmp_path / "console.log",
    )  # fmt: skip
    qtbot.addWidget(console.window)
    link = console.link
    assert link is not None
    said: list[str] = []
    link.live.error.connect(said.append)
    link.messages.action_failed.connect(said.append)
    expected = f"the backend at {url} answered HTML, not JSON: is this the TaskDeck backend?"
    try:  # the counts, workers and queues of the first refresh, and the user's role
        qtbot.waitUntil(lambda: sum(expected in s for s in said) >= 4, timeout=5_000)
        qtbot.waitUntil(
            lambda: link.connections.status(ServiceKind.BACKEND).last_error is not None,
            timeout=5_000,
        )
        backend = link.connections.status(ServiceKind.BACKEND)
        assert backend.last_error == (
            "HTTP 502" if status == 502  # a proxy whose backend is down, perhaps
            else "/health did not answer JSON: this is not a TaskDeck backend"
        )  # fmt: skip
    finally:
        close(qtbot, console)
    assert not [s for s in said if s.startswith("broker") or "It works" in s or "<" in s]
    assert unexpected == []


@pytest.mark.parametrize("key", ["name", "colour"])
def test_a_huge_name_or_colour_in_the_profiles_file_is_named_within_a_second(
    qtbot: QtBot,
    tmp_path: Path,
    unexpected: list[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
) -> None:
    monkeypatch.setenv("TASKDECK_SANDBOX_DIR", str(tmp_path / "no-sandbox"))
    huge = "x" * 10_000_000
    store = ProfileStore(tmp_path / PROFILES_FILE)
    entry = (
        GOOD_ENTRY.format(name=huge) if key == "name"
        else GOOD_ENTRY.format(name="Huge") + f'colour = "{huge}"\n'
    )  # fmt: skip
    store.path.write_text(entry + GOOD_ENTRY.format(name="Good"), encoding="utf-8")
    started = time.perf_counter()
    console = open_window(qtbot, tmp_path, [], store)
    try:
        text = notes(console)
        qtbot.wait(1)  # the box is laid out and painted
        elapsed = time.perf_counter() - started
        assert [p.name for p in console.profiles] == ["Good"]
        assert f"(line 2): “{key}” is 10000000 characters long" in text
        assert "the profile is ignored" in text and len(text) < 1500
        assert elapsed < 2.0, f"the window took {elapsed:.1f} s"
    finally:
        close(qtbot, console)
    assert unexpected == []


def test_a_file_full_of_mistakes_shows_the_first_ones_and_counts_the_rest(
    qtbot: QtBot, tmp_path: Path, unexpected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKDECK_SANDBOX_DIR", str(tmp_path / "no-sandbox"))
    store = ProfileStore(tmp_path / PROFILES_FILE)
    bad = GOOD_ENTRY.replace("http://backend:8400", "backend:8400")
    store.path.write_text("".join(bad.format(name=f"P{i}") for i in range(5000)))
    started = time.perf_counter()
    console = open_window(qtbot, tmp_path, [], store)
    try:
        text = notes(console)
        elapsed = time.perf_counter() - started
        assert text.count("backend URL must start with http://") == SHOWN_PROBLEMS
        assert f"…and {5000 - SHOWN_PROBLEMS} more problems with the profiles file" in text
        assert str(tmp_path / "console.log") in text
        assert "no sandbox is running" in text  # and what to connect to instead
        assert elapsed < 2.0, f"the window took {elapsed:.1f} s"
    finally:
        close(qtbot, console)
    assert unexpected == []
