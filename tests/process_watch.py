"""Every process a test started, found by pid and kernel start time (so a recycled pid is
never mistaken for it): to check that all of them are gone when it is over."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from taskdeck_dev.procs import process_start_time


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, start time) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else (int(fields[1]), int(fields[19]))


def descendants(root: int) -> dict[int, int]:
    """Every live descendant of ``root``: pid -> kernel start time."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
            starts[int(entry.name)] = stat[1]
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child in starts and child not in found:
                found[child] = starts[child]
                todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def still_running(procs: dict[int, int]) -> dict[int, str]:
    """Those of ``procs`` (pid -> start time) still running, with their command lines."""
    return {pid: cmdline(pid) for pid, start in procs.items() if process_start_time(pid) == start}


class Seen(dict[int, int]):
    """pid -> start time of every process seen, and ``commands``: pid -> command line."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: dict[int, str] = {}

    def add(self, procs: dict[int, int]) -> None:
        # Commands first: another thread reading ``matching`` meanwhile finds a command for
        # every pid it sees.
        for pid in procs:
            self.commands[pid] = cmdline(pid) or self.commands.get(pid, "")
        self.update(procs)

    def matching(self, part: str) -> dict[int, int]:
        return {pid: start for pid, start in list(self.items())
                if part in self.commands.get(pid, "")}  # fmt: skip


@contextlib.contextmanager
def watching(root: int) -> Iterator[Seen]:
    """Collects, every 20 ms while the block runs, every descendant ``root`` started during
    it (those it already had, e.g. another fixture's servers, are not the block's)."""
    seen = Seen()
    done = threading.Event()
    before = descendants(root)

    def new() -> dict[int, int]:
        return {p: t for p, t in descendants(root).items() if before.get(p) != t}

    def poll() -> None:
        while not done.is_set():
            seen.add(new())
            done.wait(0.02)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()
        seen.add(new())
