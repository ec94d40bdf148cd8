"""Read and change waiting messages in the Redis broker, atomically.

Kombu's Redis transport keeps a queue ``q`` as one list per priority step,
named by ``taskdeck_core.transport.Transport`` with the watched system's
separator and steps (step 0, the list ``q``, is served first). Every list of
priorities 0-9 is read; a message is only ever written into a list of the
system's own steps. Producers LPUSH and workers BRPOP,
so within one list the right end runs next. The Lua scripts here find
messages by task id, remove them, or move them to another priority list with
their priority property rewritten, each in one atomic step: a message is never
in two lists and never in none.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import redis

from taskdeck_core.api_types import WaitingMessage
from taskdeck_core.priority import USER_PRIORITY_MIN, PriorityError, from_celery_priority
from taskdeck_core.safe_json import clean_json
from taskdeck_core.transport import Transport

# The scan every script below starts with. KEYS: the queue's priority lists, in
# serving order; ARGV[first..]: task ids. scan() reads each list left to right,
# calls act(key, payload, index) for the first message of each of those ids until act
# returns true, and returns a flat list: task id, key it was in, ... for each one.
# With one id wanted, only payloads that contain it are parsed.
_SCAN = """
local function scan(first, act)
  local wanted, n = {}, 0
  for i = first, #ARGV do
    wanted[ARGV[i]] = true
    n = n + 1
  end
  local needle = n == 1 and ARGV[first] or nil
  local found = {}
  for k = 1, #KEYS do
    local items = redis.call('LRANGE', KEYS[k], 0, -1)
    for index, payload in ipairs(items) do
      if not needle or string.find(payload, needle, 1, true) then
        local id = string.match(payload, '"id": *"([^"]+)"')
        if id and wanted[id] then
          wanted[id] = nil
          table.insert(found, id)
          table.insert(found, KEYS[k])
          if act(KEYS[k], payload, index) then return found end
        end
      end
    end
  end
  return found
end
"""

# ARGV: task ids. Each message found is removed. Returns task id, key it was in, ...
_REMOVE = (
    _SCAN
    + """
return scan(1, function(key, payload)
  redis.call('LREM', key, 1, payload)
end)
"""
)

# ARGV[1]: the Celery priority, ARGV[2]: the target list's place in KEYS (1-based),
# ARGV[3..]: task ids. Each message found is removed from its list and pushed onto the
# target list as if just published, with properties.priority set. Returns task id, key it
# was in, ...
_MOVE = (
    _SCAN
    + """
local priority = tonumber(ARGV[1])
local target = KEYS[tonumber(ARGV[2])]
return scan(3, function(key, payload, index)
  local rewritten, n = string.gsub(payload, '"priority": *[%-%d]+', '"priority": ' .. priority)
  if n == 0 then
    rewritten, n = string.gsub(payload, '"priority": *null', '"priority": ' .. priority)
  end
  if n ~= 1 then
    local msg = cjson.decode(payload)
    msg['properties']['priority'] = priority
    rewritten = cjson.encode(msg)
  end
  if key == target then
    -- Already in the list of its new step: it keeps its place.
    redis.call('LSET', key, index - 1, rewritten)
    return
  end
  redis.call('LREM', key, 1, payload)
  redis.call('LPUSH', target, rewritten)
end)
"""
)

# ARGV: task ids. Nothing is changed. Returns task id, key it is in, ...
_FIND = _SCAN + "\nreturn scan(1, function() end)\n"

# ARGV[1]: a task id. Returns the key holding it, or nil.
_LOCATE = (
    _SCAN
    + """
