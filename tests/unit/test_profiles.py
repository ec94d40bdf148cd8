"""Connection profiles and their file (no Qt, no servers)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from console.domain.profiles import (
    PROFILES_FILE,
    Message,
    Profile,
    ProfileError,
    ProfileStore,
    config_dir,
    sandbox_profile,
    split_broker_password,
    with_broker_password,
)
from console.services.secrets import (
    BACKEND_TOKEN,
    BROKER_PASSWORD,
    MemorySecrets,
)
from tests.helpers import GOOD_ENTRY


def profile(name: str = "Staging", **changes: Any) -> Profile:
    values: dict[str, Any] = {
        "name": name,
        "broker_url": "redis://celery@redis.staging:6379/0",
        "backend_url": "https://taskdeck.staging:8400",
        "prometheus_url": "http://prometheus.staging:9090",
        "alertmanager_url": "http://alertmanager.staging:9093",
    }
    values.update(changes)
    return Profile(**values)


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "config" / PROFILES_FILE)


def write(store: ProfileStore, text: str) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text(text, encoding="utf-8")


# --- the profile itself ---------------------------------------------------------------------


def test_a_valid_profile_has_no_problems() -> None:
    assert profile().validate() == []
    assert profile(broker_url="rediss://redis.example:6380/2", production=True).validate() == []
    assert profile(broker_url="unix:///run/redis/redis.sock?db=1").validate() == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": ""}, "The name is empty."),
        ({"name": "x" * 61}, "longer than 60"),
        ({"name": "prod\tnew"}, "control characters"),
        ({"name": " prod"}, "starts or ends with a space"),
        ({"broker_url": "amqp://rabbit:5672//"}, "redis://, rediss://, unix:// or sentinel://"),
        ({"broker_url": "redis:///0"}, "broker URL has no host"),
        ({"broker_url": "redis://redis:6379/zero"}, "database must be a number"),
        ({"broker_url": "redis://:secret@redis:6379/0"}, "contains a password"),
        ({"broker_url": "sentinel://s1:26379,s2:26379/0"}, "add ?master_name=NAME"),
        (
            {"broker_url": "sentinel://s1:26379/0?master_name=m&sentinel_password=hunter2"},
            "Give that URL with --broker-url",
        ),
        ({"broker_url": "unix://"}, "no socket path"),
        ({"backend_url": "taskdeck:8400"}, "backend URL must start with http:// or https://"),
        ({"backend_url": "ftp://taskdeck"}, "backend URL must start with http://"),
        ({"prometheus_url": "http://"}, "Prometheus URL has no host"),
        ({"prometheus_url": "http://prometheus:99999"}, "Prometheus URL is not a valid URL"),
        ({"alertmanager_url": ""}, "Alertmanager URL is empty"),
        ({"alertmanager_url": "http://am host:9093"}, "contains spaces"),
        ({"backend_url": "https://admin:pw@taskdeck"}, "backend URL contains a password"),
        ({"colour": "blue"}, "#rrggbb"),
        ({"colour": "#12345"}, "#rrggbb"),
    ],
)
def test_each_kind_of_bad_value_is_named(changes: dict[str, Any], expected: str) -> None:
    problems = profile(**changes).validate()
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_problems_carry_their_template_for_translation() -> None:
    (problem,) = profile(backend_url="ftp://x").validate()
    assert isinstance(problem, Message) and problem.context == "Profiles"
    assert problem.template == "The {field} must start with http:// or https://."

    def translate(context: str, text: str) -> str:
        return {"backend URL": "URL du backend"}.get(text, text.replace("The", "Le"))

    assert problem.translated(translate) == "Le URL du backend must start with http:// or https://."


@pytest.mark.parametrize(
    ("url", "bare", "password"),
    [
        ("redis://:s3cret@redis:6379/0", "redis://redis:6379/0", "s3cret"),
        ("redis://celery:s3cret@redis:6379/0", "redis://celery@redis:6379/0", "s3cret"),
        ("rediss://celery:p%40ss%3Aw%2Fd@redis/1", "rediss://celery@redis/1", "p@ss:w/d"),
        (
            "redis://redis:6379/0?password=q&socket_timeout=5",
            "redis://redis:6379/0?socket_timeout=5",
            "q",
        ),
        ("unix://:pw@/run/redis.sock?db=2", "unix:///run/redis.sock?db=2", "pw"),
        ("redis://celery@redis:6379/0", "redis://celery@redis:6379/0", None),
        ("redis://redis:6379/0", "redis://redis:6379/0", None),
    ],
)
def test_the_broker_password_is_split_off_and_the_user_stays(
    url: str, bare: str, password: str | None
) -> None:
    assert split_broker_password(url) == (bare, password)
    if password is not None:
        merged = with_broker_password(bare, password)
        assert split_broker_password(merged) == (bare.replace("?password=q&", "?"), password)


def test_with_broker_password_quotes_it_and_replaces_an_old_one() -> None:
    assert (
        with_broker_password("redis://celery@redis/0", "a@b:c")
        == "redis://celery:a%40b%3Ac@redis/0"
    )
    assert with_broker_password("redis://:old@redis/0", "new") == "redis://:new@redis/0"
    assert with_broker_password("redis://:old@redis/0", None) == "redis://redis/0"
    assert with_broker_password("redis://redis/0", "") == "redis://redis/0"


def test_the_sandbox_profile_comes_from_the_state_urls() -> None:
    urls = {
        "broker": "redis://127.0.0.1:6390/0",
        "backend": "http://127.0.0.1:8400",
        "prometheus": "http://127.0.0.1:9390",
        "alertmanager": "http://127.0.0.1:9393",
    }
    sandbox = sandbox_profile(urls)
    assert sandbox.name == "Sandbox" and not sandbox.production
    assert (sandbox.broker_url, sandbox.alertmanager_url) == (urls["broker"], urls["alertmanager"])
    assert sandbox.validate() == []


def test_config_dir_follows_the_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "taskdeck"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "taskdeck"
    monkeypatch.setattr(sys, "platform", "win32")
    # Windows asks the shell for the roaming AppData folder; platformdirs lets this stand in.
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", "C:\\Users\\张伟\\AppData\\Roaming")
    assert config_dir().name == "TaskDeck"
    assert str(config_dir().parent) == "C:\\Users\\张伟\\AppData\\Roaming"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert config_dir() == tmp_path / "home" / "Library" / "Application Support" / "TaskDeck"


# --- the file -------------------------------------------------------------------------------


def test_profiles_and_the_active_one_survive_a_round_trip(store: ProfileStore) -> None:
    profiles = [
        profile("Staging"),
        profile("Production", colour="#dc2626", production=True),
        profile("Ünïcode “quoted” name", broker_url="unix:///run/redis.sock?db=3"),
    ]
    store.save(profiles, "Production")
    loaded = ProfileStore(store.path).load()
    assert loaded.problems == []
    assert loaded.profiles == profiles
    assert loaded.active == "Production"


def test_a_missing_file_is_no_profiles_and_no_problem(store: ProfileStore) -> None:
    result = store.load()
    assert (result.profiles, result.active, result.problems) == ([], None, [])


def test_a_broken_file_is_a_problem_naming_the_file_and_line(store: ProfileStore) -> None:
    write(store, 'active = "Staging"\n[[profile]]\nname = "Staging\nbroker_url = "redis://r/0"\n')
    result = store.load()
    assert result.profiles == [] and result.active is None
    (problem,) = result.problems
    assert str(store.path) in problem
    assert "line 3" in problem and "column" in problem
    assert "delete it; TaskDeck will start without it" in problem


def test_an_error_at_the_end_of_the_file_names_its_last_line(store: ProfileStore) -> None:
    write(store, GOOD_ENTRY.format(name="A") + "production =\n")
    (problem,) = store.load().problems
    assert str(store.path) in problem and "line 8" in problem


def test_a_file_that_cannot_be_read_is_a_problem(store: ProfileStore) -> None:
    store.path.mkdir(parents=True)  # a directory where the file should be
    result = store.load()
    assert result.profiles == []
    (problem,) = result.problems
    assert str(store.path) in problem and "cannot be read" in problem


def test_a_file_that_is_not_utf8_is_a_problem(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'active = "caf\xe9"\n')
    (problem,) = store.load().problems
    assert "not UTF-8" in problem


def test_a_byte_order_mark_from_notepad_is_accepted(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"\xef\xbb\xbf" + GOOD_ENTRY.format(name="A").encode())
    result = store.load()
    assert result.problems == [] and [p.name for p in result.profiles] == ["A"]


def test_good_profiles_are_kept_and_each_bad_one_is_named(store: ProfileStore) -> None:
    bad = GOOD_ENTRY.format(name="Broken").replace("http://backend:8400", "backend:8400")
    write(store, 'active = "Good"\n' + GOOD_ENTRY.format(name="Good") + bad)
    result = store.load()
    assert [p.name for p in result.profiles] == ["Good"]
    assert result.active == "Good"
    (problem,) = result.problems
    assert "profile 2 “Broken” (line 10)" in problem
    assert "backend URL must start with http://" in problem and "ignored" in problem


def test_wrong_types_and_missing_keys_are_named(store: ProfileStore) -> None:
    wrong_type = GOOD_ENTRY.format(name="Typed") + 'production = "yes"\n'
    missing = "[[profile]]\nname = \"Missing\"\nbroker_url = 'redis://r/0'\n"
    write(store, GOOD_ENTRY.format(name="Good") + wrong_type + missing)
    result = store.load()
    assert [p.name for p in result.profiles] == ["Good"]
    text = "\n".join(result.problems)
    assert "“Typed”" in text and "“production” must be true or false" in text
    assert "“Missing”" in text and "“backend_url” is missing" in text
    assert "“alertmanager_url” is missing" in text


def test_duplicate_names_are_reported_and_only_the_first_kept(store: ProfileStore) -> None:
    first = GOOD_ENTRY.format(name="Prod")
    second = GOOD_ENTRY.format(name="prod").replace("redis:6379", "other:6379")
    write(store, first + second)
    result = store.load()
    assert len(result.profiles) == 1 and result.profiles[0].broker_url == "redis://redis:6379/0"
    (problem,) = result.problems
    assert "profile 2 “prod”" in problem and "already used by profile 1 “Prod”" in problem


def test_an_unknown_key_is_reported_and_the_profile_kept(store: ProfileStore) -> None:
    write(store, "theme = 'dark'\n" + GOOD_ENTRY.format(name="A") + "colur = '#ff0000'\n")
    result = store.load()
    assert [p.name for p in result.profiles] == ["A"]
    text = "\n".join(result.problems)
    assert "unknown setting “theme”" in text
    assert "profile 1 “A” (line 3): unknown key “colur” ignored" in text


def test_a_password_written_into_the_file_by_hand_is_not_used(store: ProfileStore) -> None:
    write(store, GOOD_ENTRY.format(name="A").replace("redis://redis", "redis://:hunter2@redis"))
    result = store.load()
    assert result.profiles[0].broker_url == "redis://redis:6379/0"
    (problem,) = result.problems
    assert "password in the broker URL was ignored" in problem and "hunter2" not in problem


def test_an_active_name_that_is_not_defined_is_reported(store: ProfileStore) -> None:
    write(store, 'active = "Gone"\n' + GOOD_ENTRY.format(name="A"))
    result = store.load()
    assert result.active is None
    assert any("“Gone” is not defined" in p for p in result.problems)


def test_save_refuses_invalid_profiles_and_leaves_the_file_alone(store: ProfileStore) -> None:
    store.save([profile("Staging")], "Staging")
    before = store.path.read_bytes()
    with pytest.raises(ProfileError) as refused:
        store.save([profile("Staging", prometheus_url="prometheus:9090")], "Staging")
    assert "Prometheus URL must start with http://" in refused.value.problems[0]
    with pytest.raises(ProfileError) as refused:
        store.save([profile("Staging", broker_url="redis://:hunter2@redis:6379/0")], None)
    assert "contains a password" in str(refused.value)
    with pytest.raises(ProfileError, match="already used"):
        store.save([profile("Staging"), profile("STAGING")], None)
    with pytest.raises(ProfileError, match="not among the profiles"):
        store.save([profile("Staging")], "Other")
    assert store.path.read_bytes() == before
    assert [p.name for p in store.path.parent.iterdir()] == [PROFILES_FILE]  # no temp files


def test_saving_keeps_the_previous_file_as_a_backup(store: ProfileStore) -> None:
    write(store, GOOD_ENTRY.format(name="A") + GOOD_ENTRY.format(name="bad\\u0001"))
    hand_edited = store.path.read_bytes()
    result = store.load()
    store.save(result.profiles, "A")
    assert store.backup_path.read_bytes() == hand_edited
    assert [p.name for p in store.load().profiles] == ["A"]


def test_the_file_never_holds_the_secrets(store: ProfileStore) -> None:
    secrets = MemorySecrets()
    typed = "redis://celery:Pa55-word@redis.prod:6379/0"
    bare, password = split_broker_password(typed)
    assert password is not None
    prod = profile("Prod", broker_url=bare, production=True)
    secrets.set(prod.name, BROKER_PASSWORD, password)
    secrets.set(prod.name, BACKEND_TOKEN, "tok-0123456789")
    store.save([prod], "Prod")
    text = store.path.read_text(encoding="utf-8")
    assert "Pa55-word" not in text and "tok-0123456789" not in text
    assert 'broker_url = "redis://celery@redis.prod:6379/0"' in text
    assert store.load().profiles == [prod]


def test_twenty_thousand_profiles_load_in_linear_time(store: ProfileStore) -> None:
    count = 20_000
    last = GOOD_ENTRY.format(name="Last").replace("http://backend:8400", "backend:8400")
    write(store, "".join(GOOD_ENTRY.format(name=f"P{i}") for i in range(count - 1)) + last)
    started = time.perf_counter()
    result = store.load()
    elapsed = time.perf_counter() - started
    assert len(result.profiles) == count - 1
    (problem,) = result.problems  # the last one still named by its line
    assert f"profile {count} “Last” (line {7 * count - 5})" in problem
    assert elapsed < 4.0, f"{count} profiles took {elapsed:.1f} s"  # 16 s when quadratic


HUGE = "x" * 10_000_000


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("", "name"),
        (f'colour = "{HUGE}"\n', "colour"),
        (f'queues = ["{HUGE}"]\n', "queues"),
        ("queues = [" + ", ".join(['"q"'] * 5000) + "]\n", "queues"),
    ],
)
def test_a_huge_value_is_refused_fast_and_never_quoted_whole(
    store: ProfileStore, extra: str, key: str
) -> None:
    name = HUGE if key == "name" else "Huge"
    write(store, GOOD_ENTRY.format(name=name) + extra + GOOD_ENTRY.format(name="Good"))
    started = time.perf_counter()
    result = store.load()
    elapsed = time.perf_counter() - started
    assert [p.name for p in result.profiles] == ["Good"]
    (problem,) = result.problems
    assert f"“{key}”" in problem and "more than a profile holds" in problem
    assert "ignored" in problem and len(problem) < 1000
    assert elapsed < 2.0, f"took {elapsed:.1f} s"


def test_a_quoted_value_is_cut_short(store: ProfileStore) -> None:
    write(store, GOOD_ENTRY.format(name="A") + f'colour = "{"z" * 2000}"\n')
    (problem,) = store.load().problems
    assert "The colour “zzz" in problem and "…” is not of the form #rrggbb" in problem
    assert len(problem) < 500


def test_a_file_larger_than_any_profiles_file_is_not_read(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"# " + b"x" * (17 * 1024 * 1024) + b"\n")
    result = store.load()
    assert result.profiles == []
    (problem,) = result.problems
    assert str(store.path) in problem and "larger than a profiles file can be" in problem


# --- secrets --------------------------------------------------------------------------------


def test_desktop_notifications_are_on_unless_a_profile_turns_them_off(store: ProfileStore) -> None:
    write(store, GOOD_ENTRY.format(name="Old"))  # a file from before the setting
    (old,) = store.load().profiles
    assert old.notifications is True
    store.save([old, profile("Quiet", notifications=False)], "Quiet")
    assert "notifications = false" in store.path.read_text(encoding="utf-8")
    result = store.load()
    assert result.problems == []
    assert [(p.name, p.notifications) for p in result.profiles] == [("Old", True), ("Quiet", False)]
    write(store, GOOD_ENTRY.format(name="Typed") + 'notifications = "no"\n')
    result = store.load()
    assert result.profiles == []
    assert "“notifications” must be true or false" in "\n".join(result.problems)
