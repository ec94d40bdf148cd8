"""Replacing a file so that a reader never finds it half written."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, private: bool = False) -> None:
    """Replace ``path`` with ``data``: written to a temporary file beside it, flushed to
    disk, then renamed over it; nothing is left behind if that fails. ``private`` (POSIX):
    readable by this user only (0600) from the moment the file exists, whatever the umask."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            if private:
                os.fchmod(out.fileno(), 0o600)  # mkstemp's mode already
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
