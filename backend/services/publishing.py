"""Sending through the Celery app's pools, once more on fresh pools if kombu closed them.

When the system's transport options change (``EnvironmentService.learn``), kombu's pools
are reset: every pool is closed, also the producer and connection pools the Celery app
keeps for itself, which it would go on handing out ("Acquire on closed pool", a 500). The
app's closed pools are dropped there, and a request that took a pool just before the reset
meets the same error when it acquires from it. Nothing was sent at that point (acquiring a
producer or a connection comes before any message), so ``publishing`` drops the closed
pools and sends once more, on fresh ones with the new options.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Celery

log = logging.getLogger("taskdeck.publishing")
T = TypeVar("T")
_dropping = threading.Lock()


def closed_pool(exc: BaseException) -> bool:
    """Whether ``exc`` is kombu refusing to acquire from a pool it closed."""
    return isinstance(exc, RuntimeError) and "closed pool" in str(exc)


def _closed(pool: Any) -> bool:
    return pool is not None and bool(getattr(pool, "_closed", False))


def drop_closed_pools(app: Celery) -> None:
    """Forget the app's producer and connection pools if they are closed: the next send
    makes fresh ones (with the app's transport options as they are now). Pools still open
    are kept, such as fresh ones another thread made a moment ago."""
    with _dropping:
        amqp = app.amqp
        if _closed(amqp._producer_pool):
            amqp._producer_pool = None
        if _closed(app._pool):
            app._pool = None


def publishing(app: Celery, send: Callable[[], T]) -> T:
    """``send()``; if the pool it acquired from was closed under it, once more on fresh
    pools (nothing was sent the first time)."""
    try:
        return send()
    except RuntimeError as exc:
        if not closed_pool(exc):
            raise
        log.info("a pool was closed under a send (the transport changed); sending on a new one")
        drop_closed_pools(app)
        return send()
