"""kombu's Redis Sentinel transport with one repair, used for every ``sentinel://`` broker.

When a worker loses the master, Celery closes the broker connection and kombu, while
closing the channel, gives the messages the worker holds back to the broker. kombu 5.7's
Sentinel channel has by then dropped its connection pool and asks its transport, already
detached from the connection, for the Sentinels again: an AttributeError that Celery
treats as unrecoverable, and the worker exits on every failover. Here that second look
fails as a lost connection instead, which kombu ignores while closing; the worker
reconnects through the Sentinels to the new master. The messages it held stay in the
broker's unacknowledged set and come back after the visibility timeout, as after any lost
connection.
"""

from __future__ import annotations

from typing import Any

import redis.exceptions
from kombu import transport
from kombu.transport.redis import SentinelChannel, SentinelTransport


class Channel(SentinelChannel):
    def _get_pool(self, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise redis.exceptions.ConnectionError(
                "the connection to the Redis master is closed (failing over)"
            )
        return super()._get_pool(asynchronous)


class Transport(SentinelTransport):
    Channel = Channel


def register() -> None:
    """Make ``sentinel://`` broker URLs use this transport in this process."""
    transport.TRANSPORT_ALIASES["sentinel"] = f"{__name__}:Transport"
