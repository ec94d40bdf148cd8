"""The monitoring configuration passes Prometheus' and Alertmanager's own checkers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from backend.procs import require_binary
from backend.stack import MONITORING_DIR, write_prometheus_config


def run(argv: list[str], cwd: Path | None = None) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def test_prometheus_config_is_valid() -> None:
    text = run(
        [
            require_binary("promtool"),
            "check",
            "config",
            str(MONITORING_DIR / "prometheus" / "prometheus.yml"),
        ]
    )
    assert "SUCCESS" in text


def test_generated_sandbox_config_is_valid(tmp_path: Path) -> None:
    config = write_prometheus_config(tmp_path, 8401, 9394, interval="2s")
    assert "127.0.0.1:8401" in config.read_text()
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
