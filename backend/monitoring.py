"""The monitoring/ files as deployed: Alertmanager's config filled from the environment,
and rules with shorter durations for the sandbox and the tests.

``python -m backend.monitoring alertmanager`` prints the Alertmanager config with the
SMTP settings and addresses taken from ``TASKDECK_SMTP_*`` and ``TASKDECK_ALERT_EMAIL_*``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

MONITORING_DIR = Path(__file__).resolve().parent.parent / "monitoring"
ALERTMANAGER_YML = MONITORING_DIR / "alertmanager" / "alertmanager.yml"
RULES_DIR = MONITORING_DIR / "prometheus" / "rules"

SMTP_ENV = {
    "smtp_smarthost": "TASKDECK_SMTP_SMARTHOST",
    "smtp_from": "TASKDECK_SMTP_FROM",
    "smtp_auth_username": "TASKDECK_SMTP_USERNAME",
    "smtp_auth_password": "TASKDECK_SMTP_PASSWORD",
}
EMAIL_ENV = {
    "ops-email": "TASKDECK_ALERT_EMAIL_OPS",
    "oncall-email": "TASKDECK_ALERT_EMAIL_ONCALL",
    "support-email": "TASKDECK_ALERT_EMAIL_SUPPORT",
}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_RANGE = re.compile(r"\[(\d+)(ms|s|m|h|d)\]")


def render_alertmanager(
    env: Mapping[str, str], deliver: bool = True, group_wait: str | None = None
) -> str:
    """The Alertmanager config with ``env`` applied. ``deliver=False`` keeps the routing but
    sends nothing (for a sandbox or a test on loopback, where no mail server listens)."""
    config: dict[str, Any] = yaml.safe_load(ALERTMANAGER_YML.read_text())
    glob = config.setdefault("global", {})
    for key, var in SMTP_ENV.items():
        if env.get(var):
            glob[key] = env[var]
    if env.get("TASKDECK_SMTP_REQUIRE_TLS"):
        glob["smtp_require_tls"] = env["TASKDECK_SMTP_REQUIRE_TLS"].lower() in ("1", "true", "yes")
    for receiver in config.get("receivers", []):
        address = env.get(EMAIL_ENV.get(receiver["name"], ""), "")
        if address:
            for email in receiver.get("email_configs", []):
                email["to"] = address
        if not deliver:
            receiver.pop("email_configs", None)
            receiver.pop("webhook_configs", None)
    if group_wait:
        config["route"]["group_wait"] = group_wait
        for route in config["route"].get("routes", []):
            route.pop("group_wait", None)
    return yaml.safe_dump(config, sort_keys=False)


def _scale(value: int, unit: str, factor: float) -> str:
    seconds = max(1.0, value * _UNIT_S[unit] * factor)
    return f"{int(seconds)}s"


def scaled_rules(factor: float) -> str:
    """All rule files as one, every `for:` and range selector multiplied by ``factor``."""
    groups = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    match = _DURATION.match(str(rule["for"]))
                    if match:
                        rule["for"] = _scale(int(match.group(1)), match.group(2), factor)
                rule["expr"] = _RANGE.sub(
                    lambda m: f"[{_scale(int(m.group(1)), m.group(2), factor)}]", rule["expr"]
                )
            groups.append(group)
    return yaml.safe_dump({"groups": groups}, sort_keys=False)


def main(argv: list[str]) -> int:
    if argv[:1] != ["alertmanager"]:
        print(
            "usage: python -m backend.monitoring alertmanager > alertmanager.yml", file=sys.stderr
        )
        return 2
    sys.stdout.write(render_alertmanager(os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
