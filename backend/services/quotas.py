"""Per-user quotas: at most N tasks queued or running per user.

State in Redis, so every backend instance sees the same numbers:
- ``taskdeck:quota:open:{user}``: a set of the user's open task ids (the slots taken);
- ``taskdeck:quota:owner``: task id -> user, to release a slot knowing only the task;
- ``taskdeck:quota:limits``: per-user limits that override the default;
- ``taskdeck:quota:default``: the default an admin set, in place of the backend's setting
  (kept in Redis, so every backend instance applies the same default);
- ``taskdeck:quota:redeliver``: task id -> user, for a task whose worker died: its slot
  is free while the broker holds its message for redelivery, and taken again when a
  worker receives it again.

Taking a slot is one Lua script (check and take cannot interleave), releasing
one is another; both are idempotent per task id. A slot is released when the
lifecycle stream says its task finished, read by a consumer group of its own
(``RELEASE_GROUP``) inside Redis (``FROM_STREAM``, run by ``quota_stream``), so
slots free up even while the ledger cannot take the records. Counters that
drift from the ledger's open tasks (a worker killed mid-task, a missed record)
are shown as drift and reconciled against the ledger and the live workers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import redis

from backend.services.broker import sizes
from taskdeck_core import lifecycle as lc

OPEN_PREFIX = "taskdeck:quota:open:"
OWNER_KEY = "taskdeck:quota:owner"
LIMITS_KEY = "taskdeck:quota:limits"
DEFAULT_KEY = "taskdeck:quota:default"  # the default an admin set; absent: the setting
USERS_KEY = "taskdeck:quota:users"  # every user that ever took a slot
SLOTS_PER_CALL = 5000  # slots per force_take_many script call
REDELIVER_KEY = "taskdeck:quota:redeliver"  # task id -> user: slot freed until received again
RELEASE_GROUP = "taskdeck:quota"  # the lifecycle stream's consumer group that frees slots
USER_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
MAX_LIMIT = 100_000

# KEYS[1] open set, KEYS[2] limits hash, KEYS[3] owner hash, KEYS[4] users set, KEYS[5]
# the default an admin set. ARGV: user, the setting's default limit, task id, force (1 =
# take even over the limit). Returns {taken (1/0), used, limit}.
_TAKE = """
local limit = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or redis.call('GET', KEYS[5])
                       or ARGV[2])
local used = redis.call('SCARD', KEYS[1])
if redis.call('SISMEMBER', KEYS[1], ARGV[3]) == 1 then
  return {1, used, limit}
end
if used >= limit and ARGV[4] ~= '1' then
  return {0, used, limit}
end
redis.call('SADD', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return {1, used + 1, limit}
"""

# What _TAKE does with force for many slots at once. KEYS[1] owner hash, KEYS[2] users
# set. ARGV[1]: prefix of the open sets, then user, task id, user, task id ...
_FORCE_TAKE_MANY = """
for i = 2, #ARGV, 2 do
  local user, task = ARGV[i], ARGV[i + 1]
  if redis.call('SADD', ARGV[1] .. user, task) == 1 then
    redis.call('HSET', KEYS[1], task, user)
    redis.call('SADD', KEYS[2], user)
  end
end
return 0
"""

# A task's slot freed (it finished), or taken again (received again after its slot was
# freed for its redelivery: over the limit if need be, it was admitted once); each returns
# how many slots it freed or took. Shared by the scripts below.
_SLOT_FUNCTIONS = """
local function release(owner, redeliver, prefix, task)
  local freed = 0
  local user = redis.call('HGET', owner, task)
  if user then
    freed = redis.call('SREM', prefix .. user, task)
    redis.call('HDEL', owner, task)
  end
  redis.call('HDEL', redeliver, task)
  return freed
end
local function retake(owner, redeliver, users, prefix, task)
  local user = redis.call('HGET', redeliver, task)
  if not user then return 0 end
  redis.call('HDEL', redeliver, task)
  redis.call('HSET', owner, task, user)
  redis.call('SADD', users, user)
  return redis.call('SADD', prefix .. user, task)
end
"""

# KEYS[1] owner hash, KEYS[2] redeliver hash. ARGV: prefix of the open sets, task ids.
# Returns how many were released.
_RELEASE = (
    _SLOT_FUNCTIONS
    + """
local released = 0
for i = 2, #ARGV do released = released + release(KEYS[1], KEYS[2], ARGV[1], ARGV[i]) end
return released
"""
)

# KEYS[1] owner hash, KEYS[2] redeliver hash, KEYS[3] the broker's unacked hash.
# ARGV: prefix of the open sets, then task id, delivery tag, ... Frees the slot of each
# task whose message the broker still holds unacknowledged (checked here, atomically: a
# message delivered again meanwhile is received, and keeps its slot), and notes it to be
# taken again. Returns the task ids freed.
_RELEASE_FOR_REDELIVERY = """
local freed = {}
for i = 2, #ARGV, 2 do
  local task, tag = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', KEYS[3], tag) == 1 then
    local user = redis.call('HGET', KEYS[1], task)
    if user then
      redis.call('SREM', ARGV[1] .. user, task)
      redis.call('HDEL', KEYS[1], task)
      redis.call('HSET', KEYS[2], task, user)
      table.insert(freed, task)
    end
  end
end
return freed
"""

# KEYS[1] owner hash, KEYS[2] redeliver hash, KEYS[3] users set. ARGV: prefix of the open
# sets, task ids (received by a worker). Returns how many slots were taken again.
_RETAKE = (
    _SLOT_FUNCTIONS
    + """
local taken = 0
for i = 2, #ARGV do taken = taken + retake(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[i]) end
return taken
"""
)

FINAL_RECORDS = (lc.SUCCEEDED, lc.FAILED, lc.REVOKED, lc.REJECTED)  # a task's slot is freed

# The lifecycle stream's records applied to the slots inside Redis, as ``apply_records``
# does: read by the consumer group RELEASE_GROUP, applied in order, and acknowledged in
# the same atomic script, so no record passes through the backend. This consumer's
# pending entries come first (acknowledged once applied); new ones are read with NOACK,
# nothing being left between their read and their effect.
# KEYS[1] the stream, KEYS[2] owner hash, KEYS[3] redeliver hash, KEYS[4] users set.
# ARGV group, consumer, count, prefix of the open sets. Returns {entries read, slots
# freed, the id of the stream's last entry (when nothing new was read: to wait from)}.
_FROM_STREAM = """
local final = {FINAL}
local function read(start, noack)
  local r
  if noack then
    r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'NOACK',
                   'STREAMS', KEYS[1], start)
  else
    r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3],
                   'STREAMS', KEYS[1], start)
  end
  if r then return r[1][2] end
  return {}
