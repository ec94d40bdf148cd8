"""Write a report's files so that the final name holds a whole file or nothing.

Each file is written under a hidden temporary name in the same folder
(``.name.partial-<random>``), synced to the disk, then renamed over the final
name. On any error the temporary file is removed and ``ReportWriteError`` says,
in words, what went wrong and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path


class ReportWriteError(Exception):
    """A report could not be written; the message says why and what to do."""


def explain(path: Path, error: OSError) -> str:
    """What went wrong writing ``path``, and what to do, in one sentence."""
    code = error.errno
    folder = path.parent
    if code in (errno.EACCES, errno.EPERM):
        return f"cannot write {path}: permission denied; choose another folder"
    if code == errno.ENOSPC:
        return f"cannot write {path}: no space left on the device; free some space or choose another disk"
    if code == errno.EDQUOT:
        return f"cannot write {path}: the disk quota is exceeded; free some space or choose another disk"
    if code == errno.EFBIG:
        return (
            f"cannot write {path}: the file is larger than this system allows "
            "(file size limit); choose another disk or raise the limit"
        )
    if code == errno.EROFS:
        return f"cannot write {path}: the disk is read-only; choose another folder"
    if code == errno.ENOTDIR:
        return f"cannot write {path}: {folder} is not a folder; choose another folder"
    if code == errno.ENOENT:
        return f"cannot write {path}: the folder {folder} does not exist; choose an existing folder"
    if code == errno.EISDIR:
        return f"cannot write {path}: it is a folder; choose a file name"
    if code == errno.ENAMETOOLONG:
        return f"cannot write {path}: the name is too long; choose a shorter name"
    reason = error.strerror or str(error)
    return f"cannot write {path}: {reason}; choose another folder or try again"


def _partial_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; some file systems cannot, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole, or raise ``ReportWriteError`` and leave no trace."""
    final = Path(path)
    if final.is_dir():
        raise ReportWriteError(explain(final, OSError(errno.EISDIR, "Is a directory")))
    partial = _partial_name(final)
    try:
        _write_synced(partial, data)
        os.replace(partial, final)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise ReportWriteError(explain(final, exc)) from exc
    _sync_folder(final.parent)
    return final


def write_folder_atomic(folder: Path | str, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (name → content) into ``folder``.

    A new (or empty) folder appears whole: the files are written into a temporary
    folder beside it, which is then renamed. Into a folder that already holds
    files, each file is written whole and renamed into place, so none is ever
    partial; the files it already holds under other names stay.
    """
    final = Path(folder)
    if final.exists() and not final.is_dir():
        raise ReportWriteError(explain(final / "x", OSError(errno.ENOTDIR, "Not a directory")))
    fresh = not final.exists() or not any(final.iterdir())
    staging = _partial_name(final) if fresh else final / f".partial-{secrets.token_hex(4)}"
    current = staging
    try:
        os.mkdir(staging, 0o755)
        for name, data in files.items():
            current = staging / name
            _write_synced(current, data)
        _sync_folder(staging)
        current = final
        if fresh:
            os.replace(staging, final)
        else:
            for name in files:
                current = final / name
                os.replace(staging / name, final / name)
            os.rmdir(staging)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if current == staging:
            shown = final
        elif current.parent == staging:
            shown = final / current.name
        else:
            shown = current
        raise ReportWriteError(explain(shown, exc)) from exc
    _sync_folder(final.parent)
    return [final / name for name in files]
