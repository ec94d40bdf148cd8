"""Rate-limit anomalies: who or what is far outside its own normal.

Three detectors over the per-bucket counters the rate limiter keeps:
- ``key_rejections``: a key whose rejections in the latest bucket are far
  above its own recent baseline (exponentially weighted mean and variance,
  z-score), and at least a few;
- ``endpoint_rejection_share``: an endpoint class whose share of 429 answers
  jumps well above its own baseline share;
- ``ip_many_users``: one IP address acting as many distinct users.
Each anomaly carries its evidence (counts per bucket over the window) and
first/last seen; an anomaly not seen again for a while is dropped.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import redis

from backend.services.ratelimit import RateLimiter
from taskdeck_core.api_types import Anomaly

STATE_KEY = "taskdeck:rl:anomalies"
WINDOW_BUCKETS = 30
ALPHA = 0.3  # weight of the newest bucket in the baseline
Z_THRESHOLD = 4.0
MIN_REJECTIONS = 5
SHARE_JUMP = 0.25
IP_USERS_THRESHOLD = 5
STALE_BUCKETS = 5  # an anomaly not seen for this many buckets is over


def ewma_z(history: list[float], current: float) -> tuple[float, float, float]:
    """(baseline mean, baseline std, z of ``current``) from an EWMA over ``history``."""
    mean, var = 0.0, 0.0
    for n, value in enumerate(history):
        if n == 0:
            mean = value
            continue
        diff = value - mean
        mean += ALPHA * diff
        var = (1 - ALPHA) * (var + ALPHA * diff * diff)
    std = math.sqrt(var)
    z = (current - mean) / max(std, 1.0)
    return mean, std, z


def detect(
    buckets: list[tuple[int, dict[str, int]]], ip_users: dict[str, set[str]]
) -> list[Anomaly]:
    """Anomalies in the newest bucket, judged against the ones before it."""
    if not buckets:
        return []
    *history, (_now_n, latest) = buckets
    found: list[Anomaly] = []
    keys = {k.split("|", 1)[1] for k in latest if k.startswith("rejkey|")}
    for key in keys:
        series = [float(b.get(f"rejkey|{key}", 0)) for _n, b in history]
        current = float(latest.get(f"rejkey|{key}", 0))
        mean, std, z = ewma_z(series, current)
        if current >= MIN_REJECTIONS and z >= Z_THRESHOLD:
            found.append(Anomaly(kind="key_rejections", subject=key, score=round(z, 2), evidence={
                "rejections_per_bucket": [int(v) for v in series] + [int(current)],
                "requests_per_bucket": [b.get(f"key|{key}", 0) for _n, b in buckets],
                "baseline_mean": round(mean, 2), "baseline_std": round(std, 2),
            }))  # fmt: skip
    endpoints = {k.split("|", 1)[1] for k in latest if k.startswith("rej|")}
    for endpoint in endpoints:
        shares = [
            b.get(f"rej|{endpoint}", 0) / b[f"req|{endpoint}"]
            for _n, b in history
            if b.get(f"req|{endpoint}")
        ]
        total = latest.get(f"req|{endpoint}", 0)
        share = latest.get(f"rej|{endpoint}", 0) / total if total else 0.0
        baseline = sum(shares) / len(shares) if shares else 0.0
        if total >= MIN_REJECTIONS and share - baseline >= SHARE_JUMP:
            found.append(Anomaly(kind="endpoint_rejection_share", subject=endpoint, score=round(share - baseline, 3), evidence={
                "rejected_per_bucket": [b.get(f"rej|{endpoint}", 0) for _n, b in buckets],
                "requests_per_bucket": [b.get(f"req|{endpoint}", 0) for _n, b in buckets],
                "baseline_share": round(baseline, 3), "share": round(share, 3),
            }))  # fmt: skip
    for ip, users in ip_users.items():
        if len(users) >= IP_USERS_THRESHOLD:
            found.append(Anomaly(kind="ip_many_users", subject=f"ip:{ip}", score=float(len(users)),
                                 evidence={"distinct_users": sorted(users)[:50]}))  # fmt: skip
    return found


class AnomalyDetector:
    def __init__(self, client: redis.Redis, limiter: RateLimiter) -> None:
        self.client = client
        self.limiter = limiter

    def run_once(self) -> list[Anomaly]:
        """Detect on the latest buckets, merge with what was seen before, store, and return the active."""
        buckets = self.limiter.buckets(WINDOW_BUCKETS)
        recent = [n for n, _b in buckets[-10:]]
        now = time.time()
        found = detect(buckets, self.limiter.ip_users(recent))
        stored: Any = self.client.hgetall(STATE_KEY)
        state = {k.decode(): json.loads(v) for k, v in stored.items()}
        pipe = self.client.pipeline(transaction=False)
        for anomaly in found:
            ident = f"{anomaly.kind}|{anomaly.subject}"
            previous = state.get(ident)
            first_seen = previous["first_seen"] if previous else now
            state[ident] = anomaly.model_copy(
                update={"first_seen": first_seen, "last_seen": now}
            ).model_dump()
            pipe.hset(STATE_KEY, ident, json.dumps(state[ident]))
        stale_after = STALE_BUCKETS * self.limiter.bucket_s
        for ident, data in list(state.items()):
            if now - data["last_seen"] > stale_after:
                pipe.hdel(STATE_KEY, ident)
                del state[ident]
        pipe.execute()
        return [Anomaly.model_validate(data) for data in state.values()]

    def active(self) -> list[Anomaly]:
        stored: Any = self.client.hgetall(STATE_KEY)
        now = time.time()
        stale_after = STALE_BUCKETS * self.limiter.bucket_s
        out = [Anomaly.model_validate_json(v) for v in stored.values()]
        return sorted((a for a in out if now - a.last_seen <= stale_after), key=lambda a: -a.score)
