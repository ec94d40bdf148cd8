"""Connection profiles: named environments, kept in a TOML file in the user's config directory.

No Qt here. Secrets (the broker password, the backend token) are never part of a
profile: they live in the operating system's keyring (``console.services.secrets``).

Messages meant for the user are :class:`Message` strings: plain English text that
also carries its template, so the view can translate it with Qt.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import (
    SplitResult,
    parse_qsl,
    quote,
    unquote,
    urlencode,
    urlsplit,
)

import tomli_w

PROFILES_FILE = "profiles.toml"
DEFAULT_COLOUR = "#3b82f6"
SANDBOX_COLOUR = "#10b981"
PRODUCTION_COLOUR = "#dc2626"
NAME_MAX = 60
BROKER_SCHEMES = ("redis", "rediss", "unix")
HTTP_SCHEMES = ("http", "https")
URL_FIELDS = ("broker_url", "backend_url", "prometheus_url", "alertmanager_url")
_FIELDS = ("name", *URL_FIELDS, "colour", "production")
_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HEADER_RE = re.compile(r"^[ \t]*\[\[[ \t]*profile[ \t]*\]\]", re.MULTILINE)
_TOML_POSITION_RE = re.compile(
    r"^(?P<reason>.*?) \((?:at line (?P<line>\d+), column (?P<col>\d+)|at end of document)\)$"
)
_FILE_HEADER = (
    "# TaskDeck connection profiles.\n"
    "# Passwords and tokens are not kept here: they are in the system keyring.\n\n"
)
CONTEXT = "Profiles"  # the translation context of this module's messages


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name Qt's lupdate looks for
    """Marks ``text`` for Qt's lupdate without importing Qt; returns it unchanged."""
    return text


class Message(str):
    """English text that also keeps its template and values, so a view can translate it.

    ``str(message)`` is the English text; ``message.translated(QCoreApplication.translate)``
    is the text in the user's language. Values that are Messages are translated too.
    """

    context: str
    template: str
    values: dict[str, object]

    def __new__(cls, context: str, template: str, /, **values: object) -> Message:
        self = super().__new__(cls, template.format(**values))
        self.context = context
        self.template = template
        self.values = values
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, object]]:
        return (self.context, self.template), self.values  # for copy and pickle

    def translated(self, translate: Callable[[str, str], str]) -> str:
        values = {
            key: value.translated(translate) if isinstance(value, Message) else value
            for key, value in self.values.items()
        }
        return translate(self.context, self.template).format(**values)


def _m(template: str, **values: object) -> Message:
    return Message(CONTEXT, template, **values)


_FIELD_LABELS = {
    "name": QT_TRANSLATE_NOOP("Profiles", "name"),
    "broker_url": QT_TRANSLATE_NOOP("Profiles", "broker URL"),
    "backend_url": QT_TRANSLATE_NOOP("Profiles", "backend URL"),
    "prometheus_url": QT_TRANSLATE_NOOP("Profiles", "Prometheus URL"),
    "alertmanager_url": QT_TRANSLATE_NOOP("Profiles", "Alertmanager URL"),
}


def field_label(field: str) -> Message:
    return _m(_FIELD_LABELS[field])


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

    def validate(self) -> list[str]:
        """Human-readable problems (as :class:`Message`); empty when the profile is valid."""
        problems: list[str] = []
        if not self.name.strip():
            problems.append(_m(QT_TRANSLATE_NOOP("Profiles", "The name is empty.")))
        elif self.name != self.name.strip():
            problems.append(
                _m(QT_TRANSLATE_NOOP("Profiles", "The name starts or ends with a space."))
            )
        if len(self.name) > NAME_MAX:
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP("Profiles", "The name is longer than {max} characters."),
                    max=NAME_MAX,
                )
            )
        if _CONTROL_RE.search(self.name):
            problems.append(
                _m(QT_TRANSLATE_NOOP("Profiles", "The name contains control characters."))
            )
        problems += _broker_url_problems(self.broker_url)
        for field in URL_FIELDS[1:]:
            problems += _http_url_problems(field, getattr(self, field))
        if not _COLOUR_RE.fullmatch(self.colour):
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP(
                        "Profiles", "The colour “{colour}” is not of the form #rrggbb."
                    ),
                    colour=self.colour,
                )
            )
        return problems


