"""A connection profile and its rules: what makes one valid, where its secrets go. No Qt.

Messages meant for the user are :class:`Message` strings (English text that
keeps its template, so the view can translate it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import (
    SplitResult,
    parse_qsl,
    quote,
    unquote,
    urlencode,
    urlsplit,
)

from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints, TransportSettings
from console.domain.translation import QT_TRANSLATE_NOOP, Message
from taskdeck_core.redis_clients import parse_sentinel_url
from taskdeck_core.transport import parse_sep, parse_steps, show_sep

DEFAULT_COLOUR = "#3b82f6"
SANDBOX_COLOUR = "#10b981"
PRODUCTION_COLOUR = "#dc2626"
NAME_MAX = 60
BROKER_SCHEMES = ("redis", "rediss", "unix", "sentinel")
HTTP_SCHEMES = ("http", "https")
URL_FIELDS = ("broker_url", "backend_url", "prometheus_url", "alertmanager_url")
TRANSPORT_FIELDS = ("transport_sep", "priority_steps", "queues")
FIELDS = (
    "name", *URL_FIELDS, "colour", "production", "notifications", *TRANSPORT_FIELDS,
    "backend_ca_file",
)  # fmt: skip
_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s")  # what str.isspace() calls a space, found in one scan
_QUEUE_SPLIT_RE = re.compile(r"[\s,]+")
CONTEXT = "Profiles"  # the translation context of the profile messages
QUOTE_MAX = 200  # a value quoted in a message is cut to this many characters


def quoted(value: object) -> object:
    """``value`` as a message quotes it: numbers and messages as they are, anything else as
    text of at most ``QUOTE_MAX`` characters (a hand-edited file may hold megabytes)."""
    if isinstance(value, Message | int | float):
        return value
    text = str(value)
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "…"


def message(template: str, **values: object) -> Message:
    return Message(CONTEXT, template, **{key: quoted(value) for key, value in values.items()})


_FIELD_LABELS = {
    "name": QT_TRANSLATE_NOOP("Profiles", "name"),
    "broker_url": QT_TRANSLATE_NOOP("Profiles", "broker URL"),
    "backend_url": QT_TRANSLATE_NOOP("Profiles", "backend URL"),
    "prometheus_url": QT_TRANSLATE_NOOP("Profiles", "Prometheus URL"),
    "alertmanager_url": QT_TRANSLATE_NOOP("Profiles", "Alertmanager URL"),
}


def field_label(field: str) -> Message:
    return message(_FIELD_LABELS[field])


@dataclass(frozen=True)
class Profile:
    """One environment the console can connect to. Never holds a password or token."""

    name: str
    broker_url: str
    backend_url: str
    prometheus_url: str
    alertmanager_url: str
    colour: str = DEFAULT_COLOUR
    production: bool = False
    notifications: bool = True  # desktop notifications of critical alerts
    # The watched system's transport as its owners configured it; empty: learned from the broker.
    transport_sep: str = ""  # the separator itself, not as typed ("\x06\x16" is two characters)
    priority_steps: tuple[int, ...] = ()
    queues: tuple[str, ...] = ()  # watched besides the queues bound in the broker
    # The certificates (PEM) that sign the backend's HTTPS certificate; empty: the usual ones.
    backend_ca_file: str = ""

    def validate(self) -> list[str]:
        """Human-readable problems (as :class:`Message`); empty when the profile is valid."""
        problems: list[str] = []
        if not self.name.strip():
            problems.append(message(QT_TRANSLATE_NOOP("Profiles", "The name is empty.")))
        elif self.name != self.name.strip():
            problems.append(
                message(QT_TRANSLATE_NOOP("Profiles", "The name starts or ends with a space."))
            )
        if len(self.name) > NAME_MAX:
            problems.append(
                message(
                    QT_TRANSLATE_NOOP("Profiles", "The name is longer than {max} characters."),
                    max=NAME_MAX,
                )
            )
        if _CONTROL_RE.search(self.name):
            problems.append(
                message(QT_TRANSLATE_NOOP("Profiles", "The name contains control characters."))
            )
        problems += _broker_url_problems(self.broker_url)
        for field in URL_FIELDS[1:]:
            problems += _http_url_problems(field, getattr(self, field))
        if not _COLOUR_RE.fullmatch(self.colour):
            problems.append(
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles", "The colour “{colour}” is not of the form #rrggbb."
                    ),
                    colour=self.colour,
                )
            )
        problems += transport_problems(self.transport_sep, self.priority_steps, self.queues)
        return problems

    @property
    def transport(self) -> TransportSettings:
        return TransportSettings(self.transport_sep, self.priority_steps, self.queues)

    def endpoints(
        self, broker_password: str | None = None, backend_token: str | None = None
    ) -> Endpoints:
        """Where this profile's services are, with its secrets (kept in the keyring, not here)."""
        return Endpoints(
            broker_url=with_broker_password(self.broker_url, broker_password),
            backend_url=self.backend_url,
            prometheus_url=self.prometheus_url,
            alertmanager_url=self.alertmanager_url,
            backend_token=backend_token,
            transport=self.transport,
            backend_ca_file=self.backend_ca_file,
        )


