"""Alertmanager's alert groups and silences as the Alerts page shows them, read from its
API v2 answers; and which console page an alert concerns. No Qt widgets here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from console.views.colours import BAD, INFO, NEUTRAL, WARN

SEVERITY_COLOURS = {"critical": BAD, "warning": WARN, "info": INFO}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def severity_colour(severity: str) -> str:
    """Critical red, warning amber, info blue; anything else grey (light and dark themes:
    each takes white text)."""
    return SEVERITY_COLOURS.get(severity, NEUTRAL)


def parse_time(text: object) -> float:
    """An RFC 3339 time as Alertmanager writes it (nanoseconds, ``Z``), as epoch seconds;
    0.0 when missing or unreadable."""
    if not isinstance(text, str) or not text:
        return 0.0
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most microseconds: cut the fraction to six digits
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[: min(digits, 6)] + rest[digits:]
        text = f"{head}.{rest}"
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _labels(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


@dataclass(frozen=True)
class AlertView:
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str  # "active", "silenced" or "inhibited"
    starts_at: float
    starts_at_text: str  # as Alertmanager wrote it: part of the notification key
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary", "")

    @property
    def description(self) -> str:
        return self.annotations.get("description", "")

    @property
    def key(self) -> str:
        """One firing of one alert: a new firing after it resolved has another key."""
        return f"{self.fingerprint}@{self.starts_at_text}"

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.starts_at) if self.starts_at else 0.0


@dataclass(frozen=True)
class AlertGroupView:
    labels: dict[str, str]
    receiver: str
    alerts: tuple[AlertView, ...] = field(default=())

    @property
    def key(self) -> str:
        pairs = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"{self.receiver}|{pairs}"

    @property
    def severity(self) -> str:
        """The group's worst severity."""
        found = [a.severity for a in self.alerts]
        return min(found, key=lambda s: SEVERITY_ORDER.get(s, 9), default="")


@dataclass(frozen=True)
class MatcherView:
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def text(self) -> str:
        op = (
            ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex else "!=")
        )
        return f'{self.name}{op}"{self.value}"'


@dataclass(frozen=True)
class SilenceView:
    silence_id: str
    matchers: tuple[MatcherView, ...]
    created_by: str
    comment: str
    starts_at: float
    ends_at: float
    state: str  # "active", "pending" or "expired"

    def matchers_text(self) -> str:
        return ", ".join(m.text() for m in self.matchers)

    def left_s(self, now: float) -> float | None:
        """Seconds until it ends; None once expired."""
        return None if self.state == "expired" else max(0.0, self.ends_at - now)


def alert_from_api(raw: dict[str, Any]) -> AlertView:
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    assert isinstance(status, dict)
    silenced = tuple(str(s) for s in status.get("silencedBy") or ())
    inhibited = tuple(str(s) for s in status.get("inhibitedBy") or ())
    state = "silenced" if silenced else "inhibited" if inhibited else "active"
    if status.get("state") == "suppressed" and not silenced and not inhibited:
        state = "silenced"
    starts = str(raw.get("startsAt") or "")
    return AlertView(
        fingerprint=str(raw.get("fingerprint") or ""),
        labels=_labels(raw.get("labels")),
        annotations=_labels(raw.get("annotations")),
        state=state,
        starts_at=parse_time(starts),
        starts_at_text=starts,
        silenced_by=silenced,
        inhibited_by=inhibited,
        generator_url=str(raw.get("generatorURL") or ""),
    )


def groups_from_api(raw: list[dict[str, Any]]) -> list[AlertGroupView]:
    """Alertmanager's groups in its own grouping: the worst severity first, then by labels;
    in each, the worst severity first, then the newest."""
    groups: list[AlertGroupView] = []
    for group in raw:
        if not isinstance(group, dict):
            continue
        receiver = group.get("receiver")
        name = str(receiver.get("name") or "") if isinstance(receiver, dict) else ""
        alerts = [alert_from_api(a) for a in group.get("alerts") or () if isinstance(a, dict)]
        alerts.sort(key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), -a.starts_at, a.name))
        groups.append(AlertGroupView(_labels(group.get("labels")), name, tuple(alerts)))
    groups.sort(key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), g.key))
    return groups


def silences_from_api(raw: list[dict[str, Any]]) -> list[SilenceView]:
    """Silences, the ones in force first, each kind ending soonest first."""
    silences: list[SilenceView] = []
    for one in raw:
        if not isinstance(one, dict):
            continue
        matchers = tuple(
            MatcherView(str(m.get("name") or ""), str(m.get("value") or ""),
                        bool(m.get("isRegex", False)), bool(m.get("isEqual", True)))
            for m in one.get("matchers") or () if isinstance(m, dict)
        )  # fmt: skip
        status = one.get("status")
        state = str(status.get("state") or "") if isinstance(status, dict) else ""
        silences.append(
            SilenceView(
                silence_id=str(one.get("id") or ""),
                matchers=matchers,
                created_by=str(one.get("createdBy") or ""),
                comment=str(one.get("comment") or ""),
                starts_at=parse_time(one.get("startsAt")),
                ends_at=parse_time(one.get("endsAt")),
                state=state,
            )
        )
    order = {"active": 0, "pending": 1, "expired": 2}
    silences.sort(key=lambda s: (order.get(s.state, 3), s.ends_at if s.state != "expired"
                                 else -s.ends_at))  # fmt: skip
    return silences


# Target kinds of ``target_of``: the page an alert concerns.
QUEUE, WORKER, TASK, USER, ANOMALY = "queue", "worker", "task", "user", "anomaly"
TASK_ALERTS = ("HighCeleryTaskFailureRate", "HighCeleryTaskExecutionTime")


def target_of(alert: AlertView) -> tuple[str, str] | None:
    """The page an alert concerns, as (kind, value), from the rules' labels
    (monitoring/prometheus/rules/taskdeck.rules.yml); None when it concerns no one page.

    "queue": the queue (``queue_name``); "worker": the worker (``hostname``); "task": the
    task name (``name``), for the failure inbox filtered to it; "user": the user
    (``user``); "anomaly": a rate-limit anomaly's ``kind``, or "kind/subject" when the
    alert carries a ``subject`` too (split at the first "/")."""
    labels = alert.labels
    if alert.name == "RateLimitAnomaly" and labels.get("kind"):
        subject = labels.get("subject", "")
        return ANOMALY, f"{labels['kind']}/{subject}" if subject else labels["kind"]
    if alert.name in TASK_ALERTS and labels.get("name"):
        return TASK, labels["name"]
    for label, kind in (("queue_name", QUEUE), ("hostname", WORKER), ("user", USER)):
        if labels.get(label):
            return kind, labels[label]
    return None