def _common_url_problems(field: str, url: str) -> tuple[list[str], SplitResult | None]:
    """Problems every URL can have, and the split URL (None when it cannot be split)."""
    label = field_label(field)
    if not url.strip():
        return [_m(QT_TRANSLATE_NOOP("Profiles", "The {field} is empty."), field=label)], None
    if any(c.isspace() for c in url) or _CONTROL_RE.search(url):
        problem = _m(QT_TRANSLATE_NOOP("Profiles", "The {field} contains spaces."), field=label)
        return [problem], None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        problem = _m(
            QT_TRANSLATE_NOOP(
                "Profiles", "The {field} is not a valid URL (check the host and port)."
            ),
            field=label,
        )
        return [problem], None
    return [], parts


def _broker_url_problems(url: str) -> list[str]:
    problems, parts = _common_url_problems("broker_url", url)
    if parts is None:
        return problems
    if parts.scheme.lower() not in BROKER_SCHEMES:
        return [
            _m(
                QT_TRANSLATE_NOOP(
                    "Profiles", "The broker URL must start with redis://, rediss:// or unix://."
                )
            )
        ]
    if parts.scheme.lower() == "unix":
        if not parts.path.strip("/"):
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The broker URL has no socket path, as in unix:///run/redis/redis.sock.",
                    )
                )
            )
    else:
        if not parts.hostname:
            problems.append(_m(QT_TRANSLATE_NOOP("Profiles", "The broker URL has no host name.")))
        database = parts.path.strip("/")
        if database and not database.isdigit():
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "The broker URL's database must be a number, as in redis://host:6379/0.",
                    )
                )
            )
    if split_broker_password(url)[1] is not None:
        problems.append(
            _m(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "The broker URL contains a password. Enter it in the password field: "
                    "it is kept in the system keyring, not in the profile file.",
                )
            )
        )
    return problems


def _http_url_problems(field: str, url: str) -> list[str]:
    problems, parts = _common_url_problems(field, url)
    if parts is None:
        return problems
    label = field_label(field)
    if parts.scheme.lower() not in HTTP_SCHEMES:
        return [
            _m(
                QT_TRANSLATE_NOOP("Profiles", "The {field} must start with http:// or https://."),
                field=label,
            )
        ]
    if not parts.hostname:
        problems.append(
            _m(QT_TRANSLATE_NOOP("Profiles", "The {field} has no host name."), field=label)
        )
    if parts.password is not None:
        problems.append(
            _m(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "The {field} contains a password; passwords are not kept in the profile file.",
                ),
                field=label,
            )
        )
    return problems


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


def config_dir() -> Path:
    """Where TaskDeck keeps its settings for this user."""
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        return base / "TaskDeck"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "TaskDeck"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "taskdeck"


def sandbox_profile(urls: dict[str, str]) -> Profile:
    """The "Sandbox" profile for a local sandbox, from its state's ``urls``."""
    return Profile(
        name="Sandbox",
        broker_url=urls["broker"],
        backend_url=urls["backend"],
        prometheus_url=urls["prometheus"],
        alertmanager_url=urls["alertmanager"],
        colour=SANDBOX_COLOUR,
    )


def name_key(name: str) -> str:
    """Names are compared without case (Windows Credential Manager ignores case too)."""
    return name.strip().casefold()


def _profile_label(number: int, name: str) -> Message:
    if name.strip():
        return _m(
            QT_TRANSLATE_NOOP("Profiles", "Profile {number} “{name}”"), number=number, name=name
        )
    return _m(QT_TRANSLATE_NOOP("Profiles", "Profile {number}"), number=number)


