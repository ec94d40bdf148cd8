"""Rate limits per tier and endpoint class, enforced atomically in Redis.

A sliding-window log per key and endpoint class (a sorted set of request
times within the window), checked and updated by one Lua script using the
Redis server's clock, so several backend instances agree. The same script
counts requests and rejections per time bucket for the statistics and the
anomaly detector, and appends each rejection to a capped stream; all of it
expires, so memory stays bounded.

While Redis cannot be reached, each limit is kept in this process instead
(``LocalWindows``): a caller is still authenticated and limited, and what needs
no broker still answers. After a failure Redis is asked again only after
``FALLBACK_S``, so a broker that hangs does not hold every request for its
timeout. Statistics and rejections are not counted meanwhile.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from backend.services.health import broker_unavailable

log = logging.getLogger("taskdeck.ratelimit")

DEFAULT_TIERS: dict[str, dict[str, int]] = {
    "admin": {"default": 200, "data_sync": 100, "auth": 20},
    "premium": {"default": 100, "data_sync": 50, "auth": 10},
    "normal": {"default": 60, "data_sync": 30, "auth": 5},
    "anonymous": {"default": 30, "data_sync": 10, "auth": 3},
}
ENDPOINT_CLASSES = ("default", "data_sync", "auth")
REJECTIONS_STREAM = "taskdeck:rl:rejections"
REJECTIONS_MAXLEN = 10_000
BUCKET_PREFIX = "taskdeck:rl:b:"
KEEP_BUCKETS = 120  # statistics kept: two hours of one-minute buckets
FALLBACK_S = 5.0  # after Redis failed, limits are kept locally this long before it is asked again
LOCAL_KEYS = 10_000  # windows kept locally at most (the oldest goes first)

# KEYS[1] window log of this key and class; KEYS[2] bucket hash; KEYS[3] IP users set of the
# bucket; KEYS[4] rejection stream; KEYS[5] the bucket's set of the addresses in KEYS[3]s (so
# the anomaly detector reads them without walking the keyspace).
# ARGV: window ms, limit, bucket ttl s, key, tier, endpoint class, ip, user-or-empty, maxlen,
# a unique request token.
# Returns {allowed, count in window, oldest ms in window, now ms}.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[10])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  count = count + 1
  allowed = 1
end
local ttl = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[2], 'req|' .. ARGV[6], 1)
redis.call('HINCRBY', KEYS[2], 'key|' .. ARGV[4], 1)
if allowed == 0 then
  redis.call('HINCRBY', KEYS[2], 'rej|' .. ARGV[6], 1)
  redis.call('HINCRBY', KEYS[2], 'rejkey|' .. ARGV[4], 1)
  redis.call('HINCRBY', KEYS[2], 'rejtier|' .. ARGV[5] .. '|' .. ARGV[6], 1)
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'key', ARGV[4], 'tier', ARGV[5],
             'endpoint', ARGV[6], 'ip', ARGV[7], 'ts', tostring(now / 1000))
end
redis.call('EXPIRE', KEYS[2], ttl)
if ARGV[8] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[8])
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('SADD', KEYS[5], ARGV[7])
  redis.call('EXPIRE', KEYS[5], ttl)
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local oldest_ms = now
if oldest[2] then oldest_ms = tonumber(oldest[2]) end
return {allowed, count, oldest_ms, now}
"""


class RateLimitConfigError(ValueError):
    """A tier table that cannot be used."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    key: str
    tier: str
    endpoint: str
    limit: int
    remaining: int
    reset_s: float  # seconds until a request slot frees up (the oldest leaves the window)
    window_s: float

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(max(0, int(-(-self.reset_s // 1)))),
        }
        if not self.allowed:
            headers["Retry-After"] = headers["X-RateLimit-Reset"]
        return headers


def parse_tiers(text: str) -> dict[str, dict[str, int]]:
    """Tiers from JSON ({"tier": {"default": n, "data_sync": n, "auth": n}}), over the defaults."""
    tiers = {name: dict(limits) for name, limits in DEFAULT_TIERS.items()}
    if not text.strip():
        return tiers
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise RateLimitConfigError(f"TASKDECK_RATELIMIT_TIERS is not JSON: {exc}") from None
    if not isinstance(given, dict):
        raise RateLimitConfigError("TASKDECK_RATELIMIT_TIERS must be an object of tiers")
    for name, limits in given.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", str(name)) or not isinstance(limits, dict):
            raise RateLimitConfigError(
                f"tier {name!r}: name it in lowercase and give an object of limits"
            )
        for endpoint, limit in limits.items():
            if endpoint not in ENDPOINT_CLASSES:
                raise RateLimitConfigError(
                    f"tier {name!r}: {endpoint!r} is not one of {', '.join(ENDPOINT_CLASSES)}"
                )
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise RateLimitConfigError(
                    f"tier {name!r}: {endpoint} must be a whole number above 0"
                )
        tiers.setdefault(str(name), dict(DEFAULT_TIERS["normal"])).update(limits)
    return tiers


class LocalWindows:
    """Sliding-window logs in this process, per key and endpoint class: the limits while
    Redis cannot be reached (each backend instance counts on its own)."""

    def __init__(self, window_s: float, max_keys: int = LOCAL_KEYS) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str, limit: int) -> tuple[bool, int, float]:
        """Count a request against ``name``; returns (allowed, requests in the window,
        seconds until the oldest leaves it)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.pop(name, None) or collections.deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            self._hits[name] = hits  # now the newest key
            while len(self._hits) > self.max_keys:
                del self._hits[next(iter(self._hits))]
            reset = hits[0] + self.window_s - now if hits else 0.0
            return allowed, len(hits), max(0.0, reset)


