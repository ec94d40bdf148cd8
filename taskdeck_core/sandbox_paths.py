"""Where the local sandbox keeps its run directory and state file.

The sandbox (``taskdeck_dev``) writes them; the console reads them to connect
to a running sandbox without importing the development stack, which is
POSIX-only.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_FILE = "state.json"


def default_run_dir() -> Path:
    """``TASKDECK_SANDBOX_DIR``, else the platform's per-user state folder."""
    explicit = os.environ.get("TASKDECK_SANDBOX_DIR")
    if explicit:
        return Path(explicit)
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "TaskDeck" / "sandbox"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "taskdeck" / "sandbox"