local found = scan(1, function() return true end)
return found[2] or false
"""
)


# KEYS: keys to measure. ARGV[1]: LLEN or SCARD. One round trip however many keys.
_SIZES = """
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call(ARGV[1], key) end
return out
"""


def sizes(client: redis.Redis, command: str, keys: list[str]) -> list[int]:
    """LLEN or SCARD of many keys in one script call (cheaper than a pipeline of thousands)."""
    if not keys:
        return []
    reply: Any = client.eval(_SIZES, len(keys), *keys, command)
    return [int(n) for n in reply]


# kombu's hash of messages a worker took and has not acknowledged yet (its
# ``unacked_key`` transport option), delivery tag -> [message, exchange, routing key].
UNACKED_KEY = "unacked"
# When each of those was taken (``unacked_index_key``): delivery tag -> epoch seconds.
UNACKED_INDEX_KEY = "unacked_index"
# The task id of a Celery message (protocol 2: ``headers.id``, the first "id" key).
_TASK_ID = re.compile(rb'"id": *"([^"]+)"')
PAGE = 1000  # messages per LRANGE or HSCAN when reading a whole queue


def _task_ids(payloads: Any) -> set[str]:
    ids = set()
    for payload in payloads:
        found = _TASK_ID.search(payload if isinstance(payload, bytes) else str(payload).encode())
        if found:
            ids.add(found.group(1).decode(errors="replace"))
    return ids


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(flat: list[Any]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}


class BrokerQueues:
    """The broker's queues, through a synchronous Redis client."""

    def __init__(self, client: redis.Redis, transport: Transport | None = None) -> None:
        self.client = client
        # The backend's EnvironmentService sets the watched system's, once learned.
        self.transport = transport or Transport()
        self._remove = client.register_script(_REMOVE)
        self._move = client.register_script(_MOVE)
        self._locate = client.register_script(_LOCATE)
        self._find = client.register_script(_FIND)

    def depths(self, queues: list[str]) -> dict[str, dict[int, int]]:
        """Waiting messages per queue and user priority (10 ... 1), in one round trip."""
        lengths = sizes(self.client, "LLEN", self.transport.all_list_names(queues))
        return {
            queue: {from_celery_priority(step): n for step, n in by_step.items()}
            for queue, by_step in self.transport.depths(queues, lengths).items()
        }

    def depth_by_priority(self, queue: str) -> dict[int, int]:
        """Waiting messages per user priority (10 ... 1)."""
        return self.depths([queue])[queue]

    def exists(self, queue: str) -> bool:
        return any(self.depth_by_priority(queue).values())

    def locate(self, queue: str, task_id: str) -> str | None:
        """The list key in which ``task_id`` waits, or None."""
        found = self._locate(keys=self.transport.list_names(queue), args=[task_id])
        return _text(found) if found else None

    def find(self, queue: str, task_ids: list[str]) -> dict[str, str]:
        """Where the messages of ``task_ids`` wait: task id -> list key (the ones found)."""
        if not task_ids:
            return {}
        return _pairs(self._find(keys=self.transport.list_names(queue), args=task_ids))

    def waiting_ids(self, queue: str) -> set[str]:
        """The task ids of every message waiting in ``queue``, read a page at a time so
        the broker is never held up by one long call. Not atomic: a message a worker
        takes meanwhile goes to the unacked hash (``unacked_ids``, read after this)."""
        ids: set[str] = set()
        for key in self.transport.list_names(queue):
            start = 0
            while True:
                page: Any = self.client.lrange(key, start, start + PAGE - 1)
                ids |= _task_ids(page)
                if len(page) < PAGE:
                    break
                start += PAGE  # a push meanwhile shifts the list: some are read twice, none missed
        return ids

    def unacked_ids(self, key: str = UNACKED_KEY) -> set[str]:
        """The task ids of the messages workers took and have not acknowledged yet."""
        return _task_ids(value for _tag, value in self.client.hscan_iter(key, count=PAGE))

    def unacked_taken(
        self, key: str = UNACKED_KEY, index_key: str = UNACKED_INDEX_KEY
    ) -> dict[str, tuple[str, float | None]]:
        """Task id -> (delivery tag, when a worker took it) of the messages workers took and
        have not acknowledged: kombu delivers each again once it is older than the
        visibility timeout (the time is None if its index entry is missing)."""
        tags: dict[str, str] = {}
        for tag, value in self.client.hscan_iter(key, count=PAGE):
            for task_id in _task_ids([value]):
                tags[task_id] = _text(tag)
        taken: dict[str, tuple[str, float | None]] = {}
        items = list(tags.items())
        for start in range(0, len(items), PAGE):
            chunk = items[start : start + PAGE]
            pipe = self.client.pipeline(transaction=False)
            for _task_id, tag in chunk:
                pipe.zscore(index_key, tag)
            for (task_id, tag), score in zip(chunk, pipe.execute(), strict=True):
                taken[task_id] = (tag, None if score is None else float(score))
        return taken

    def remove(self, queue: str, task_ids: list[str]) -> dict[str, str]:
        """Remove the messages of ``task_ids``; returns task id -> list key it was taken from."""
        if not task_ids:
            return {}
        return _pairs(self._remove(keys=self.transport.list_names(queue), args=task_ids))

    def move(self, queue: str, task_ids: list[str], celery_priority: int) -> dict[str, str]:
        """Give the messages of ``task_ids`` ``celery_priority``, in the list of the system's
        step for it (``transport.list_for``); returns id -> the list it was in."""
        if not task_ids:
            return {}
        keys = self.transport.list_names(queue)
        target = keys.index(self.transport.list_for(queue, celery_priority)) + 1
        return _pairs(self._move(keys=keys, args=[celery_priority, target, *task_ids]))

    def oldest_payloads(self, queue: str) -> list[bytes]:
        """The message that has waited longest in each non-empty priority list (its right
        end), in one round trip; the oldest of the queue is the oldest of these."""
        pipe = self.client.pipeline(transaction=False)
        for key in self.transport.list_names(queue):
            pipe.lrange(key, -1, -1)
        return [bytes(items[0]) for items in pipe.execute() if items]

    def messages(self, queue: str, offset: int, limit: int) -> tuple[list[WaitingMessage], int]:
        """Waiting messages in the order they will run, and the total waiting."""
        keys = self.transport.list_names(queue)
        lengths = sizes(self.client, "LLEN", keys)
        total = sum(lengths)
        out: list[WaitingMessage] = []
        skip = offset
        for step, key, length in zip(self.transport.read_steps, keys, lengths, strict=True):
            if len(out) >= limit:
                break
            if skip >= length:
                skip -= length
                continue
            # Run order within a list is right to left: index -1 runs first.
            want = min(limit - len(out), length - skip)
            start, stop = -(skip + want), -(skip + 1)
            chunk = self.client.lrange(key, start, stop)
            for payload in reversed(chunk):
                out.append(decode_message(payload, offset + len(out), step))
            skip = 0
        return out, total

    def matching(
        self, queue: str, search: str, offset: int, limit: int
    ) -> tuple[list[WaitingMessage], int]:
        """The waiting messages whose task id, task name, user or arguments contain ``search``
        (any case), over the whole queue in run order, each at its place in that order; and
        how many match."""
        needle = search.casefold()
        out: list[WaitingMessage] = []
        matched = position = 0
        lists = zip(self.transport.read_steps, self.transport.list_names(queue), strict=True)
        for step, key in lists:
            payloads: Any = self.client.lrange(key, 0, -1)
            for payload in reversed(payloads):  # run order: the right end first
                raw = payload.decode(errors="replace")
                # Arguments are read from argsrepr, or decoded from the body without one.
                if needle in raw.casefold() or '"argsrepr"' not in raw:
                    m = decode_message(payload, position, step)
                    fields = (m.task_id, m.name, m.user or "", m.args)
                    if any(needle in f.casefold() for f in fields):
                        if offset <= matched < offset + limit:
                            out.append(m)
                        matched += 1
                position += 1
        return out, matched


