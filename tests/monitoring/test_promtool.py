"""The monitoring configuration passes Prometheus' and Alertmanager's own checkers."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import yaml

from backend.monitoring import MONITORING_DIR, render_alertmanager, scaled_rules
from taskdeck_dev.procs import require_binary
from taskdeck_dev.stack import write_prometheus_config


def run(argv: list[str], cwd: Path | None = None) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def test_prometheus_config_is_valid(tmp_path: Path) -> None:
    # As installed: the scrape token in the file beside the config that it names.
    installed = tmp_path / "prometheus"
    shutil.copytree(MONITORING_DIR / "prometheus", installed)
    (installed / "taskdeck-metrics.token").write_text("a-scrape-token")
    text = run([require_binary("promtool"), "check", "config", str(installed / "prometheus.yml")])
    assert "SUCCESS" in text
    job = yaml.safe_load((installed / "prometheus.yml").read_text())["scrape_configs"][0]
    assert job["authorization"]["credentials_file"] == "taskdeck-metrics.token"


def test_generated_sandbox_config_is_valid(tmp_path: Path) -> None:
    config = write_prometheus_config(tmp_path, 8401, 9394, interval="2s")
    assert "127.0.0.1:8401" in config.read_text()
    assert "authorization" not in yaml.safe_load(config.read_text())["scrape_configs"][0]
    run([require_binary("promtool"), "check", "config", str(config)])
    # With the backend's scrape token, in a file of this user's only.
    config = write_prometheus_config(tmp_path, 8401, 9394, metrics_token="t-0123")
    job = yaml.safe_load(config.read_text())["scrape_configs"][0]
    credentials = Path(job["authorization"]["credentials_file"])
    assert credentials.read_text() == "t-0123"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    run([require_binary("promtool"), "check", "config", str(config)])


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    rules = sorted((MONITORING_DIR / "prometheus" / "rules").glob("*.yml"))
    assert rules
    run([require_binary("promtool"), "check", "rules", *map(str, rules)])
    tests = sorted((MONITORING_DIR / "prometheus" / "tests").glob("*.test.yml"))
    assert tests
    text = run([require_binary("promtool"), "test", "rules", *map(str, tests)])
    assert "FAILED" not in text


def test_alertmanager_config_is_valid() -> None:
    run(
        [
            require_binary("amtool"),
            "check-config",
            str(MONITORING_DIR / "alertmanager" / "alertmanager.yml"),
        ]
    )


def alert_names(text: str) -> set[str]:
    return {g["alert"] for group in yaml.safe_load(text)["groups"] for g in group["rules"]}


def test_every_rule_has_a_unit_test_and_the_required_alerts_exist() -> None:
    rules = (MONITORING_DIR / "prometheus" / "rules" / "taskdeck.rules.yml").read_text()
    names = alert_names(rules)
    assert names >= {
        "HighCeleryTaskFailureRate", "HighCeleryQueueLength", "HighCeleryTaskExecutionTime",
        "CeleryWorkerDown", "CeleryRedisConnectionFailed", "QuotaSaturated", "RateLimitAnomaly",
    }  # fmt: skip
    tested = set()
    for path in (MONITORING_DIR / "prometheus" / "tests").glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check["exp_alerts"]:  # a test that sees it fire, not only stay quiet
                    tested.add(check["alertname"])
    assert names == tested
    for group in yaml.safe_load(rules)["groups"]:
        for rule in group["rules"]:
            assert {"severity", "component"} <= set(rule["labels"]), rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_shortened_rules_and_rendered_alertmanager_config_are_valid(tmp_path: Path) -> None:
    short = tmp_path / "rules.yml"
    short.write_text(scaled_rules(0.1))
    assert alert_names(short.read_text()) == alert_names(
        (MONITORING_DIR / "prometheus" / "rules" / "taskdeck.rules.yml").read_text()
    )
    assert "for: 12s" in short.read_text() and "[30s]" in short.read_text()  # 2m and 5m
    run([require_binary("promtool"), "check", "rules", str(short)])
    config = tmp_path / "am.yml"
    env = {"TASKDECK_SMTP_SMARTHOST": "mail.example.org:587", "TASKDECK_SMTP_FROM": "alerts@example.org",
           "TASKDECK_SMTP_PASSWORD": "s3cret", "TASKDECK_ALERT_EMAIL_ONCALL": "pager@example.org"}  # fmt: skip
    config.write_text(render_alertmanager(env))
    rendered = yaml.safe_load(config.read_text())
    assert rendered["global"]["smtp_smarthost"] == "mail.example.org:587"
    oncall = next(r for r in rendered["receivers"] if r["name"] == "oncall-email")
    assert oncall["email_configs"][0]["to"] == "pager@example.org"
    run([require_binary("amtool"), "check-config", str(config)])
