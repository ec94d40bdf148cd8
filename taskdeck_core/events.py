"""Celery's event stream, received on a daemon thread that reconnects with backoff.

Used by the backend (worker heartbeats, the events fallback of the ledger)
and by the console (live worker and task state). Qt-free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Celery

log = logging.getLogger("taskdeck.events")
# Reconnect attempts while the broker is down: at least this often, so events resume
# within a few seconds of its return.
MAX_BACKOFF_S = 5.0


class NotReady(Exception):
    """Raised by a capture's ``prepare`` when it must not connect yet; it is asked again
    a second later (no growing backoff), and the reason is shown as the last error."""


class EventCapture:
    """Receives every event on one connection for as long as that connection lives.

    A quiet stream is not a lost connection: the receiver polls every ``poll_s``
    seconds only to notice :meth:`stop`, and keeps its subscription (and whatever
    the broker buffered on it, e.g. while this process was paused) across quiet
    periods. It reconnects, with backoff, only when the connection fails.
    """

    def __init__(
        self,
        app: Celery,
        handler: Callable[[dict[str, Any]], None],
        name: str = "celery-events",
        poll_s: float = 1.0,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.app = app
        # Called before each connection (e.g. to learn the system's transport first);
        # when it raises, the connection is tried again later like a failed one.
        self.prepare = prepare
        self.handler = handler
        self.name = name
        self.poll_s = poll_s
        self.connected = False
        self.connected_since: float | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._receiver: Any = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        receiver = self._receiver
        if receiver is not None:
            receiver.should_stop = True  # checked by kombu between two polls
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                if self.prepare is not None:
                    self.prepare()
                with self.app.connection() as conn:
                    receiver = self.app.events.Receiver(conn, handlers={"*": self.handler})
                    self._receiver = receiver
                    receiver.should_stop = self._stop.is_set()
                    # No timeout: kombu polls every ``safety_interval`` and goes on polling
                    # while nothing arrives; it raises only when the connection fails.
                    steps = receiver.consume(
                        limit=None, timeout=None, safety_interval=self.poll_s, wakeup=False
                    )
                    self.connected, self.last_error, backoff = True, None, 0.5
                    self.connected_since = self.connected_since or time.time()
                    for _ in steps:
                        if self._stop.is_set():
                            break
            except NotReady as exc:
                self.connected, self.connected_since = False, None
                self.last_error = str(exc)
                self._stop.wait(self.poll_s)
            except Exception as exc:  # noqa: BLE001 - reconnect with backoff; the state is shown
                self.connected, self.connected_since = False, None
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("%s: %s; retrying in %.1fs", self.name, self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        self.connected = False


class CaptureOwner:
    """For a class that owns an ``EventCapture`` as ``_capture``: its connection state."""

    _capture: EventCapture

    @property
    def connected(self) -> bool:
        return self._capture.connected

    @property
    def last_error(self) -> str | None:
        return self._capture.last_error
