"""The Alertmanager setting and the silence matcher type, without servers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.config import SettingsError, load_settings
from taskdeck_core.silence_types import SilenceMatcher, matchers_text


def test_the_alertmanager_url_is_empty_by_default_and_loses_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TASKDECK_ALERTMANAGER_URL", raising=False)
    assert load_settings().alertmanager_url == ""
    monkeypatch.setenv("TASKDECK_ALERTMANAGER_URL", " http://am:9093/ ")
    assert load_settings().alertmanager_url == "http://am:9093"


@pytest.mark.parametrize("url", ["am:9093", "ftp://am", "http://"])
def test_an_alertmanager_url_that_is_no_http_url_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("TASKDECK_ALERTMANAGER_URL", url)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("TASKDECK_ALERTMANAGER_URL:")
    assert "http://" in str(err.value)


def test_matchers_read_as_alertmanager_writes_them() -> None:
    matchers = [
        SilenceMatcher(name="alertname", value="QueueBacklog"),
        SilenceMatcher(name="queue", value="erp_.*", is_regex=True),
        SilenceMatcher(name="env", value="dev", is_equal=False),
        SilenceMatcher(name="user", value='a"b', is_regex=True, is_equal=False),
    ]
    assert matchers_text(matchers) == (
        '{alertname="QueueBacklog", queue=~"erp_.*", env!="dev", user!~"a\\"b"}'
    )


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"name": "queue", "value": "erp_(", "is_regex": True}, "not a regular expression"),
        ({"name": "1queue", "value": "x"}, "String should match pattern"),
        ({"name": "queue", "value": "x", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_a_bad_matcher_is_refused(fields: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError) as err:
        SilenceMatcher.model_validate(fields)
    assert said in str(err.value)