class RateLimiter:
    def __init__(
        self,
        client: redis.Redis,
        tiers: dict[str, dict[str, int]],
        window_s: float = 60.0,
        bucket_s: float = 60.0,
    ) -> None:
        self.client = client
        self.tiers = tiers
        self.window_s = window_s
        self.bucket_s = bucket_s
        self._check = client.register_script(_CHECK)
        self.local = LocalWindows(window_s)
        self._local_until = 0.0  # monotonic time until which Redis is not asked

    def bucket_of(self, t: float) -> int:
        return int(t // self.bucket_s)

    def check(self, key: str, tier: str, endpoint: str, ip: str, user: str | None) -> Decision:
        """Count a request against ``key``'s limit for ``endpoint``: in Redis, or in this
        process while Redis cannot be reached."""
        limit = self.tiers[tier][endpoint]
        if time.monotonic() < self._local_until:
            return self._check_locally(key, tier, endpoint, limit)
        bucket = self.bucket_of(time.time())
        ttl = int(self.bucket_s * KEEP_BUCKETS) + 60
        try:
            reply: Any = self._check(
                keys=[
                    f"taskdeck:rl:w:{endpoint}:{key}",
                    f"{BUCKET_PREFIX}{bucket}",
                    f"{BUCKET_PREFIX}{bucket}:ip:{ip}",
                    REJECTIONS_STREAM,
                    f"{BUCKET_PREFIX}{bucket}:ips",
                ],
                args=[int(self.window_s * 1000), limit, ttl, key, tier, endpoint, ip, user or "",
                      REJECTIONS_MAXLEN, uuid.uuid4().hex],
            )  # fmt: skip
        except redis.RedisError as exc:
            if not broker_unavailable(exc):
                raise
            self._local_until = time.monotonic() + FALLBACK_S
            log.warning("rate limits: Redis is unavailable (%s); counting locally", exc)
            return self._check_locally(key, tier, endpoint, limit)
        allowed, count, oldest_ms, now_ms = (int(v) for v in reply)
        reset = max(0.0, (oldest_ms + self.window_s * 1000 - now_ms) / 1000)
        return Decision(
            allowed=bool(allowed), key=key, tier=tier, endpoint=endpoint, limit=limit,
            remaining=max(0, limit - count), reset_s=reset, window_s=self.window_s,
        )  # fmt: skip

    def _check_locally(self, key: str, tier: str, endpoint: str, limit: int) -> Decision:
        allowed, count, reset = self.local.check(f"{endpoint}:{key}", limit)
        return Decision(
            allowed=allowed, key=key, tier=tier, endpoint=endpoint, limit=limit,
            remaining=max(0, limit - count), reset_s=reset, window_s=self.window_s,
        )  # fmt: skip

    def buckets(self, count: int) -> list[tuple[int, dict[str, int]]]:
        """The last ``count`` buckets (oldest first) as (bucket number, counters)."""
        now = self.bucket_of(time.time())
        numbers = list(range(now - count + 1, now + 1))
        pipe = self.client.pipeline(transaction=False)
        for n in numbers:
            pipe.hgetall(f"{BUCKET_PREFIX}{n}")
        out = []
        for n, raw in zip(numbers, pipe.execute(), strict=True):
            out.append((n, {k.decode(): int(v) for k, v in raw.items()}))
        return out

    def ip_users(self, buckets: list[int]) -> dict[str, set[str]]:
        """Distinct users seen per IP address over ``buckets``: each bucket's addresses from
        its ``:ips`` set, then their users, in two round trips. (A SCAN per bucket walked the
        whole keyspace ten times a run: with 1,000,000 result keys in the broker that was
        seconds of Redis time every run.)"""
        pipe = self.client.pipeline(transaction=False)
        for n in buckets:
            pipe.smembers(f"{BUCKET_PREFIX}{n}:ips")
        pairs = [
            (n, ip.decode())
            for n, ips in zip(buckets, pipe.execute(), strict=True)
            for ip in sorted(ips)
        ]
        for n, ip in pairs:
            pipe.smembers(f"{BUCKET_PREFIX}{n}:ip:{ip}")
        found: dict[str, set[str]] = {}
        for (_n, ip), members in zip(pairs, pipe.execute() if pairs else [], strict=True):
            found.setdefault(ip, set()).update(m.decode() for m in members)
        return found

    def events(self, limit: int) -> list[dict[str, Any]]:
        entries: Any = self.client.xrevrange(REJECTIONS_STREAM, "+", "-", count=limit)
        return [
            {k.decode(): (float(v) if k == b"ts" else v.decode()) for k, v in fields.items()}
            for _entry, fields in entries
        ]

    def config(self) -> dict[str, Any]:
        return {
            "window_s": self.window_s,
            "tiers": self.tiers,
            "endpoint_classes": list(ENDPOINT_CLASSES),
        }
