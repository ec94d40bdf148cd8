import ssl

import pytest

from backend.config import Settings, SettingsError, load_settings
from taskdeck_core.transport import priority_list_names
from taskdeck_core.urls import redact_url
from taskdeck_worker import celery_app
from taskdeck_worker.celery_app import celery_config, create_celery
from taskdeck_worker.config import WorkerSettings, WorkerSettingsError


def test_celery_configuration_of_the_data_sync_system() -> None:
    conf = celery_config(WorkerSettings(broker_url="redis://127.0.0.1:6379/0"))
    assert [q.name for q in conf["task_queues"]] == ["data_sync", "scheduled", "default"]
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert (conf["task_time_limit"], conf["task_soft_time_limit"]) == (1800, 1500)
    assert conf["result_expires"] == 3600 and conf["result_extended"]
    assert conf["task_send_sent_event"] and conf["worker_send_task_events"]
    assert conf["broker_transport_options"] == {
        "queue_order_strategy": "priority",
        "priority_steps": list(range(10)),
        "sep": "\x06\x16",  # kombu's default, so stock Celery tools read the bindings
        "visibility_timeout": 2400,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    assert conf["task_default_priority"] == 5
    assert conf["result_backend"] == "redis://127.0.0.1:6379/0"
    assert "broker_use_ssl" not in conf


def test_the_visibility_timeout_outlasts_the_longest_hold_of_a_message() -> None:
    from taskdeck_worker.tasks.data_sync import SYNC_TASK_OPTIONS

    # A retry's countdown, then the hard time limit: never redelivered while it runs.
    held = SYNC_TASK_OPTIONS["retry_backoff_max"] + celery_app.TIME_LIMIT_S
    assert celery_app.VISIBILITY_TIMEOUT_S > held
    assert WorkerSettings().visibility_timeout_s == celery_app.VISIBILITY_TIMEOUT_S


def test_a_short_visibility_timeout_is_swept_for_every_second() -> None:
    settings = WorkerSettings.from_env({"TASKDECK_VISIBILITY_TIMEOUT_S": "15"})
    options = celery_config(settings)["broker_transport_options"]
    assert (options["visibility_timeout"], options["unacked_restore_interval"]) == (15, 1)
    with pytest.raises(WorkerSettingsError, match="TASKDECK_VISIBILITY_TIMEOUT_S"):
        WorkerSettings.from_env({"TASKDECK_VISIBILITY_TIMEOUT_S": "0"})


def test_a_process_that_only_publishes_never_delivers_a_message_again() -> None:
    app = create_celery(WorkerSettings(visibility_timeout_s=15), results=False)
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] >= 365 * 86400
    assert options["sep"] == "\x06\x16"  # the rest as the workers have it


def test_priority_lists_follow_the_transport_naming() -> None:
    names = priority_list_names("data_sync")
    assert names[:3] == ["data_sync", "data_sync\x06\x161", "data_sync\x06\x162"]
    assert names[-1] == "data_sync\x06\x169"
    assert len(priority_list_names("default")) == 10


def test_acl_user_and_password_reach_the_broker_connection() -> None:
    app = create_celery(WorkerSettings(broker_url="redis://sync-reader:s3cret@10.1.2.3:6380/2"))
    info = app.connection_for_write().info()
    assert (info["userid"], info["password"]) == ("sync-reader", "s3cret")
    assert (info["hostname"], info["port"], info["virtual_host"]) == ("10.1.2.3", 6380, "2")


def test_rediss_turns_on_verified_tls_for_broker_and_results() -> None:
    settings = WorkerSettings(
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
    conf = celery_config(WorkerSettings(broker_url="rediss://h:6380/0?ssl_cert_reqs=CERT_NONE"))
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


def test_worker_settings_from_environment() -> None:
    env = {
        "TASKDECK_BROKER_URL": "redis://w:pw@10.0.0.5:6379/3",
        "TASKDECK_INTEGRATION": "0",
        "TASKDECK_WORKLOAD_SPEED": "50",
    }
    settings = WorkerSettings.from_env(env)
    assert settings.broker_url == "redis://w:pw@10.0.0.5:6379/3"
    assert settings.result_backend_url == settings.broker_url
    assert settings.integration is False and settings.workload_speed == 50.0


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("TASKDECK_BROKER_URL", "amqp://guest:guest@rabbit//", "guest:***@"),
        ("TASKDECK_WORKLOAD_SPEED", "fast", "TASKDECK_WORKLOAD_SPEED"),
        ("TASKDECK_WORKLOAD_FAILURE_RATE", "1.5", "from 0.0 to 1.0"),
        ("TASKDECK_INTEGRATION", "maybe", "TASKDECK_INTEGRATION"),
    ],
)
def test_bad_worker_settings_say_which_variable(name: str, value: str, said: str) -> None:
    with pytest.raises(WorkerSettingsError) as err:
        WorkerSettings.from_env({name: value})
    assert said in str(err.value) and "guest:guest" not in str(err.value)
