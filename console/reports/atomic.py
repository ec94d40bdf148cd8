"""Write a report's files so that the final name holds a whole file or nothing.

Each file is written under a hidden temporary name in the same folder
(``.name.partial-<random>``), synced to the disk, then renamed over the final
name. On any error the temporary file is removed and ``ReportWriteError`` says,
in words, what went wrong and what to do.

``stage_file`` and ``stage_folder`` do the slow part (writing and syncing under the
temporary name, on any thread) and return a ``Staged`` whose ``commit`` renames it into
place and whose ``discard`` removes it: a report written off the GUI thread is put in
place, or thrown away when cancelled, by the thread that decides.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from console.domain.translation import QT_TRANSLATE_NOOP, Message


class ReportWriteError(Exception):
    """A report could not be written; the message says why and what to do."""


def explain(path: Path, error: OSError) -> Message:
    """What went wrong writing ``path``, and what to do, in one sentence (a Message: the
    window shows it in the user's language)."""
    code = error.errno
    folder = path.parent
    if code in (errno.EACCES, errno.EPERM):
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite", "cannot write {path}: permission denied; choose another folder"
            ),
            path=path,
        )
    if code == errno.ENOSPC:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite",
                "cannot write {path}: no space left on the device; free some space or choose another disk",
            ),
            path=path,
        )
    if code == errno.EDQUOT:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite",
                "cannot write {path}: the disk quota is exceeded; free some space or choose another disk",
            ),
            path=path,
        )
    if code == errno.EFBIG:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite",
                "cannot write {path}: the file is larger than this system allows (file size limit); choose another disk or raise the limit",
            ),
            path=path,
        )
    if code == errno.EROFS:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite", "cannot write {path}: the disk is read-only; choose another folder"
            ),
            path=path,
        )
    if code == errno.ENOTDIR:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite",
                "cannot write {path}: {folder} is not a folder; choose another folder",
            ),
            folder=folder,
            path=path,
        )
    if code == errno.ENOENT:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite",
                "cannot write {path}: the folder {folder} does not exist; choose an existing folder",
            ),
            folder=folder,
            path=path,
        )
    if code == errno.EISDIR:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite", "cannot write {path}: it is a folder; choose a file name"
            ),
            path=path,
        )
    if code == errno.ENAMETOOLONG:
        return _m(
            QT_TRANSLATE_NOOP(
                "ReportWrite", "cannot write {path}: the name is too long; choose a shorter name"
            ),
            path=path,
        )
    reason = error.strerror or str(error)
    return _m(
        QT_TRANSLATE_NOOP(
            "ReportWrite", "cannot write {path}: {reason}; choose another folder or try again"
        ),
        path=path,
        reason=reason,
    )


def _m(template: str, **values: object) -> Message:
    shown = {key: str(value) for key, value in values.items()}
    return Message("ReportWrite", template, **shown)


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


class Staged:
    """Files written whole under a temporary name, not yet in place."""

    def __init__(self, final: Path, commit: Callable[[], list[Path]], discard: Callable[[], None]):
        self.final = final
        self._commit = commit
        self._discard = discard
        self.done = False

    def commit(self) -> list[Path]:
        """Rename into place (``ReportWriteError`` if that fails: nothing is left behind)."""
        if self.done:
            raise RuntimeError(f"{self.final} was already committed or discarded")
        self.done = True
        try:
            return self._commit()
        except BaseException:
            self._discard()
            raise

    def discard(self) -> None:
        """Remove what was written; the final name is left as it was."""
        if not self.done:
            self.done = True
            self._discard()


def stage_file(path: Path | str, data: bytes) -> Staged:
    """Write ``data`` under a temporary name beside ``path``, synced; ``commit`` renames it."""
    final = Path(path)
    if final.is_dir():
        raise ReportWriteError(explain(final, OSError(errno.EISDIR, "Is a directory")))
    partial = _partial_name(final)
    try:
        _write_synced(partial, data)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise ReportWriteError(explain(final, exc)) from exc

    def commit() -> list[Path]:
        try:
            os.replace(partial, final)
        except OSError as exc:
            raise ReportWriteError(explain(final, exc)) from exc
        _sync_folder(final.parent)
        return [final]

    def discard() -> None:
        with contextlib.suppress(OSError):
            os.unlink(partial)

    return Staged(final, commit, discard)


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole, or raise ``ReportWriteError`` and leave no trace."""
    return stage_file(path, data).commit()[0]


def stage_folder(folder: Path | str, files: dict[str, bytes]) -> Staged:
    """Write ``files`` (name → content) into a temporary folder, synced; ``commit`` puts
    them in ``folder`` as ``write_folder_atomic`` says."""
    final = Path(folder)
    if final.exists() and not final.is_dir():
        raise ReportWriteError(explain(final / "x", OSError(errno.ENOTDIR, "Not a directory")))
    fresh = not final.exists() or not any(final.iterdir())
    staging = _partial_name(final) if fresh else final / f".partial-{secrets.token_hex(4)}"

    def shown(current: Path) -> Path:
        if current == staging:
            return final
        if current.parent == staging:
            return final / current.name
        return current

    current = staging
    try:
        os.mkdir(staging, 0o755)
        for name, data in files.items():
            current = staging / name
            _write_synced(current, data)
        _sync_folder(staging)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportWriteError(explain(shown(current), exc)) from exc

    def commit() -> list[Path]:
        current = final
        try:
            if fresh:
                os.replace(staging, final)
            else:
                for name in files:
                    current = final / name
                    os.replace(staging / name, final / name)
                os.rmdir(staging)
        except OSError as exc:
            raise ReportWriteError(explain(shown(current), exc)) from exc
        _sync_folder(final.parent)
        return [final / name for name in files]

    def discard() -> None:
        shutil.rmtree(staging, ignore_errors=True)

    return Staged(final, commit, discard)


def write_folder_atomic(folder: Path | str, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (name → content) into ``folder``.

    A new (or empty) folder appears whole: the files are written into a temporary
    folder beside it, which is then renamed. Into a folder that already holds
    files, each file is written whole and renamed into place, so none is ever
    partial; the files it already holds under other names stay.
    """
    return stage_folder(folder, files).commit()