def decode_message(payload: bytes | str, position: int, list_step: int = 0) -> WaitingMessage:
    """A waiting message as the API shows it, whatever another producer wrote; a priority
    the transport does not know is shown as that of the list the message waits in."""
    try:
        msg: Any = clean_json(json.loads(payload))
    except (ValueError, RecursionError):
        msg = None
    if not isinstance(msg, dict):
        return WaitingMessage(position=position, task_id="?", name="(not a Celery message)",
                              priority=_list_priority(list_step), step=list_step)  # fmt: skip
    headers: dict[str, Any] = msg["headers"] if isinstance(msg.get("headers"), dict) else {}
    props: dict[str, Any] = msg["properties"] if isinstance(msg.get("properties"), dict) else {}
    args = headers.get("argsrepr")
    if args is None:
        try:
            body = clean_json(json.loads(base64.b64decode(msg.get("body", ""))))
            args = repr(body[0]) if isinstance(body, list) and body else ""
        except (ValueError, TypeError, RecursionError):
            args = ""
    try:
        priority = from_celery_priority(props.get("priority"))
    except PriorityError:
        priority = _list_priority(list_step)
    user = headers.get("taskdeck_user")
    return WaitingMessage(
        position=position,
        task_id=str(headers.get("id")),
        name=str(headers.get("task")),
        priority=priority,
        user=None if user is None else str(user),
        args=str(args)[:200],
        eta=None if headers.get("eta") is None else str(headers.get("eta")),
        step=list_step,
    )


def _list_priority(step: int) -> int:
    try:
        return from_celery_priority(step)
    except PriorityError:  # a step beyond 9 (a transport with more steps): the lowest
        return USER_PRIORITY_MIN
