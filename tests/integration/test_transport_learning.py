"""Learning the priority steps of a system that configured none, from the lists that hold
messages, on a real Redis: a step once seen stays learned when its list empties."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from taskdeck_core.discovery import Learner
from taskdeck_core.transport import KOMBU_DEFAULT_SEP
from taskdeck_dev.stack import running_redis

pytestmark = pytest.mark.integration
SEP = KOMBU_DEFAULT_SEP


def test_steps_learned_from_lists_never_shrink_when_a_list_empties(tmp_path: Path) -> None:
    with running_redis(tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        try:
            client.sadd("_kombu.binding.sync", f"sync{SEP}{SEP}sync")
            client.lpush("sync", "m0")
            client.lpush(f"sync{SEP}3", "m3")
            learn = Learner(client)
            first = learn()
            assert (first.steps, first.steps_source) == ([0, 3, 6, 9], "assumed")
            client.lpush(f"sync{SEP}5", "m5")  # a step kombu's default does not have
            second = learn()
            assert (second.steps, second.steps_source) == ([0, 3, 5], "unknown")
            client.delete(f"sync{SEP}5")  # its message was taken: the list is gone
            third = learn()
            assert third.steps_seen == [3]  # what holds messages now
            # The steps chosen stay: flipping back to kombu's default would change where
            # messages are written, and the options under the producers sending them.
            assert (third.steps, third.steps_source) == ([0, 3, 5], "unknown")
        finally:
            client.close()
