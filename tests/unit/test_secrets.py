"""Where a profile's secrets are kept (keyring, memory, the session fallback), and
checking a profile's services with its secrets (no Qt; unreachable loopback ports only)."""

from __future__ import annotations

import asyncio

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from console.domain.service_status import ServiceKind
from console.services.probes import check_profile
from console.services.secrets import (
    BACKEND_TOKEN,
    BROKER_PASSWORD,
    KeyringSecrets,
    MemorySecrets,
    SecretsUnavailable,
    SessionFallbackSecrets,
)
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.unit.test_profiles import profile


class DictKeyring(KeyringBackend):
    """A working keyring backend in memory, standing in for Credential Manager."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class UnavailableSecrets(MemorySecrets):
    """A primary store that cannot keep anything, like the keyring on this machine."""

    def available(self) -> bool:
        return False

    def set(self, profile: str, kind: str, value: str) -> None:
        raise SecretsUnavailable("no keyring")


def test_memory_secrets_keep_values_per_profile_and_kind() -> None:
    secrets = MemorySecrets()
    assert secrets.available() and not secrets.persistent
    secrets.set("Prod", BROKER_PASSWORD, "pw")
    secrets.set("Prod", BACKEND_TOKEN, "tok")
    assert secrets.get("Prod", BROKER_PASSWORD) == "pw"
    assert secrets.get("Staging", BROKER_PASSWORD) is None
    secrets.delete("Prod", BROKER_PASSWORD)
    secrets.delete("Prod", BROKER_PASSWORD)  # deleting twice is fine
    assert secrets.get("Prod", BROKER_PASSWORD) is None
    assert secrets.get("Prod", BACKEND_TOKEN) == "tok"
    with pytest.raises(ValueError, match="unknown kind"):
        secrets.get("Prod", "ssh_key")


def test_the_keyring_without_a_backend_is_unavailable_and_says_what_to_do() -> None:
    secrets = KeyringSecrets(backend=fail.Keyring())
    assert not secrets.available() and not secrets.persistent
    assert secrets.get("Prod", BACKEND_TOKEN) is None
    with pytest.raises(SecretsUnavailable) as refused:
        secrets.set("Prod", BACKEND_TOKEN, "tok")
    message = str(refused.value)
    assert "this session only" in message
    assert "Windows Credential Manager" in message and "GNOME Keyring or KWallet" in message
    secrets.delete("Prod", BACKEND_TOKEN)  # nothing to delete, no error


def test_the_keyring_keeps_one_entry_per_profile_and_kind() -> None:
    backend = DictKeyring()
    secrets = KeyringSecrets(backend=backend)
    assert secrets.available() and secrets.persistent
    secrets.set("Prod", BROKER_PASSWORD, "pw")
    secrets.set("Prod", BACKEND_TOKEN, "tok")
    assert backend.entries == {
        ("TaskDeck/Prod/broker_password", "broker_password"): "pw",
        ("TaskDeck/Prod/backend_token", "backend_token"): "tok",
    }
    assert secrets.get("Prod", BACKEND_TOKEN) == "tok"
    secrets.delete("Prod", BACKEND_TOKEN)
    secrets.delete("Prod", BACKEND_TOKEN)  # already gone: no error
    assert secrets.get("Prod", BACKEND_TOKEN) is None


def test_session_fallback_uses_memory_when_the_keyring_is_unavailable() -> None:
    primary = UnavailableSecrets()
    secrets = SessionFallbackSecrets(primary, MemorySecrets())
    assert secrets.available() and not secrets.persistent
    secrets.set("Prod", BACKEND_TOKEN, "tok")
    assert secrets.get("Prod", BACKEND_TOKEN) == "tok"
    assert primary.values == {}
    secrets.delete("Prod", BACKEND_TOKEN)
    assert secrets.get("Prod", BACKEND_TOKEN) is None


def test_session_fallback_uses_the_keyring_when_there_is_one() -> None:
    backend = DictKeyring()
    secrets = SessionFallbackSecrets(KeyringSecrets(backend=backend), MemorySecrets())
    assert secrets.persistent
    secrets.set("Prod", BACKEND_TOKEN, "tok")
    assert backend.entries == {("TaskDeck/Prod/backend_token", "backend_token"): "tok"}
    assert secrets.get("Prod", BACKEND_TOKEN) == "tok"


# --- test connection without servers ---------------------------------------------------------


def test_check_profile_reports_each_unreachable_service_without_raising() -> None:
    dead = f"{LOOPBACK}:{free_port()}"
    closed = profile(
        "Closed",
        broker_url=f"redis://celery@{dead}/0",
        backend_url=f"http://{dead}",
        prometheus_url=f"http://{dead}",
        alertmanager_url=f"http://{dead}/",
    )
    secrets = MemorySecrets({("Closed", BROKER_PASSWORD): "hunter2"})
    results = asyncio.run(check_profile(closed, secrets, timeout_s=3.0))
    assert [r.kind for r in results] == list(ServiceKind)
    assert all(not r.ok and r.latency_ms is None for r in results)
    assert all(r.error == "connection refused" for r in results), results
    assert results[0].target == f"redis://celery:***@{dead}/0"  # a password was sent
    assert not any("hunter2" in r.target or "hunter2" in str(r.error) for r in results)
