"""The profiles file: where it is, reading it (never raising) and writing it atomically. No Qt."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomli_w

from console.domain.places import config_dir
from console.domain.profiles.model import Profile, ProfileError, check_profiles, message
from console.domain.profiles.parse import LoadResult, parse_profiles
from console.domain.translation import QT_TRANSLATE_NOOP
from taskdeck_core.files import write_atomically
from taskdeck_core.transport import show_sep

PROFILES_FILE = "profiles.toml"
MAX_FILE_BYTES = 16 * 1024 * 1024  # tens of thousands of profiles; more is not a profiles file
_FILE_HEADER = (
    "# TaskDeck connection profiles.\n"
    "# Passwords and tokens are not kept here: they are in the system keyring.\n\n"
)


def _entry(p: Profile) -> dict[str, Any]:
    """A profile as the file holds it; transport settings only when set (learned otherwise)."""
    entry: dict[str, Any] = {
        "name": p.name,
        "broker_url": p.broker_url,
        "backend_url": p.backend_url,
        "prometheus_url": p.prometheus_url,
        "alertmanager_url": p.alertmanager_url,
        "colour": p.colour,
        "production": p.production,
        "notifications": p.notifications,
    }
    if p.transport_sep:
        entry["transport_sep"] = show_sep(p.transport_sep)  # as typed in the dialog
    if p.priority_steps:
        entry["priority_steps"] = list(p.priority_steps)
    if p.queues:
        entry["queues"] = list(p.queues)
    if p.backend_ca_file:
        entry["backend_ca_file"] = p.backend_ca_file
    return entry


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
            problem = message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} cannot be used ({error}). Fix it or delete it; TaskDeck will start without it.",
                ),
                file=str(self.path),
                error=f"{type(exc).__name__}: {exc}",
            )
            return LoadResult([], None, [problem])

    def _load(self) -> LoadResult:
        try:
            with self.path.open("rb") as file:
                raw = file.read(MAX_FILE_BYTES + 1)  # never more: a larger file is refused
        except FileNotFoundError:
            return LoadResult([], None, [])
        except OSError as exc:
            problem = message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} cannot be read ({error}). Check its permissions; TaskDeck will start without it.",
                ),
                file=str(self.path),
                error=exc.strerror or type(exc).__name__,
            )
            return LoadResult([], None, [problem])
        if len(raw) > MAX_FILE_BYTES:
            problem = message(
                QT_TRANSLATE_NOOP(
                    "Profiles",
                    "{file} is larger than a profiles file can be ({max} MB), so it was not read. Fix it or delete it; TaskDeck will start without it.",
                ),
                file=str(self.path),
                max=MAX_FILE_BYTES // (1024 * 1024),
            )
            return LoadResult([], None, [problem])
        return parse_profiles(raw, str(self.path))

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
        document["profile"] = [_entry(p) for p in profiles]
        data = (_FILE_HEADER + tomli_w.dumps(document)).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            previous = self.path.read_bytes()
            if previous != data:
                write_atomically(self.backup_path, previous)
        write_atomically(self.path, data)