end
local function apply(entries)
  local freed = 0
  for _, e in ipairs(entries) do
    local f = e[2]
    if f then
      local kind, task
      for i = 1, #f, 2 do
        if f[i] == 'type' then kind = f[i + 1] elseif f[i] == 'task_id' then task = f[i + 1] end
      end
      if task and task ~= '' then
        if kind == 'RECEIVED' then
          retake(KEYS[2], KEYS[3], KEYS[4], ARGV[4], task)
        elseif final[kind] then
          freed = freed + release(KEYS[2], KEYS[3], ARGV[4], task)
        end
      end
    end
  end
  return freed
end
local entries = read('0', false)
local freed = apply(entries)
if #entries > 0 then
  local ids = {}
  for _, e in ipairs(entries) do
    ids[#ids + 1] = e[1]
    if #ids == 1000 then redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)); ids = {} end
  end
  if #ids > 0 then redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) end
else
  entries = read('>', true)
  freed = apply(entries)
end
local last = ''
if #entries == 0 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if newest[1] then last = newest[1][1] end
end
return {#entries, freed, last}
"""
FROM_STREAM = _SLOT_FUNCTIONS + _FROM_STREAM.replace(
    "{FINAL}", "{" + ", ".join(f"['{kind}'] = true" for kind in FINAL_RECORDS) + "}"
).replace("'RECEIVED'", f"'{lc.RECEIVED}'")


class QuotaError(ValueError):
    """Bad quota input; the message says what to send instead."""


@dataclass(frozen=True)
class Admission:
    taken: bool
    used: int
    limit: int


def check_user(user: str) -> str:
    if not USER_RE.match(user):
        raise QuotaError(
            f"user {user!r}: use 1-100 letters, digits and . _ @ - (no spaces or other characters)"
        )
    return user


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise QuotaError(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise QuotaError(f"limit must be from 1 to {MAX_LIMIT}, got {limit}")
    return limit


class Quotas:
    def __init__(self, client: redis.Redis, default_limit: int) -> None:
        self.client = client
        self.setting = default_limit  # the backend's TASKDECK_QUOTA_DEFAULT
        self._take = client.register_script(_TAKE)
        self._force_take_many = client.register_script(_FORCE_TAKE_MANY)
        self._release = client.register_script(_RELEASE)
        self._release_for_redelivery = client.register_script(_RELEASE_FOR_REDELIVERY)
        self._retake = client.register_script(_RETAKE)

    def take(self, user: str, task_id: str, force: bool = False) -> Admission:
        """Take a slot for ``task_id``; refused (taken False) at the limit unless ``force``."""
        reply: Any = self._take(
            keys=[OPEN_PREFIX + user, LIMITS_KEY, OWNER_KEY, USERS_KEY, DEFAULT_KEY],
            args=[user, self.setting, task_id, "1" if force else "0"],
        )
        return Admission(bool(reply[0]), int(reply[1]), int(reply[2]))

    def force_take_many(self, slots: list[tuple[str, str]]) -> None:
        """Take a slot for each (user, task id) without the limit check, in one script call
        per SLOTS_PER_CALL (a bulk retry's chunk: one call, not a script call per slot)."""
        for start in range(0, len(slots), SLOTS_PER_CALL):
            args = [OPEN_PREFIX]
            for user, task_id in slots[start : start + SLOTS_PER_CALL]:
                args += (user, task_id)
            self._force_take_many(keys=[OWNER_KEY, USERS_KEY], args=args)

    def release(self, task_ids: list[str]) -> int:
        if not task_ids:
            return 0
        return int(self._release(keys=[OWNER_KEY, REDELIVER_KEY], args=[OPEN_PREFIX, *task_ids]))

    def release_finished(self, records: list[lc.LifecycleRecord]) -> int:
        """Release the slots of tasks whose record says they finished."""
        return self.release(list({r.task_id for r in records if r.type in FINAL_RECORDS}))

    def release_for_redelivery(self, tags: dict[str, str], unacked_key: str) -> list[str]:
        """Free the slots of tasks (task id -> delivery tag) whose worker died, while the
        broker still holds their messages in ``unacked_key``; a worker that receives one
        again takes its slot back (``apply_records``). Returns the task ids freed."""
        if not tags:
            return []
        pairs = [v for task_id, tag in tags.items() for v in (task_id, tag)]
        freed: Any = self._release_for_redelivery(
            keys=[OWNER_KEY, REDELIVER_KEY, unacked_key], args=[OPEN_PREFIX, *pairs]
        )
        return [f.decode() if isinstance(f, bytes) else str(f) for f in freed]

    def apply_records(self, records: list[lc.LifecycleRecord]) -> int:
        """Slots from the tasks' lifecycle, in order: a task received again after its slot
        was freed for its redelivery takes it back; a task that finished frees its own.
        Returns how many slots were freed."""
        received = list(dict.fromkeys(r.task_id for r in records if r.type == lc.RECEIVED))
        if received:
            self._retake(keys=[OWNER_KEY, REDELIVER_KEY, USERS_KEY], args=[OPEN_PREFIX, *received])
        return self.release_finished(records)

    def awaiting_redelivery(self) -> dict[str, str]:
        """Task id -> user of the slots freed until their tasks are received again."""
        raw: Any = self.client.hgetall(REDELIVER_KEY)
        return {k.decode(): v.decode() for k, v in raw.items()}

    def default(self) -> tuple[int, bool]:
        """The limit of users without one of their own, and whether an admin set it (else
        it is the backend's setting)."""
        value: Any = self.client.get(DEFAULT_KEY)
        return (int(value), True) if value is not None else (self.setting, False)

    def set_default(self, limit: object) -> int:
        """Set the default limit for every backend instance; returns the one it replaces."""
        value = _check_limit(limit)
        old, _ = self.default()
        self.client.set(DEFAULT_KEY, value)
        return old

    def limit_of(self, user: str) -> int:
        value: Any = self.client.hget(LIMITS_KEY, user)
        return int(value) if value is not None else self.default()[0]

    def set_limit(self, user: str, limit: object) -> int:
        check_user(user)
        value = _check_limit(limit)
        old = self.limit_of(user)
        self.client.hset(LIMITS_KEY, user, value)
        return old

    def open_ids(self, user: str) -> set[str]:
        members: Any = self.client.smembers(OPEN_PREFIX + user)
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    def users(self) -> list[str]:
        """Users who ever took a slot, or have a limit of their own."""
        pipe = self.client.pipeline(transaction=False)
        pipe.smembers(USERS_KEY)
        pipe.hkeys(LIMITS_KEY)
        takers, overrides = pipe.execute()
        return sorted({k.decode() for k in takers} | {k.decode() for k in overrides})

    def usage(self, users: list[str]) -> list[tuple[str, int, int]]:
        """(user, used, limit) for each user, in one round trip."""
        used = sizes(self.client, "SCARD", [OPEN_PREFIX + u for u in users])
        raw: Any = self.client.hgetall(LIMITS_KEY)
        limits = {k.decode(): int(v) for k, v in raw.items()}
        default = self.default()[0]
        return [(user, n, limits.get(user, default)) for user, n in zip(users, used, strict=True)]

    def reconcile(self, user: str, open_in_ledger: set[str]) -> dict[str, int]:
        """Make the user's slots exactly the open tasks the ledger knows; returns what changed."""
        current = self.open_ids(user)
        stale = sorted(current - open_in_ledger)
        missing = sorted(open_in_ledger - current)
        if stale:
            self.release(stale)
            self.client.srem(OPEN_PREFIX + user, *stale)
        for task_id in missing:
            self.take(user, task_id, force=True)
        return {"released": len(stale), "added": len(missing)}
