"""What the console connects to at start, and that a broken profile file does not stop it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from console.__main__ import Choice, choose, parse_args
from console.domain.endpoints import EndpointsError
from console.domain.profiles import LoadResult, Profile, ProfileStore
from console.services.secrets import (
    BACKEND_TOKEN,
    BROKER_PASSWORD,
    MemorySecrets,
    SecretsUnavailable,
    endpoints_for,
)

PROFILE = Profile("Prod", "redis://reader@redis.prod:6379/0", "https://td.prod", "http://prom.prod:9090",
                  "http://am.prod:9093", production=True)  # fmt: skip


def sandbox_dir(tmp_path: Path) -> Path:
    run = tmp_path / "sb"
    run.mkdir()
    urls = {"broker": "redis://127.0.0.1:6390/0", "backend": "http://127.0.0.1:8400",
            "prometheus": "http://127.0.0.1:9390", "alertmanager": "http://127.0.0.1:9393"}  # fmt: skip
    (run / "state.json").write_text(
        json.dumps({"urls": urls, "tokens": {"admin": "sandbox-admin"}})
    )
    return run


def test_urls_on_the_command_line_come_first_with_the_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKDECK_TOKEN", "t-123")
    args = parse_args(["--broker-url", "redis://h:1/0", "--backend-url", "http://b",
                       "--prometheus-url", "http://p", "--alertmanager-url", "http://a"])  # fmt: skip
    choice, note = choose(args, LoadResult([PROFILE], "Prod", []))
    assert isinstance(choice, Choice) and note is None
    assert choice.name == "custom" and choice.endpoints.backend_token == "t-123"


def test_the_active_profile_with_its_secrets_from_the_keyring() -> None:
    secrets = MemorySecrets()
    secrets.set("Prod", BACKEND_TOKEN, "prod-token")
    secrets.set("Prod", BROKER_PASSWORD, "pw")
    choice, _ = choose(parse_args([]), LoadResult([PROFILE], "Prod", []))
    assert choice == PROFILE  # its secrets are read once the window's loop runs
    endpoints = asyncio.run(endpoints_for(PROFILE, secrets))
    assert endpoints.broker_url == "redis://reader:pw@redis.prod:6379/0"
    assert endpoints.backend_token == "prod-token"


def test_a_keyring_that_cannot_be_read_leaves_the_secrets_out() -> None:
    class Locked(MemorySecrets):
        def get(self, profile: str, kind: str) -> str | None:
            raise SecretsUnavailable("the keyring is locked")

    endpoints = asyncio.run(endpoints_for(PROFILE, Locked()))
    assert endpoints.broker_url == PROFILE.broker_url and endpoints.backend_token is None


def test_no_profile_and_no_sandbox_starts_with_a_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TASKDECK_SANDBOX_DIR", str(tmp_path / "nothing-here"))
    choice, note = choose(parse_args([]), LoadResult([], None, []))
    assert choice is None and note is not None and "taskdeck-sandbox up" in note


def test_a_named_sandbox_that_is_not_running_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EndpointsError):
        choose(
            parse_args(["--sandbox-dir", str(tmp_path / "none")]),
            LoadResult([], None, []),
        )


def test_a_sandbox_brings_its_own_admin_token(tmp_path: Path) -> None:
    args = parse_args(["--sandbox-dir", str(sandbox_dir(tmp_path))])
    choice, _ = choose(args, LoadResult([], None, []))
    assert isinstance(choice, Choice) and choice.endpoints.backend_token == "sandbox-admin"


def test_a_hand_broken_profile_file_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text('active = "Prod"\n[[profile]]\nname = "Prod\nbroker_url = 5\n')
    loaded = ProfileStore(path).load()
    assert loaded.profiles == [] and loaded.problems
    choice, note = choose(parse_args(["--sandbox-dir", str(sandbox_dir(tmp_path))]), loaded)
    assert isinstance(choice, Choice) and choice.name == "sandbox"


def url_args(broker: str, backend: str = "http://b:8400") -> list[str]:
    return ["--broker-url", broker, "--backend-url", backend, "--prometheus-url", "http://p",
            "--alertmanager-url", "http://a"]  # fmt: skip


@pytest.mark.parametrize(
    ("broker", "expected"),
    [
        ("http://x", "must start with redis://, rediss://, unix:// or sentinel://"),
        ("redis:/x", "has no host name"),
        ("foo", "must start with redis://, rediss://, unix:// or sentinel://"),
        ("redis://:hunter2@h:6379/0?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
        ("sentinel://:hunter2@h:26379,h:26380/0", "add ?master_name=NAME"),
        ("sentinel://h:port/0?master_name=main", "bad Sentinel port"),
    ],
)
def test_a_broker_url_on_the_command_line_that_cannot_be_used_connects_to_nothing_and_says_why(
    broker: str, expected: str
) -> None:
    # The active profile is not used instead: the user asked for these URLs.
    choice, note = choose(parse_args(url_args(broker)), LoadResult([PROFILE], "Prod", []))
    assert choice is None and note is not None
    assert "--broker-url" in note and expected in note
    assert "Start TaskDeck again with corrected URLs" in note
    assert "hunter2" not in note


def test_every_url_on_the_command_line_is_checked_by_the_profile_rules() -> None:
    choice, note = choose(
        parse_args(url_args("redis://h:6379/0", backend="b:8400")), LoadResult([], None, [])
    )
    assert choice is None and note is not None
    assert "--backend-url “b:8400”: The backend URL must start with http://" in note
    assert "--broker-url" not in note


def test_a_sentinel_url_with_the_sentinels_password_is_taken_on_the_command_line() -> None:
    # Not from a profile (the file would keep it), but the command line keeps no file.
    url = "sentinel://:pw@s1:26379,s2:26379/0?master_name=main&sentinel_password=hunter2"
    choice, note = choose(parse_args(url_args(url)), LoadResult([], None, []))
    assert note is None and choice is not None
