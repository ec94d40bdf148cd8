import ssl

import pytest

from backend.celery_app import celery_config, create_celery
from backend.config import Settings, SettingsError, load_settings
from backend.domain.queues import priority_list_names
from backend.domain.urls import redact_url


def test_celery_configuration_of_the_data_sync_system() -> None:
    conf = celery_config(Settings(broker_url="redis://127.0.0.1:6379/0"))
    assert [q.name for q in conf["task_queues"]] == ["data_sync", "scheduled", "default"]
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert (conf["task_time_limit"], conf["task_soft_time_limit"]) == (1800, 1500)
    assert conf["result_expires"] == 3600 and conf["result_extended"]
    assert conf["task_send_sent_event"] and conf["worker_send_task_events"]
    assert conf["broker_transport_options"] == {
        "queue_order_strategy": "priority",
        "priority_steps": list(range(10)),
        "sep": ":",
    }
    assert conf["task_default_priority"] == 5
    assert conf["result_backend"] == "redis://127.0.0.1:6379/0"
    assert "broker_use_ssl" not in conf


def test_priority_lists_follow_the_transport_naming() -> None:
    assert priority_list_names("data_sync")[:3] == ["data_sync", "data_sync:1", "data_sync:2"]
    assert priority_list_names("data_sync")[-1] == "data_sync:9"
    assert len(priority_list_names("default")) == 10


def test_acl_user_and_password_reach_the_broker_connection() -> None:
    app = create_celery(Settings(broker_url="redis://sync-reader:s3cret@10.1.2.3:6380/2"))
    info = app.connection_for_write().info()
    assert (info["userid"], info["password"]) == ("sync-reader", "s3cret")
    assert (info["hostname"], info["port"], info["virtual_host"]) == ("10.1.2.3", 6380, "2")


def test_rediss_turns_on_verified_tls_for_broker_and_results() -> None:
    settings = Settings(
        broker_url="rediss://:pw@redis.example:6380/0",
        result_backend="rediss://:pw@redis.example:6380/1",
        redis_ca_certs="/etc/ssl/certs/ca.pem",
    )
    conf = celery_config(settings)
    assert conf["broker_use_ssl"] == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": "/etc/ssl/certs/ca.pem",
    }
    assert conf["redis_backend_use_ssl"]["ssl_cert_reqs"] == ssl.CERT_REQUIRED


def test_rediss_with_its_own_cert_option_is_left_as_given() -> None:
    conf = celery_config(Settings(broker_url="rediss://h:6380/0?ssl_cert_reqs=CERT_NONE"))
    assert "broker_use_ssl" not in conf


def test_bad_broker_url_from_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKDECK_BROKER_URL", "amqp://guest:guest@rabbit:5672//")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert text.startswith("TASKDECK_BROKER_URL:")
    assert "redis://" in text and "guest:***@" in text and "guest:guest" not in text


@pytest.mark.parametrize("url", ["redis://", "redis://host:notaport/0", "localhost:6379"])
def test_malformed_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        Settings(broker_url=url)


def test_password_is_redacted() -> None:
    assert redact_url("redis://u:p@h:1/0") == "redis://u:***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
