"""The profile dialog: editing, saving through the store and the secrets, and Test connection."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit
from pytestqt.qtbot import QtBot

from console.domain.profiles import PROFILES_FILE, Profile, ProfileStore
from console.services.probes import check_profile
from console.services.secrets import BACKEND_TOKEN, BROKER_PASSWORD, MemorySecrets
from console.views.dialogs.connection_test import OkRole
from console.views.dialogs.profile_dialog import ProfileDialog
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import TOKENS, Server
from tests.console.conftest import run_coro

STAGING = Profile(
    name="Staging",
    broker_url="redis://redis.staging:6379/0",
    backend_url="http://backend.staging:8400",
    prometheus_url="http://prometheus.staging:9090",
    alertmanager_url="http://alertmanager.staging:9093",
)
PROD = Profile(
    name="Prod",
    broker_url="redis://celery@redis.prod:6379/0",
    backend_url="https://backend.prod:8400",
    prometheus_url="http://prometheus.prod:9090",
    alertmanager_url="http://alertmanager.prod:9093",
    colour="#dc2626",
    production=True,
)


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "config" / PROFILES_FILE)


def open_dialog(
    qtbot: QtBot,
    store: ProfileStore,
    secrets: MemorySecrets,
    profiles: list[Profile],
    active: str | None,
) -> ProfileDialog:
    dialog = ProfileDialog(store, secrets, profiles, active)
    qtbot.addWidget(dialog)
    dialog.show()
    secrets_shown(qtbot, dialog)
    return dialog


def secrets_shown(qtbot: QtBot, dialog: ProfileDialog) -> None:
    """Wait until the selected profile's secrets have come from the store (a worker thread)."""
    qtbot.waitUntil(dialog.form.broker_password_edit.isEnabled)


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def press_ok(qtbot: QtBot, dialog: ProfileDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def saved(qtbot: QtBot, dialog: ProfileDialog) -> None:
    """Wait until OK's save (the keyring and the file, on a worker thread) has finished."""
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)


