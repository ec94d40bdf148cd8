"""Helpers for starting the console in a fresh interpreter, as a user's machine would."""

from __future__ import annotations

from pathlib import Path


def clean_console_env(base: dict[str, str], tmp: Path) -> dict[str, str]:
    """``base`` with no profile, no sandbox and no URLs: home, config and state in ``tmp``."""
    dirs = {name: tmp / name for name in ("home", "config", "state")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in base.items() if not k.startswith("TASKDECK_")}
    env.update(
        HOME=str(dirs["home"]),
        XDG_CONFIG_HOME=str(dirs["config"]),
        XDG_STATE_HOME=str(dirs["state"]),
        TASKDECK_SANDBOX_DIR=str(tmp / "no-sandbox"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env