def check_profiles(profiles: Sequence[Profile], active: str | None) -> list[str]:
    """Problems of a whole set of profiles: each one's, duplicate names, an unknown active one."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, profile in enumerate(profiles, start=1):
        label = _profile_label(number, profile.name)
        for problem in profile.validate():
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP("Profiles", "{profile}: {problem}"),
                    profile=label,
                    problem=problem,
                )
            )
        key = name_key(profile.name)
        if key and key in seen:
            problems.append(
                _m(
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
            _m(
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


@dataclass
class LoadResult:
    profiles: list[Profile]
    active: str | None
    problems: list[str]


class ProfileStore:
    """Reads and writes the profiles file. ``load`` never raises; ``save`` is atomic."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> ProfileStore:
        return cls(config_dir() / PROFILES_FILE)

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    def load(self) -> LoadResult:
        try:
            return self._load()
        except Exception as exc:  # noqa: BLE001 - the console must start whatever the file holds
            problem = _m(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} cannot be used ({error}). Fix it or delete it; TaskDeck will start without it.",
                ),
                file=str(self.path),
                error=f"{type(exc).__name__}: {exc}",
            )
            return LoadResult([], None, [problem])

    def _load(self) -> LoadResult:
        file = str(self.path)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult([], None, [])
        except OSError as exc:
            problem = _m(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} cannot be read ({error}). Check its permissions; TaskDeck will start without it.",
                ),
                file=file,
                error=exc.strerror or type(exc).__name__,
            )
            return LoadResult([], None, [problem])
        try:
            text = raw.decode("utf-8-sig")  # Notepad may have added a byte-order mark
        except UnicodeDecodeError:
            problem = _m(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} is not UTF-8 text. Save it as UTF-8 or delete it; TaskDeck will start without it.",
                ),
                file=file,
            )
            return LoadResult([], None, [problem])
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return LoadResult([], None, [self._syntax_problem(exc, text)])
        return self._read_document(document, text)

    def _syntax_problem(self, exc: tomllib.TOMLDecodeError, text: str) -> Message:
        match = _TOML_POSITION_RE.match(str(exc))
        reason = match.group("reason") if match else str(exc)
        if match and match.group("line"):
            line, column = int(match.group("line")), int(match.group("col"))
        else:  # "at end of document"
            line, column = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)), 1
        return _m(
            QT_TRANSLATE_NOOP(
                "Profiles",
                "{file}, line {line}, column {column}: {reason}. Fix it or delete it; TaskDeck will start without it.",
            ),
            file=str(self.path),
            line=line,
            column=column,
            reason=reason,
        )

    def _read_document(self, document: dict[str, Any], text: str) -> LoadResult:
        file = str(self.path)
        problems: list[str] = []
        for key in sorted(document.keys() - {"active", "profile"}):
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP("Profiles", "{file}: unknown setting “{key}” ignored."),
                    file=file,
                    key=key,
                )
            )
        active = document.get("active")
        if active is not None and not isinstance(active, str):
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "{file}: “active” must be a profile name in quotes; no profile is active.",
                    ),
                    file=file,
                )
            )
            active = None
        entries = document.get("profile", [])
        if not isinstance(entries, list):
            problems.append(
                _m(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "{file}: “profile” must be a list of [[profile]] tables; no profile was read.",
                    ),
                    file=file,
                )
            )
            entries = []
        header_lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER_RE.finditer(text)]
        if len(header_lines) != len(entries):
            header_lines = []
        profiles: list[Profile] = []
        taken: dict[str, Message] = {}
        names_in_file: set[str] = set()
        for index, entry in enumerate(entries):
            line = header_lines[index] if header_lines else None
            profile, entry_problems, label = self._read_entry(index + 1, line, entry)
            problems += entry_problems
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names_in_file.add(entry["name"])
            if profile is None:
                continue
            key = name_key(profile.name)
            if key in taken:
                problems.append(
                    _m(
                        QT_TRANSLATE_NOOP(
                            "Profiles",
                            "{file}: {entry}: the name is already used by {other}; this profile is ignored.",
                        ),
                        file=file,
                        entry=label,
                        other=taken[key],
                    )
                )
                continue
            taken[key] = label
            profiles.append(profile)
        if active is not None and active not in {p.name for p in profiles}:
            if active not in names_in_file:
                problems.append(
                    _m(
                        QT_TRANSLATE_NOOP(
                            "Profiles",
                            "{file}: the active profile “{name}” is not defined; no profile is active.",
                        ),
                        file=file,
                        name=active,
                    )
                )
            active = None
        return LoadResult(profiles, active, problems)

    def _read_entry(
        self, number: int, line: int | None, entry: object
    ) -> tuple[Profile | None, list[str], Message]:
        file = str(self.path)
        name = entry.get("name") if isinstance(entry, dict) else None
        if line is not None and isinstance(name, str):
            label = _m(
                QT_TRANSLATE_NOOP("Profiles", "profile {number} “{name}” (line {line})"),
                number=number,
                name=name,
                line=line,
            )
        elif line is not None:
            label = _m(
                QT_TRANSLATE_NOOP("Profiles", "profile {number} (line {line})"),
                number=number,
                line=line,
            )
        elif isinstance(name, str):
            label = _m(
                QT_TRANSLATE_NOOP("Profiles", "profile {number} “{name}”"), number=number, name=name
            )
        else:
            label = _m(QT_TRANSLATE_NOOP("Profiles", "profile {number}"), number=number)

        def problem(template: str, **values: object) -> Message:
            return _m(
                QT_TRANSLATE_NOOP("Profiles", "{file}: {entry}: {problem}"),
                file=file,
                entry=label,
                problem=_m(template, **values),
            )

        if not isinstance(entry, dict):
            return (
                None,
                [problem(QT_TRANSLATE_NOOP("Profiles", "not a table; it is ignored."))],
                label,
            )
        problems: list[str] = []
        for key in sorted(entry.keys() - set(_FIELDS)):
            problems.append(
                problem(QT_TRANSLATE_NOOP("Profiles", "unknown key “{key}” ignored."), key=key)
            )
        values: dict[str, Any] = {}
        fatal = False
        for key in ("name", *URL_FIELDS):
            if key not in entry:
                problems.append(
                    problem(
                        QT_TRANSLATE_NOOP(
                            "Profiles", "“{key}” is missing; the profile is ignored."
                        ),
                        key=key,
                    )
                )
                fatal = True
            elif not isinstance(entry[key], str):
                problems.append(
                    problem(
                        QT_TRANSLATE_NOOP(
                            "Profiles", "“{key}” must be text in quotes; the profile is ignored."
                        ),
                        key=key,
                    )
                )
                fatal = True
            else:
                values[key] = entry[key]
        if "colour" in entry:
            if isinstance(entry["colour"], str):
                values["colour"] = entry["colour"]
            else:
                problems.append(
                    problem(
                        QT_TRANSLATE_NOOP(
                            "Profiles",
                            '“colour” must be text in quotes, as in "#3b82f6"; the profile is ignored.',
                        )
                    )
                )
                fatal = True
        if "production" in entry:
            if isinstance(entry["production"], bool):
                values["production"] = entry["production"]
            else:
                problems.append(
                    problem(
                        QT_TRANSLATE_NOOP(
                            "Profiles",
                            "“production” must be true or false; the profile is ignored.",
                        )
                    )
                )
                fatal = True
        if fatal:
            return None, problems, label
        bare, password = split_broker_password(values["broker_url"])
        if password is not None:
            values["broker_url"] = bare
            problems.append(
                problem(
                    QT_TRANSLATE_NOOP(
                        "Profiles",
                        "the password in the broker URL was ignored. Enter it in the profile dialog: it is kept in the system keyring, not in this file.",
                    )
                )
            )
        profile = Profile(**values)
        invalid = profile.validate()
        if invalid:
            for reason in invalid:
                problems.append(
                    problem(
                        QT_TRANSLATE_NOOP("Profiles", "{reason} The profile is ignored."),
                        reason=reason,
                    )
                )
            return None, problems, label
        return profile, problems, label

    def save(self, profiles: Sequence[Profile], active: str | None) -> None:
        """Write ``profiles`` atomically; raises :class:`ProfileError` if any is invalid.

        The previous file, if any, is kept as ``profiles.toml.bak`` (entries that could
        not be read at load time are not lost).
        """
        problems = check_profiles(profiles, active)
        if problems:
            raise ProfileError(problems)
        document: dict[str, Any] = {}
        if active is not None:
            document["active"] = active
        document["profile"] = [
            {
                "name": p.name,
                "broker_url": p.broker_url,
                "backend_url": p.backend_url,
                "prometheus_url": p.prometheus_url,
                "alertmanager_url": p.alertmanager_url,
                "colour": p.colour,
                "production": p.production,
            }
            for p in profiles
        ]
        data = (_FILE_HEADER + tomli_w.dumps(document)).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            previous = self.path.read_bytes()
            if previous != data:
                self._write_atomically(self.backup_path, previous)
        self._write_atomically(self.path, data)

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
