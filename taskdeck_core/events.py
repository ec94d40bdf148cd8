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


class EventCapture:
    def __init__(
        self, app: Celery, handler: Callable[[dict[str, Any]], None], name: str = "celery-events"
    ) -> None:
        self.app = app
        self.handler = handler
        self.name = name
        self.connected = False
        self.connected_since: float | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with self.app.connection() as conn:
                    receiver = self.app.events.Receiver(conn, handlers={"*": self.handler})
                    steps = receiver.itercapture(limit=None, timeout=1.0, wakeup=False)
                    self.connected, self.last_error, backoff = True, None, 0.5
                    self.connected_since = self.connected_since or time.time()
                    while not self._stop.is_set():
                        try:
                            next(steps)
                        except TimeoutError:
                            continue
            except StopIteration:
                continue
            except Exception as exc:  # noqa: BLE001 - reconnect with backoff; the state is shown
                self.connected, self.connected_since = False, None
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("%s: %s; retrying in %.1fs", self.name, self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)
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
