"""A rate-limit anomaly's evidence, as the Rate limits page plots it and a report shows it:
its names in words, its series over the buckets it covers, its single numbers."""

from __future__ import annotations

import math
from typing import Any, TypeGuard

import numpy as np
from PySide6.QtCore import QCoreApplication

from console.domain.series import Series
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number, percent
from taskdeck_core.api_types import Anomaly

DEFAULT_BUCKET_S = 60.0  # the backend's default, until its statistics say otherwise
KIND_NAMES = {
    "key_rejections": QT_TRANSLATE_NOOP("RateLimitsPage", "Key far above its own rejections"),
    "endpoint_rejection_share": QT_TRANSLATE_NOOP(
        "RateLimitsPage", "Endpoint's share of 429s jumped"
    ),
    "ip_many_users": QT_TRANSLATE_NOOP("RateLimitsPage", "Address acting as many users"),
}
EVIDENCE_NAMES = {
    "rejections_per_bucket": QT_TRANSLATE_NOOP("RateLimitsPage", "rejections"),
    "requests_per_bucket": QT_TRANSLATE_NOOP("RateLimitsPage", "requests"),
    "rejected_per_bucket": QT_TRANSLATE_NOOP("RateLimitsPage", "rejected"),
    "baseline_mean": QT_TRANSLATE_NOOP("RateLimitsPage", "baseline of rejections (mean)"),
    "baseline_std": QT_TRANSLATE_NOOP("RateLimitsPage", "baseline of rejections (std)"),
    "baseline_share": QT_TRANSLATE_NOOP("RateLimitsPage", "baseline share of 429s"),
    "share": QT_TRANSLATE_NOOP("RateLimitsPage", "share of 429s"),
    "distinct_users": QT_TRANSLATE_NOOP("RateLimitsPage", "users from this address"),
}
SHARE_SERIES = QT_TRANSLATE_NOOP("TrendPlot", "share of 429s")
BASELINE_SHARE_SERIES = QT_TRANSLATE_NOOP("TrendPlot", "baseline share of 429s")
BASELINE_SERIES = QT_TRANSLATE_NOOP("TrendPlot", "baseline of rejections")


def anomaly_key(kind: str, subject: str) -> str:
    return f"{kind}|{subject}"


def kind_text(kind: str) -> str:
    name = KIND_NAMES.get(kind)
    return QCoreApplication.translate("RateLimitsPage", name) if name else kind


def evidence_name(key: str) -> str:
    name = EVIDENCE_NAMES.get(key)
    return QCoreApplication.translate("RateLimitsPage", name) if name else key.replace("_", " ")


def _numbers(value: Any) -> TypeGuard[list[float]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def bucket_times(anomaly: Anomaly, count: int, bucket_s: float) -> np.ndarray:
    """The times of ``count`` buckets, the newest being the one the anomaly was last seen in."""
    end = anomaly.last_seen or anomaly.first_seen
    return np.array([end - (count - 1 - n) * bucket_s for n in range(count)], dtype=np.float64)


def evidence_series(anomaly: Anomaly, bucket_s: float) -> list[Series]:
    """What of ``anomaly``'s evidence is a series: each list of counts per bucket, and its
    baseline as a flat line; an endpoint's rejected and requested counts as its share of 429s."""
    ev = anomaly.evidence
    lists = {k: v for k, v in ev.items() if _numbers(v)}
    out: list[Series] = []
    rejected, requests = ev.get("rejected_per_bucket"), ev.get("requests_per_bucket")
    if _numbers(rejected) and _numbers(requests) and len(rejected) == len(requests):
        # One scale: the share of 429s against its own baseline share.
        x = bucket_times(anomaly, len(rejected), bucket_s)
        share = np.array(
            [r / n if n else math.nan for r, n in zip(rejected, requests, strict=True)],
            dtype=np.float64,
        )
        out.append(Series(SHARE_SERIES, {}, x, share))
        if _scalar(ev.get("baseline_share")):
            out.append(Series(BASELINE_SHARE_SERIES, {}, x, np.full(len(x), ev["baseline_share"])))
        return out
    for key, values in lists.items():
        x = bucket_times(anomaly, len(values), bucket_s)
        out.append(Series(evidence_name(key), {}, x, np.array(values, dtype=np.float64)))
    if out and _scalar(ev.get("baseline_mean")):
        x = out[0].x
        out.append(Series(BASELINE_SERIES, {}, x, np.full(len(x), float(ev["baseline_mean"]))))
    return out


def evidence_facts(anomaly: Anomaly) -> list[tuple[str, str]]:
    """The evidence's single numbers (baselines, the share now) and each series' total."""
    facts: list[tuple[str, str]] = []
    for key, value in anomaly.evidence.items():
        if _scalar(value):
            shown = percent(value) if "share" in key else number(value, 2)
            facts.append((evidence_name(key), shown))
        elif _numbers(value):
            total = QCoreApplication.translate("RateLimitsPage", "{name}, in all")
            facts.append((total.format(name=evidence_name(key)), number(sum(value))))
    return facts


def evidence_lists(anomaly: Anomaly) -> dict[str, list[str]]:
    """The evidence's lists of names (the users one address acted as)."""
    return {
        evidence_name(k): [str(v) for v in value]
        for k, value in anomaly.evidence.items()
        if isinstance(value, list) and not _numbers(value) and value
    }
