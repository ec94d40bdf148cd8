"""Where the console keeps what it writes for this user, by the platform's rules (platformdirs).

No Qt here. Windows: the settings and the profiles file roam with the user
(``%APPDATA%\\TaskDeck``), the logs stay on the machine (``%LOCALAPPDATA%\\TaskDeck\\logs``),
both found through the shell's known folders, so a profile under ``C:\\Users\\张伟`` or a
moved AppData works. Linux: ``$XDG_CONFIG_HOME/taskdeck`` and ``$XDG_STATE_HOME/taskdeck/logs``
(``~/.config`` and ``~/.local/state`` when unset). macOS: ``~/Library/Application Support/TaskDeck``.

The platform is read at each call (not at import), so a test can ask for another one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from platformdirs.api import PlatformDirsABC


def _dirs(*, roaming: bool) -> PlatformDirsABC:
    if sys.platform == "win32":
        from platformdirs.windows import Windows

        return Windows("TaskDeck", appauthor=False, roaming=roaming)
    if sys.platform == "darwin":
        from platformdirs.macos import MacOS

        return MacOS("TaskDeck", appauthor=False)
    from platformdirs.unix import Unix

    return Unix("taskdeck", appauthor=False)


def config_dir() -> Path:
    """The user's TaskDeck settings: the profiles file (roaming on Windows)."""
    return Path(_dirs(roaming=True).user_config_dir)


def log_dir() -> Path:
    """The console's log files (this machine's, not roaming)."""
    return Path(_dirs(roaming=False).user_state_dir) / "logs"