def test_the_active_profile_is_shown_and_production_is_marked(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    dialog = open_dialog(qtbot, store, MemorySecrets(), [STAGING, PROD], "Prod")
    assert dialog.form.name_edit.text() == "Prod"
    assert dialog.form.broker_url_edit.text() == PROD.broker_url
    assert dialog.form.production_check.isChecked()
    texts = [dialog.profile_list.item(r).text() for r in range(dialog.profile_list.count())]
    assert texts[0] == "Staging" and "production" in texts[1]
    assert dialog.test.results.count() == 0 and dialog.test.results.isHidden()
    # MemorySecrets keep nothing across sessions (asked on a worker thread, as a keyring may block)
    qtbot.waitUntil(lambda: not dialog.session_note.isHidden())
    assert not store.path.exists()


def test_an_edit_saved_with_ok_lands_in_the_file_and_the_token_in_the_secrets(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    secrets = MemorySecrets({("Prod", BROKER_PASSWORD): "old-password"})
    dialog = open_dialog(qtbot, store, secrets, [STAGING, PROD], "Staging")
    dialog.profile_list.setCurrentRow(1)
    assert not dialog.ok_button.isEnabled()  # until Prod's secrets have been read
    secrets_shown(qtbot, dialog)
    assert dialog.form.broker_password_edit.text() == "old-password"
    retype(qtbot, dialog.form.backend_url_edit, "https://taskdeck.prod:8443")
    retype(qtbot, dialog.form.backend_token_edit, "tok-prod-0123456789")
    with qtbot.waitSignal(dialog.profile_chosen) as chosen:
        press_ok(qtbot, dialog)
    assert chosen.args == ["Prod"]
    saved(qtbot, dialog)
    loaded = store.load()
    assert loaded.problems == [] and loaded.active == "Prod"
    assert loaded.profiles == [
        STAGING,
        Profile(**{**PROD.__dict__, "backend_url": "https://taskdeck.prod:8443"}),
    ]
    assert dialog.result_profiles() == loaded.profiles and dialog.result_active() == "Prod"
    assert secrets.get("Prod", BACKEND_TOKEN) == "tok-prod-0123456789"
    assert secrets.get("Prod", BROKER_PASSWORD) == "old-password"
    text = store.path.read_text(encoding="utf-8")
    assert "tok-prod-0123456789" not in text and "old-password" not in text


def test_a_password_typed_into_the_broker_url_goes_to_the_secrets(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    secrets = MemorySecrets()
    dialog = open_dialog(qtbot, store, secrets, [STAGING], "Staging")
    retype(qtbot, dialog.form.broker_url_edit, "redis://celery:s3cr%40t@redis.staging:6379/1")
    press_ok(qtbot, dialog)
    saved(qtbot, dialog)
    assert store.load().profiles[0].broker_url == "redis://celery@redis.staging:6379/1"
    assert secrets.get("Staging", BROKER_PASSWORD) == "s3cr@t"
    assert "s3cr" not in store.path.read_text(encoding="utf-8")


def test_an_invalid_url_is_shown_and_ok_saves_nothing(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    dialog = open_dialog(qtbot, store, MemorySecrets(), [STAGING], "Staging")
    assert dialog.problems_label.isHidden() and dialog.ok_button.isEnabled()
    retype(qtbot, dialog.form.prometheus_url_edit, "prometheus.staging:9090")
    assert not dialog.problems_label.isHidden()
    assert "Prometheus URL must start with http:// or https://" in dialog.problems_label.text()
    assert not dialog.ok_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.profile_chosen):
        press_ok(qtbot, dialog)
        dialog.accept()  # as Enter in a field would
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert not store.path.exists()
    retype(qtbot, dialog.form.prometheus_url_edit, "http://prometheus.staging:9090")
    assert dialog.problems_label.isHidden() and dialog.ok_button.isEnabled()


def test_a_duplicate_name_blocks_ok(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    dialog = open_dialog(qtbot, store, MemorySecrets(), [STAGING, PROD], "Staging")
    retype(qtbot, dialog.form.name_edit, "prod")
    assert "More than one profile is named" in dialog.problems_label.text()
    assert not dialog.ok_button.isEnabled()


def test_new_duplicate_rename_and_delete_move_the_secrets_along(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    secrets = MemorySecrets(
        {("Staging", BACKEND_TOKEN): "tok-staging", ("Prod", BACKEND_TOKEN): "tok-prod"}
    )
    dialog = open_dialog(qtbot, store, secrets, [STAGING, PROD], "Staging")
    qtbot.mouseClick(dialog.duplicate_button, Qt.MouseButton.LeftButton)
    assert dialog.form.name_edit.text() == "Staging copy"
    assert dialog.form.backend_token_edit.text() == "tok-staging"
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.form.name_edit.text() == "New profile" and dialog.ok_button.isEnabled()
    dialog.profile_list.setCurrentRow(1)  # Prod: delete it
    secrets_shown(qtbot, dialog)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    dialog.profile_list.setCurrentRow(0)  # Staging: rename it
    secrets_shown(qtbot, dialog)
    retype(qtbot, dialog.form.name_edit, "Pre-production")
    press_ok(qtbot, dialog)
    saved(qtbot, dialog)
    loaded = store.load()
    assert [p.name for p in loaded.profiles] == ["Pre-production", "Staging copy", "New profile"]
    assert loaded.active == "Pre-production"
    assert secrets.values == {
        ("Pre-production", BACKEND_TOKEN): "tok-staging",
        ("Staging copy", BACKEND_TOKEN): "tok-staging",
    }


def test_cancel_changes_nothing(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    secrets = MemorySecrets({("Staging", BACKEND_TOKEN): "tok"})
    dialog = open_dialog(qtbot, store, secrets, [STAGING], "Staging")
    retype(qtbot, dialog.form.backend_token_edit, "other")
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    assert not store.path.exists()
    assert secrets.values == {("Staging", BACKEND_TOKEN): "tok"}
    assert dialog.result_profiles() == [STAGING] and dialog.result_active() == "Staging"


@pytest.mark.integration
def test_test_connection_reports_each_service(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    store: ProfileStore,
    redis_server: Server,
    backend_server: Server,
) -> None:
    local = Profile(
        name="Local",
        broker_url=redis_server.url,
        backend_url=backend_server.url,
        prometheus_url=f"http://{LOOPBACK}:{free_port()}",
        alertmanager_url=f"http://{LOOPBACK}:{free_port()}",
    )
    dialog = open_dialog(qtbot, store, MemorySecrets(), [local], "Local")
    retype(qtbot, dialog.form.backend_token_edit, TOKENS["admin"])
    qtbot.mouseClick(dialog.test.button, Qt.MouseButton.LeftButton)
    assert not dialog.test.button.isEnabled()

    def finished() -> bool:
        return dialog.test.results.count() == 4 and dialog.test.button.isEnabled()

    qtbot.waitUntil(finished, timeout=15_000)
    items = [dialog.test.results.item(r) for r in range(4)]
    assert [item.data(OkRole) for item in items] == [True, True, False, False]
    texts = [item.text() for item in items]
    assert re.fullmatch(r"✔ Broker \(Redis\): Redis \d+\.\d+\.\d+ \(\d+ ms\)", texts[0])
    assert "signed in as admin-user (admin)" in texts[1]
    assert "Prometheus: connection refused" in texts[2]
    assert "Alertmanager: connection refused" in texts[3]
    assert items[0].toolTip() == redis_server.url
    assert not store.path.exists()  # testing saves nothing


@pytest.mark.integration
def test_a_refused_token_is_a_failure_and_no_token_is_said(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, redis_server: Server, backend_server: Server
) -> None:
    dead = f"http://{LOOPBACK}:{free_port()}"
    local = Profile("Local", redis_server.url, backend_server.url, dead, dead)
    secrets = MemorySecrets(
        {("Local", BACKEND_TOKEN): "wrong-token-42", ("Local", BROKER_PASSWORD): "wrong-pw-42"}
    )
    broker, backend, *_ = run_coro(qtbot, check_profile(local, secrets, timeout_s=3.0))
    assert not backend.ok and backend.error == "health ok; token refused (401)"
    # This Redis asks for no password: one sent anyway is not an error, and never shown.
    assert broker.ok and broker.target == redis_server.url.replace("//", "//:***@")
    secrets.delete("Local", BACKEND_TOKEN)
    secrets.delete("Local", BROKER_PASSWORD)
    broker, backend, *_ = run_coro(qtbot, check_profile(local, secrets, timeout_s=3.0))
    assert broker.ok and backend.ok and backend.summary == "health ok; no token stored"


def test_transport_settings_are_checked_as_typed_saved_and_shown_again(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    dialog = open_dialog(qtbot, store, MemorySecrets(), [STAGING, PROD], "Staging")
    form = dialog.form
    assert (form.sep_edit.text(), form.steps_edit.text(), form.queues_edit.text()) == ("", "", "")
    # Input that does not read says why, blocks OK and changes nothing.
    retype(qtbot, form.steps_edit, "0,3,x")
    assert "The priority steps cannot be used: priority steps must be whole numbers" in (
        dialog.problems_label.text()
    )
    assert not dialog.ok_button.isEnabled()
    retype(qtbot, form.steps_edit, "3,0")
    assert "must rise from 0 to at most 9" in dialog.problems_label.text()
    retype(qtbot, form.sep_edit, "\\x0")
    assert "The transport separator cannot be used: cannot read the separator" in (
        dialog.problems_label.text()
    )
    dialog.profile_list.setCurrentRow(1)
    secrets_shown(qtbot, dialog)
    dialog.profile_list.setCurrentRow(0)
    assert (form.sep_edit.text(), form.steps_edit.text()) == ("", "")  # as they were
    assert dialog.problems_label.isHidden() and dialog.ok_button.isEnabled()
    # Typed with escapes, as in the system's broker_transport_options.
    retype(qtbot, form.sep_edit, "\\x06\\x16")
    retype(qtbot, form.steps_edit, "0, 2, 5, 8")
    retype(qtbot, form.queues_edit, "erp_sync, celery")
    assert dialog.problems_label.isHidden()
    press_ok(qtbot, dialog)
    saved(qtbot, dialog)
    loaded = store.load()
    assert loaded.problems == []
    staging = loaded.profiles[0]
    assert staging.transport_sep == "\x06\x16" and staging.priority_steps == (0, 2, 5, 8)
    assert staging.queues == ("erp_sync", "celery")
    assert loaded.profiles[1] == PROD  # untouched: learned from its broker
    text = store.path.read_text(encoding="utf-8")
    assert 'transport_sep = "\\\\x06\\\\x16"' in text and text.count("transport_sep") == 1
    endpoints = staging.endpoints()
    assert endpoints.transport.sep == "\x06\x16" and endpoints.transport.steps == (0, 2, 5, 8)
    again = open_dialog(qtbot, store, MemorySecrets(), loaded.profiles, "Staging")
    assert again.form.sep_edit.text() == "\\x06\\x16"
    assert again.form.steps_edit.text() == "0,2,5,8"
    assert again.form.queues_edit.text() == "erp_sync, celery"


def test_a_profiles_file_of_an_older_version_still_loads(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        'active = "Old"\n\n[[profile]]\nname = "Old"\nbroker_url = "redis://old:6379/0"\n'
        'backend_url = "http://old:8400"\nprometheus_url = "http://old:9090"\n'
        'alertmanager_url = "http://old:9093"\ncolour = "#3b82f6"\nproduction = false\n\n'
        '[[profile]]\nname = "Bad steps"\nbroker_url = "redis://bad:6379/0"\n'
        'backend_url = "http://bad:8400"\nprometheus_url = "http://bad:9090"\n'
        'alertmanager_url = "http://bad:9093"\npriority_steps = [3, 1]\n',
        encoding="utf-8",
    )
    loaded = store.load()
    assert [p.name for p in loaded.profiles] == ["Old"] and loaded.active == "Old"
    old = loaded.profiles[0]
    assert (old.transport_sep, old.priority_steps, old.queues) == ("", (), ())
    assert len(loaded.problems) == 1
    assert (
        "Bad steps" in loaded.problems[0]
        and "priority steps cannot be used" in (loaded.problems[0])
    )
    store.save(loaded.profiles, loaded.active)
    assert "transport_sep" not in store.path.read_text(encoding="utf-8")


def test_desktop_notifications_are_turned_off_for_a_profile_in_the_form(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, store: ProfileStore
) -> None:
    dialog = open_dialog(qtbot, store, MemorySecrets(), [STAGING, PROD], "Staging")
    check = dialog.form.notifications_check
    assert check.isChecked()  # on unless turned off
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert not check.isChecked()
    with qtbot.waitSignal(dialog.profile_chosen):
        press_ok(qtbot, dialog)
    saved(qtbot, dialog)
    loaded = store.load()
    assert loaded.problems == []
    assert [(p.name, p.notifications) for p in loaded.profiles] == [("Staging", False),
                                                                     ("Prod", True)]  # fmt: skip
    dialog.deleteLater()
    again = open_dialog(qtbot, store, MemorySecrets(), loaded.profiles, "Staging")
    assert not again.form.notifications_check.isChecked()
    again.profile_list.setCurrentRow(1)
    secrets_shown(qtbot, again)
    assert again.form.notifications_check.isChecked()
