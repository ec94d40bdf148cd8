"""The sandbox's files that hold a secret are readable by their owner only (0600), from the
moment they exist, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdeck_dev import procs
from taskdeck_dev.sandbox import SandboxState

TOKENS = {"admin": "admin-secret", "support": "support-secret", "viewer": "viewer-secret"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.fixture
def modes_while_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, int]]:
    """The mode of every file in ``tmp_path``'s tree once the data is written and again as
    it is published: the moments a reader could find the secret in it."""
    seen: list[tuple[str, int]] = []

    def snapshot() -> None:
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.stat().st_size > 0:
                seen.append((path.name, mode(path)))

    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        snapshot()
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        snapshot()
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_the_state_file_with_the_tokens_is_private(
    tmp_path: Path, umask: int, modes_while_written: list[tuple[str, int]]
) -> None:
    run_dir = tmp_path / "sb"
    run_dir.mkdir()
    state = SandboxState(run_dir=run_dir, ports={"backend": 8400}, tokens=dict(TOKENS))
    state.save()
    path = run_dir / "state.json"
    assert "admin-secret" in path.read_text()
    assert mode(path) == 0o600
    assert modes_while_written, "nothing was seen while the file was written"
    assert all(m == 0o600 for _name, m in modes_while_written), modes_while_written
    # Saved again over itself (as 'up' does after each server): still private, no leftovers.
    state.save()
    assert mode(path) == 0o600
    assert sorted(p.name for p in run_dir.iterdir()) == ["state.json"]


def test_an_old_world_readable_file_is_replaced_by_a_private_one(
    tmp_path: Path, umask: int, modes_while_written: list[tuple[str, int]]
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("old")
    path.chmod(0o644)
    procs.write_private(path, '{"token": "new-secret"}')
    assert path.read_text() == '{"token": "new-secret"}'
    assert mode(path) == 0o600
    written = [m for name, m in modes_while_written if name != "tokens.json"]
    assert written and all(m == 0o600 for m in written), modes_while_written


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        procs.write_private(tmp_path / "state.json", "secret")
    assert list(tmp_path.iterdir()) == []
