"""Idempotency keys of submissions: the same key from the same caller is one task, sent once.

A client that sends ``idempotency_key`` with POST /api/v1/tasks and never hears
back (the backend crashed, the connection dropped) sends again with the same
key and learns its task, which is published only once. Keys live in the broker's
Redis, where submissions go anyway, so they survive a backend restart, and every
backend instance sees them; each expires ``ttl_s`` after it was first used
(TASKDECK_IDEMPOTENCY_S, a day).

Before a task is published its key is claimed (one script: set if absent, else
the entry found), with the id the task will have, a digest of the request and
the time; once published, the entry is marked sent. A request that finds its key:

- claimed for another request (another digest): 409 ``idempotency_key_reused``;
- sent: the same task id, nothing published;
- claimed and not sent yet (the same request twice at once): waits for the first
  to be sent, then answers its id; if the first gave the key up (refused by the
  quota, or the broker failed), claims it itself;
- claimed more than ``stale_s`` ago and never marked sent
  (TASKDECK_IDEMPOTENCY_STALE_S): a backend stopped between claiming and marking.
  If the task was published (the ledger, or the lifecycle stream around the
  claim's time, has it), the entry is marked sent and its id answered; if not,
  this request takes the claim over and publishes the task under that id.

A task whose publish was recorded on the stream but whose message never reached
the broker (the backend killed between the two) is answered by its id; the
backend's check at start marks it lost (``GET /tasks?lost=true``), for a retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.exc import SQLAlchemyError

from backend.services.action_steps import ActionError
from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.api")

KEY_PREFIX = "taskdeck:submit:key:"
WAIT_S = 10.0  # at most this long a request waits for another with its key to be sent
POLL_S = 0.02

# KEYS[1] the key's entry. ARGV: the entry to set if there is none, its expiry (s).
# Returns the entry found, or nil when this one was set.
_CLAIM = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""
# KEYS[1] the key's entry. ARGV: the entry expected, the entry to put in its place ('' to
# delete it). Returns 1 if the entry was the one expected (and was replaced), else 0.
_SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 1
"""


def digest(request: dict[str, Any]) -> str:
    """What makes two submissions the same one."""
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A key as this request holds it: publish ``task_id`` (unless ``replay``), then
    ``sent``; or ``give_up`` if it is not published."""

    key: str  # the Redis key
    entry: str  # the entry as stored (compared before it is changed)
    task_id: str
    replay: bool  # True: the task was accepted before; answer its id, publish nothing


def _entry(task_id: str, request_digest: str, at: float, sent: bool) -> str:
    return json.dumps({"task_id": task_id, "digest": request_digest, "at": at, "sent": sent})


class SubmitKeys:
    def __init__(self, client: redis.Redis, ledger: Ledger, ttl_s: float, stale_s: float) -> None:
        self.client = client
        self.ledger = ledger
        self.ttl_s = ttl_s
        self.stale_s = stale_s
        self._claim = client.register_script(_CLAIM)
        self._swap = client.register_script(_SWAP)

    @staticmethod
    def redis_key(caller: str, key: str) -> str:
        return KEY_PREFIX + hashlib.sha256(json.dumps([caller, key]).encode()).hexdigest()

    def claim(self, caller: str, key: str, request_digest: str, task_id: str) -> Claim:
        """The caller's ``key`` for this request: claimed for ``task_id``, or the task it
        was claimed for before (``replay``). 409 if it was claimed for another request."""
        name = self.redis_key(caller, key)
        deadline = time.monotonic() + WAIT_S
        while True:
            mine = _entry(task_id, request_digest, time.time(), False)
            found: Any = self._claim(keys=[name], args=[mine, max(1, int(self.ttl_s))])
            if found is None:
                return Claim(name, mine, task_id, replay=False)
            found = found.decode() if isinstance(found, bytes) else str(found)
            entry = json.loads(found)
            if entry["digest"] != request_digest:
                raise ActionError(
                    409, "idempotency_key_reused",
                    "this idempotency_key was used for a different submission (another task, "
                    "arguments, queue, priority or user); use a new key for a new task",
                )  # fmt: skip
            if entry["sent"]:
                return Claim(name, found, entry["task_id"], replay=True)
            if time.time() - float(entry["at"]) > self.stale_s:
                claim = self._left_behind(name, found, entry)
                if claim is not None:
                    return claim
                continue  # another request resolved it first: look again
            if time.monotonic() > deadline:
                raise ActionError(
                    409, "idempotency_key_in_use",
                    "a submission with this idempotency_key is still being sent; try again "
                    "in a few seconds to learn its task id",
                )  # fmt: skip
            time.sleep(POLL_S)

    def _left_behind(self, name: str, found: str, entry: dict[str, Any]) -> Claim | None:
        """A claim a stopped backend never marked sent: sent now if its task was published,
        else taken over by this request (same task id). None if it changed meanwhile."""
        task_id = str(entry["task_id"])
        if self._published(task_id, float(entry["at"])):
            sent = _entry(task_id, entry["digest"], float(entry["at"]), True)
            if self._swap(keys=[name], args=[found, sent]):
                log.info("submit: key of task %s was never marked sent; it was published", task_id)
                return Claim(name, sent, task_id, replay=True)
            return None
        mine = _entry(task_id, entry["digest"], time.time(), False)
        if self._swap(keys=[name], args=[found, mine]):
            log.info("submit: key of task %s was left unsent; sending the task now", task_id)
            return Claim(name, mine, task_id, replay=False)
        return None

    def _published(self, task_id: str, at: float) -> bool:
        """Whether the ledger, or the lifecycle stream around ``at``, has ``task_id``
        published."""
        try:
            if self.ledger.known([task_id]):
                return True
        except SQLAlchemyError as exc:  # the stream still tells
            log.warning("submit: cannot look for task %s in the ledger (%s)", task_id, exc)
        start = f"{int((at - 1) * 1000)}-0"  # stream ids are millisecond timestamps
        end = f"{int((at + self.stale_s + 5) * 1000)}"
        entries: Any = self.client.xrange(lc.STREAM_KEY, start, end)
        return any(
            fields.get(b"type") == lc.PUBLISHED.encode()
            and fields.get(b"task_id") == task_id.encode()
            for _id, fields in entries
        )

    def sent(self, claim: Claim) -> None:
        """The task of ``claim`` is published: the key answers it from now on. A failure
        here is left for the next request with the key to resolve (``_left_behind``)."""
        entry = json.loads(claim.entry)
        done = _entry(claim.task_id, entry["digest"], float(entry["at"]), True)
        try:
            self._swap(keys=[claim.key], args=[claim.entry, done])
        except redis.RedisError as exc:
            log.warning("submit: task %s is sent; its key is marked later (%s)", claim.task_id, exc)

    def give_up(self, claim: Claim) -> None:
        """The task of ``claim`` was not published: the key is free for another try."""
        try:
            self._swap(keys=[claim.key], args=[claim.entry, ""])
        except redis.RedisError as exc:
            log.warning("submit: key of unsent task %s stays claimed (%s)", claim.task_id, exc)