def _separator_problem(reason: object) -> Message:
    return message(
        QT_TRANSLATE_NOOP("Profiles", "The transport separator cannot be used: {reason}"),
        reason=reason,
    )


def _steps_problem(reason: object) -> Message:
    return message(
        QT_TRANSLATE_NOOP("Profiles", "The priority steps cannot be used: {reason}"),
        reason=reason,
    )


def _queue_problems(queues: Sequence[str]) -> list[str]:
    for queue in queues:
        if _CONTROL_RE.search(queue):
            return [
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles", "The queue name “{queue}” contains control characters."
                    ),
                    queue=show_sep(queue),
                )
            ]
        if not queue or queue != queue.strip() or _QUEUE_SPLIT_RE.search(queue):
            return [
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The queue name “{queue}” is empty or holds a space or a comma.",
                    ),
                    queue=queue,
                )
            ]
    return []


def transport_problems(sep: str, steps: Sequence[int], queues: Sequence[str]) -> list[str]:
    """What is wrong with a profile's transport settings (empty ones are learned: fine)."""
    problems: list[str] = []
    if sep:
        try:
            parse_sep(show_sep(sep))  # the same rules as for a typed separator
        except ValueError as exc:
            problems.append(_separator_problem(exc))
    if steps:
        try:
            parse_steps(steps)
        except ValueError as exc:
            problems.append(_steps_problem(exc))
    return problems + _queue_problems(queues)


@dataclass(frozen=True)
class TransportInput:
    """The transport settings as typed in the profile dialog, read: each part that reads is
    in ``values`` (under its ``Profile`` field), each that does not is in ``problems``."""

    values: dict[str, Any]
    problems: list[str]


def read_transport_input(sep: str, steps: str, queues: str) -> TransportInput:
    """``sep`` with escapes (``\\x06\\x16``), ``steps`` as "0,3,6,9", ``queues`` separated by
    commas or spaces; empty text is an empty setting (learned from the broker)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    try:
        values["transport_sep"] = parse_sep(sep)
    except ValueError as exc:
        problems.append(_separator_problem(exc))
    try:
        values["priority_steps"] = parse_steps(steps) if steps.strip() else ()
    except ValueError as exc:
        problems.append(_steps_problem(exc))
    names = tuple(q for q in _QUEUE_SPLIT_RE.split(queues.strip()) if q)
    queue_problems = _queue_problems(names)
    if queue_problems:
        problems += queue_problems
    else:
        values["queues"] = names
    return TransportInput(values, problems)


def transport_text(profile: Profile) -> tuple[str, str, str]:
    """A profile's transport settings as the dialog shows them: separator, steps, queues."""
    return (
        show_sep(profile.transport_sep),
        ",".join(map(str, profile.priority_steps)),
        ", ".join(profile.queues),
    )


