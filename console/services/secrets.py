"""Where the broker password and the backend token of each profile are kept. No Qt here.

The system keyring (Windows Credential Manager on Windows, the Keychain on macOS,
a Secret Service such as GNOME Keyring or KWallet on Linux) keeps them across
sessions. Without a usable keyring they are kept in memory for this session only.

A keyring call may block (D-Bus, a prompt to unlock the keyring): the window
calls a store only through ``in_thread``, never on its own thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from console.domain.endpoints import Endpoints
from console.domain.profiles import Profile

log = logging.getLogger(__name__)

BROKER_PASSWORD = "broker_password"
BACKEND_TOKEN = "backend_token"
KINDS = (BROKER_PASSWORD, BACKEND_TOKEN)

NO_KEYRING_HELP = (
    "No system keyring is available, so this secret is kept for this session only. "
    "On Windows, TaskDeck uses Windows Credential Manager automatically; on Linux, "
    "install and unlock a Secret Service such as GNOME Keyring or KWallet."
)


T = TypeVar("T")


async def in_thread(call: Callable[[], T]) -> T:
    """``call()`` (keyring I/O) on a worker thread, so the window's thread never waits for it."""
    return await asyncio.to_thread(call)


@dataclass(frozen=True)
class ProfileSecrets:
    broker_password: str | None = None
    backend_token: str | None = None


async def read_profile_secrets(store: SecretStore, profile: str) -> ProfileSecrets:
    """Both secrets of ``profile``, read on a worker thread; raises SecretsUnavailable."""
    return await in_thread(
        lambda: ProfileSecrets(
            store.get(profile, BROKER_PASSWORD), store.get(profile, BACKEND_TOKEN)
        )
    )


async def endpoints_for(profile: Profile, store: SecretStore) -> Endpoints:
    """A profile's addresses with its secrets from ``store`` (never from the file), read on a
    worker thread. Secrets that cannot be read are left out (the services then say so)."""
    try:
        found = await read_profile_secrets(store, profile.name)
    except SecretsUnavailable as exc:
        log.warning("secrets of profile %r not read: %s", profile.name, exc)
        found = ProfileSecrets()
    return profile.endpoints(found.broker_password, found.backend_token)


class SecretsUnavailable(RuntimeError):
    """The secret could not be kept persistently; the message says why and what to do."""


class SecretStore(Protocol):
    @property
    def persistent(self) -> bool:
        """Whether what is set now is still there after a restart."""
        ...

    def get(self, profile: str, kind: str) -> str | None: ...

    def set(self, profile: str, kind: str, value: str) -> None: ...

    def delete(self, profile: str, kind: str) -> None: ...

    def available(self) -> bool: ...


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of secret {kind!r}; expected one of {KINDS}")


def keyring_usable(backend: KeyringBackend) -> bool:
    """False for keyring's stand-ins that cannot keep anything (fail, null, an empty chain)."""
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


class KeyringSecrets:
    """Secrets in the system keyring, one entry per profile and kind.

    The entry's service name is ``TaskDeck/<profile>/<kind>`` (what Windows Credential
    Manager shows), so each entry stands alone.
    """

    def __init__(self, service: str = "TaskDeck", backend: KeyringBackend | None = None) -> None:
        self.service = service
        self._backend = backend

    def _keyring(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def _entry(self, profile: str, kind: str) -> str:
        _check_kind(kind)
        return f"{self.service}/{profile}/{kind}"

    def available(self) -> bool:
        try:
            return keyring_usable(self._keyring())
        except Exception:  # noqa: BLE001 - a broken keyring configuration is no keyring
            log.exception("the system keyring cannot be loaded")
            return False

    @property
    def persistent(self) -> bool:
        return self.available()

    def get(self, profile: str, kind: str) -> str | None:
        entry = self._entry(profile, kind)
        if not self.available():
            return None
        try:
            return self._keyring().get_password(entry, kind)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"the system keyring did not answer ({exc})") from exc

    def set(self, profile: str, kind: str, value: str) -> None:
        entry = self._entry(profile, kind)
        if not self.available():
            raise SecretsUnavailable(NO_KEYRING_HELP)
        try:
            self._keyring().set_password(entry, kind, value)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(
                f"the system keyring refused to keep the secret ({exc}); "
                "it is kept for this session only"
            ) from exc

    def delete(self, profile: str, kind: str) -> None:
        entry = self._entry(profile, kind)
        if not self.available():
            return
        try:
            self._keyring().delete_password(entry, kind)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"the system keyring did not answer ({exc})") from exc


class MemorySecrets:
    """Secrets in a dict: for tests, and for this session when there is no keyring."""

    persistent = False

    def __init__(self, values: dict[tuple[str, str], str] | None = None) -> None:
        self.values: dict[tuple[str, str], str] = dict(values or {})

    def available(self) -> bool:
        return True

    def get(self, profile: str, kind: str) -> str | None:
        _check_kind(kind)
        return self.values.get((profile, kind))

    def set(self, profile: str, kind: str, value: str) -> None:
        _check_kind(kind)
        self.values[(profile, kind)] = value

    def delete(self, profile: str, kind: str) -> None:
        _check_kind(kind)
        self.values.pop((profile, kind), None)


class SessionFallbackSecrets:
    """``primary`` (the keyring) when it is available, else ``fallback`` (memory).

    A secret the primary refuses at run time is kept in the fallback, and
    ``persistent`` turns False so the window can say so.
    """

    def __init__(self, primary: SecretStore, fallback: SecretStore | None = None) -> None:
        self.primary = primary
        self.fallback: SecretStore = fallback if fallback is not None else MemorySecrets()
        self._primary_failed = False

    @property
    def persistent(self) -> bool:
        return not self._primary_failed and self.primary.available()

    def available(self) -> bool:
        return True

    def get(self, profile: str, kind: str) -> str | None:
        value = self.fallback.get(profile, kind)
        if value is not None or not self.primary.available():
            return value
        try:
            return self.primary.get(profile, kind)
        except SecretsUnavailable as exc:
            log.warning("secret %s of profile %r not read: %s", kind, profile, exc)
            self._primary_failed = True
            return None

    def set(self, profile: str, kind: str, value: str) -> None:
        if self.primary.available():
            try:
                self.primary.set(profile, kind, value)
            except SecretsUnavailable as exc:
                log.warning("secret %s of profile %r kept in memory: %s", kind, profile, exc)
                self._primary_failed = True
            else:
                self.fallback.delete(profile, kind)
                return
        self.fallback.set(profile, kind, value)

    def delete(self, profile: str, kind: str) -> None:
        self.fallback.delete(profile, kind)
        if self.primary.available():
            try:
                self.primary.delete(profile, kind)
            except SecretsUnavailable as exc:
                log.warning("secret %s of profile %r not deleted: %s", kind, profile, exc)
                self._primary_failed = True
