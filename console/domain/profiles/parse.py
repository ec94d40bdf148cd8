"""Reading a profiles file's text: every profile it holds, and what is wrong with the rest. No Qt.

A file with mistakes is never fatal: each problem is a :class:`Message` naming
the file, the line and what to do, and the profiles that are sound are kept.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from console.domain.profiles.model import (
    FIELDS,
    URL_FIELDS,
    Profile,
    message,
    name_key,
    split_broker_password,
)
from console.domain.translation import QT_TRANSLATE_NOOP, Message
from taskdeck_core.transport import parse_sep

VALUE_MAX = 2048  # characters in one text value (a URL is far shorter)
LIST_MAX = 1000  # entries in one list (queues, priority steps)
_HEADER_RE = re.compile(r"^[ \t]*\[\[[ \t]*profile[ \t]*\]\]", re.MULTILINE)
_TOML_POSITION_RE = re.compile(
    r"^(?P<reason>.*?) \((?:at line (?P<line>\d+), column (?P<col>\d+)|at end of document)\)$"
)
# Optional keys: the type each must have, and the complaint when it has another.
_OPTIONAL = {
    "colour": (str, QT_TRANSLATE_NOOP(
        "Profiles", '“colour” must be text in quotes, as in "#3b82f6"; the profile is ignored.')),
    "production": (bool, QT_TRANSLATE_NOOP(
        "Profiles", "“production” must be true or false; the profile is ignored.")),
    "notifications": (bool, QT_TRANSLATE_NOOP(
        "Profiles", "“notifications” must be true or false; the profile is ignored.")),
    "backend_ca_file": (str, QT_TRANSLATE_NOOP(
        "Profiles", "“backend_ca_file” must be a file path in quotes; the profile is ignored.")),
}  # fmt: skip


@dataclass
class LoadResult:
    profiles: list[Profile]
    active: str | None
    problems: list[str]


def parse_profiles(raw: bytes, file: str) -> LoadResult:
    """The profiles in a file's bytes; ``file`` names the file in the problems."""
    try:
        text = raw.decode("utf-8-sig")  # Notepad may have added a byte-order mark
    except UnicodeDecodeError:
        problem = message(
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
        return LoadResult([], None, [_syntax_problem(exc, text, file)])
    except RecursionError:  # tomllib reads nested lists and tables recursively
        problem = message(
            QT_TRANSLATE_NOOP(
                "Profiles",
                "{file} nests lists or tables too deeply to be a profiles file. Fix it or delete it; TaskDeck will start without it.",
            ),
            file=file,
        )
        return LoadResult([], None, [problem])
    return _read_document(document, text, file)


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, file: str) -> Message:
    match = _TOML_POSITION_RE.match(str(exc))
    reason = match.group("reason") if match else str(exc)
    if match and match.group("line"):
        line, column = int(match.group("line")), int(match.group("col"))
    else:  # "at end of document"
        line, column = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)), 1
    return message(
        QT_TRANSLATE_NOOP(
            "Profiles",
            "{file}, line {line}, column {column}: {reason}. Fix it or delete it; TaskDeck will start without it.",
        ),
        file=file,
        line=line,
        column=column,
        reason=reason,
    )