def _common_url_problems(field: str, url: str) -> tuple[list[str], SplitResult | None]:
    """Problems every URL can have, and the split URL (None when it cannot be split)."""
    if not url.strip():
        problem = message(
            QT_TRANSLATE_NOOP("Profiles", "The {field} is empty."), field=field_label(field)
        )
        return [problem], None
    if _SPACE_RE.search(url) or _CONTROL_RE.search(url):
        problem = message(
            QT_TRANSLATE_NOOP("Profiles", "The {field} contains spaces."), field=field_label(field)
        )
        return [problem], None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        problem = message(
            QT_TRANSLATE_NOOP(
                "Profiles", "The {field} is not a valid URL (check the host and port)."
            ),
            field=field_label(field),
        )
        return [problem], None
    return [], parts


def _sentinel_url_problems(url: str) -> list[str]:
    try:
        parse_sentinel_url(url)
    except ValueError as exc:
        return [
            message(
                QT_TRANSLATE_NOOP("Profiles", "The broker URL is not a usable Sentinel URL: {why}"),
                why=str(exc),
            )
        ]
    return []


def _broker_url_problems(url: str) -> list[str]:
    if url.strip().lower().startswith("sentinel://") and not _SPACE_RE.search(url):
        problems = _sentinel_url_problems(url)
        if split_broker_password(url)[1] is not None:
            problems.append(message(_PASSWORD_IN_BROKER_URL))
        if "sentinel_password=" in url.split("?", 1)[-1]:
            problems.append(
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The broker URL contains the Sentinels' password (sentinel_password), "
                        "which would be kept in the profile file in plain text. Give that URL "
                        "with --broker-url when starting TaskDeck instead.",
                    )
                )
            )
        return problems
    problems, parts = _common_url_problems("broker_url", url)
    if parts is None:
        return problems
    if parts.scheme.lower() not in BROKER_SCHEMES:
        return [
            message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "The broker URL must start with redis://, rediss://, unix:// or sentinel://.",
                )
            )
        ]
    if parts.scheme.lower() == "unix":
        if not parts.path.strip("/"):
            problems.append(
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The broker URL has no socket path, as in unix:///run/redis/redis.sock.",
                    )
                )
            )
    else:
        if not parts.hostname:
            problems.append(
                message(QT_TRANSLATE_NOOP("Profiles", "The broker URL has no host name."))
            )
        database = parts.path.strip("/")
        if database and not database.isdigit():
            problems.append(
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The broker URL's database must be a number, as in redis://host:6379/0.",
                    )
                )
            )
    if split_broker_password(url)[1] is not None:
        problems.append(message(_PASSWORD_IN_BROKER_URL))
    return problems


_PASSWORD_IN_BROKER_URL = QT_TRANSLATE_NOOP(
    "Profiles",
    "The broker URL contains a password. Enter it in the password field: "
    "it is kept in the system keyring, not in the profile file.",
)


def _http_url_problems(field: str, url: str) -> list[str]:
    problems, parts = _common_url_problems(field, url)
    if parts is None:
        return problems
    if parts.scheme.lower() not in HTTP_SCHEMES:
        return [
            message(
                QT_TRANSLATE_NOOP("Profiles", "The {field} must start with http:// or https://."),
                field=field_label(field),
            )
        ]
    if not parts.hostname:
        problems.append(
            message(
                QT_TRANSLATE_NOOP("Profiles", "The {field} has no host name."),
                field=field_label(field),
            )
        )
    if parts.password is not None:
        problems.append(
            message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "The {field} contains a password; passwords are not kept in the profile file.",
                ),
                field=field_label(field),
            )
        )
    return problems


