"""A Celery system as its owners built it: stock Celery and kombu, no TaskDeck code.

Workers start it with ``celery -A tests.stock_system worker``. Its settings come
from ``STOCK_*`` variables: the broker (an ACL user on a non-zero database),
``STOCK_SEP`` and ``STOCK_STEPS`` (kombu's defaults when unset) and
``STOCK_RESULT_EXTENDED``. Every task run appends its id to the list ``erp:ran``,
so a test can tell what ran from the system's own record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import redis
from celery import Celery

RAN_KEY = "erp:ran"


def make_app(env: Mapping[str, str]) -> Celery:
    broker = env.get("STOCK_BROKER_URL", "redis://127.0.0.1:6379/3")
    options: dict[str, object] = {"queue_order_strategy": "priority"}
    if env.get("STOCK_SEP"):
        options["sep"] = env["STOCK_SEP"]
    if env.get("STOCK_STEPS"):
        options["priority_steps"] = [int(s) for s in env["STOCK_STEPS"].split(",")]
    app = Celery("erp", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        broker_transport_options=options,
        result_extended=env.get("STOCK_RESULT_EXTENDED") == "1",
        task_routes={"erp.sync": {"queue": "erp_sync"}},
        worker_send_task_events=True,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name="erp.sync", bind=True)
    def sync(self: Any, record: str, fail: bool = False, pause_s: float = 0.0) -> str:
        client = redis.Redis.from_url(broker)
        try:
            client.rpush(RAN_KEY, str(self.request.id))
        finally:
            client.close()
        time.sleep(pause_s)
        if fail:
            raise RuntimeError(f"the ERP refused record {record}")
        return record

    return app


app = make_app(os.environ)