def _read_document(document: dict[str, Any], text: str, file: str) -> LoadResult:
    problems: list[str] = []
    for key in sorted(document.keys() - {"active", "profile"}):
        problems.append(
            message(
                QT_TRANSLATE_NOOP("Profiles", "{file}: unknown setting “{key}” ignored."),
                file=file,
                key=key,
            )
        )
    active = document.get("active")
    if active is not None and not isinstance(active, str):
        problems.append(
            message(
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
            message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file}: “profile” must be a list of [[profile]] tables; no profile was read.",
                ),
                file=file,
            )
        )
        entries = []
    header_lines = _header_lines(text)
    if len(header_lines) != len(entries):
        header_lines = []
    profiles: list[Profile] = []
    taken: dict[str, Message] = {}
    names_in_file: set[str] = set()
    for index, entry in enumerate(entries):
        line = header_lines[index] if header_lines else None
        profile, entry_problems, label = _read_entry(index + 1, line, entry, file)
        problems += entry_problems
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names_in_file.add(entry["name"])
        if profile is None:
            continue
        key = name_key(profile.name)
        if key in taken:
            problems.append(
                message(
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
                message(
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


def _header_lines(text: str) -> list[int]:
    """The line of each ``[[profile]]`` header, counted in one pass over the text."""
    lines: list[int] = []
    line, counted_to = 1, 0
    for match in _HEADER_RE.finditer(text):
        line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        lines.append(line)
    return lines


def _read_transport(entry: dict[str, Any]) -> tuple[dict[str, Any], list[Message]]:
    """The optional transport settings of an entry (absent in files of older versions)."""
    values: dict[str, Any] = {}
    problems: list[Message] = []
    sep = entry.get("transport_sep", "")
    if not isinstance(sep, str):
        problems.append(message(QT_TRANSLATE_NOOP(
            "Profiles", "“transport_sep” must be text in quotes, as in '\\x06\\x16'.")))  # fmt: skip
    else:
        try:  # written with escapes, as typed in the dialog
            values["transport_sep"] = parse_sep(sep)
        except ValueError as exc:
            problems.append(message(QT_TRANSLATE_NOOP(
                "Profiles", "The transport separator cannot be used: {reason}"), reason=exc))  # fmt: skip
    steps = entry.get("priority_steps", [])
    if isinstance(steps, list) and all(isinstance(s, int) and not isinstance(s, bool)
                                       for s in steps):  # fmt: skip
        values["priority_steps"] = tuple(steps)  # checked with the profile
    else:
        problems.append(message(QT_TRANSLATE_NOOP(
            "Profiles", "“priority_steps” must be a list of whole numbers, as in [0, 3, 6, 9].")))  # fmt: skip
    queues = entry.get("queues", [])
    if isinstance(queues, list) and all(isinstance(q, str) for q in queues):
        values["queues"] = tuple(queues)  # checked with the profile
    else:
        problems.append(message(QT_TRANSLATE_NOOP(
            "Profiles", "“queues” must be a list of queue names in quotes, as in [\"erp_sync\"].")))  # fmt: skip
    return values, problems


def _oversized(entry: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """The known keys of an entry whose value is far larger than any profile needs:
    (key, complaint, its size, the limit)."""
    found: list[tuple[str, str, int, int]] = []
    for key in FIELDS:
        value = entry.get(key)
        if isinstance(value, list):
            if len(value) > LIST_MAX:
                found.append((key, QT_TRANSLATE_NOOP(
                    "Profiles", "“{key}” has {size} entries, more than a profile holds ({max}); "
                    "the profile is ignored."), len(value), LIST_MAX))  # fmt: skip
                continue
            value = max((v for v in value if isinstance(v, str)), key=len, default="")
        if isinstance(value, str) and len(value) > VALUE_MAX:
            found.append((key, QT_TRANSLATE_NOOP(
                "Profiles", "“{key}” is {size} characters long, more than a profile holds "
                "({max}); the profile is ignored."), len(value), VALUE_MAX))  # fmt: skip
    return found


def _read_entry(
    number: int, line: int | None, entry: object, file: str
) -> tuple[Profile | None, list[str], Message]:
    name = entry.get("name") if isinstance(entry, dict) else None
    if line is not None and isinstance(name, str):
        label = message(
            QT_TRANSLATE_NOOP("Profiles", "profile {number} “{name}” (line {line})"),
            number=number,
            name=name,
            line=line,
        )
    elif line is not None:
        label = message(
            QT_TRANSLATE_NOOP("Profiles", "profile {number} (line {line})"),
            number=number,
            line=line,
        )
    elif isinstance(name, str):
        label = message(
            QT_TRANSLATE_NOOP("Profiles", "profile {number} “{name}”"), number=number, name=name
        )
    else:
        label = message(QT_TRANSLATE_NOOP("Profiles", "profile {number}"), number=number)

    def problem(template: str, **values: object) -> Message:
        return message(
            QT_TRANSLATE_NOOP("Profiles", "{file}: {entry}: {problem}"),
            file=file,
            entry=label,
            problem=message(template, **values),
        )

    if not isinstance(entry, dict):
        return (
            None,
            [problem(QT_TRANSLATE_NOOP("Profiles", "not a table; it is ignored."))],
            label,
        )
    oversized: list[str] = [problem(template, key=key, size=size, max=limit)
                            for key, template, size, limit in _oversized(entry)]  # fmt: skip
    if oversized:  # refused before any rule reads the value
        return None, oversized, label
    problems: list[str] = []
    for key in sorted(entry.keys() - set(FIELDS)):
        problems.append(
            problem(QT_TRANSLATE_NOOP("Profiles", "unknown key “{key}” ignored."), key=key)
        )
    values: dict[str, Any] = {}
    fatal = False
    for key in ("name", *URL_FIELDS):
        if key not in entry:
            problems.append(
                problem(
                    QT_TRANSLATE_NOOP("Profiles", "“{key}” is missing; the profile is ignored."),
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
    for key, (kind, complaint) in _OPTIONAL.items():
        if key not in entry:
            continue
        if isinstance(entry[key], kind):
            values[key] = entry[key]
        else:
            problems.append(problem(complaint))
            fatal = True
    transport, transport_problems = _read_transport(entry)
    values.update(transport)
    problems += [problem(QT_TRANSLATE_NOOP("Profiles", "{reason} The profile is ignored."),
                         reason=reason) for reason in transport_problems]  # fmt: skip
    fatal = fatal or bool(transport_problems)
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