def url_problems(field: str, url: str) -> list[str]:
    """What is wrong with one service URL given outside a profile (on the command line), by
    the rules a profile's URLs follow; a password in it is allowed there."""
    bare, _ = split_broker_password(url)
    if field == "broker_url":
        head, q, query = bare.partition("?")
        if q:  # the Sentinels' password too: the command line keeps no file
            kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                    if k != "sentinel_password"]  # fmt: skip
            bare = head + (f"?{urlencode(kept)}" if kept else "")
        return _broker_url_problems(bare)
    return _http_url_problems(field, bare)


def split_broker_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password, and the password (``None`` when there is none).

    The password may be in the user-info part (``redis://user:secret@host``) or in a
    ``password=`` query parameter; as in redis-py, the user-info one wins. A user name
    (a Redis ACL user) stays in the URL.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    password: str | None = None
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k != "password"]
        if len(kept) != len(pairs):
            password = next(v for k, v in pairs if k == "password")
            query = urlencode(kept)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, secret = userinfo.partition(":")
        if colon:
            password = unquote(secret)
        netloc = f"{user}@{hostport}" if user else hostport
    if password is None:
        return url, None
    return _unsplit(parts.scheme, netloc, parts.path, query, parts.fragment), password


def with_broker_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` in its user-info part (replacing any there); as is if empty."""
    bare, _ = split_broker_password(url)
    if not password:
        return bare
    parts = urlsplit(bare)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user = userinfo if at else ""
    netloc = f"{user}:{quote(password, safe='')}@{hostport}"
    return _unsplit(parts.scheme, netloc, parts.path, parts.query, parts.fragment)


def _unsplit(scheme: str, netloc: str, path: str, query: str, fragment: str) -> str:
    """Like urlunsplit, but keeps ``//`` when the host is empty (``unix:///run/redis.sock``)."""
    url = f"{scheme}://{netloc}{path}"
    if query:
        url += f"?{query}"
    if fragment:
        url += f"#{fragment}"
    return url


def sandbox_profile(urls: dict[str, str]) -> Profile:
    """The "Sandbox" profile for a local sandbox, from its state's ``urls``."""
    return Profile(
        name="Sandbox",
        broker_url=urls["broker"],
        backend_url=urls["backend"],
        prometheus_url=urls["prometheus"],
        alertmanager_url=urls["alertmanager"],
        colour=SANDBOX_COLOUR,
        transport_sep=SANDBOX_SETTINGS.sep,
        priority_steps=SANDBOX_SETTINGS.steps,
        queues=SANDBOX_SETTINGS.queues,
    )


def name_key(name: str) -> str:
    """Names are compared without case (Windows Credential Manager ignores case too)."""
    return name.strip().casefold()


def _profile_label(number: int, name: str) -> Message:
    if name.strip():
        return message(
            QT_TRANSLATE_NOOP("Profiles", "Profile {number} “{name}”"), number=number, name=name
        )
    return message(QT_TRANSLATE_NOOP("Profiles", "Profile {number}"), number=number)


def check_profiles(profiles: Sequence[Profile], active: str | None) -> list[str]:
    """Problems of a whole set of profiles: each one's, duplicate names, an unknown active one."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, profile in enumerate(profiles, start=1):
        label = _profile_label(number, profile.name)
        for problem in profile.validate():
            problems.append(
                message(
                    QT_TRANSLATE_NOOP("Profiles", "{profile}: {problem}"),
                    profile=label,
                    problem=problem,
                )
            )
        key = name_key(profile.name)
        if key and key in seen:
            problems.append(
                message(
                    QT_TRANSLATE_NOOP(
                        "Profiles", "{profile}: the name is already used by profile {other}."
                    ),
                    profile=label,
                    other=seen[key],
                )
            )
        seen.setdefault(key, number)
    if active is not None and active not in {p.name for p in profiles}:
        problems.append(
            message(
                QT_TRANSLATE_NOOP(
                    "Profiles", "The active profile “{name}” is not among the profiles."
                ),
                name=active,
            )
        )
    return problems


class ProfileError(ValueError):
    """Profiles that cannot be saved; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
