"""Starting, watching and stopping the local server processes of a stack.

Used by the sandbox and by the test fixtures, so both start the real servers
the same way. Every process is started in a session of its own, recorded by
pid and start time (so a recycled pid is never mistaken for it), and stopped
by signalling exactly that process group. A process recorded as ``warm`` (a
Celery worker) can be stopped warm instead: its main process alone is
signalled, so it finishes the tasks it runs before its pool ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from taskdeck_core.files import write_atomically
from taskdeck_core.net import LOOPBACK, free_port, port_is_free

# Debian package that provides each system binary the stack runs.
SYSTEM_BINARIES = {
    "redis-server": "redis-server",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
}


class StackError(Exception):
    """Something the user can fix; the message says what and how."""


def require_binary(name: str) -> str:
    """Path of a system binary, or a StackError naming the package to install."""
    path = shutil.which(name)
    if path is None:
        package = SYSTEM_BINARIES.get(name, name)
        raise StackError(
            f"'{name}' was not found on PATH; install the Debian package '{package}' "
            f"(apt-get install {package}) or run 'make demo', which installs it"
        )
    return path


def pick_port(preferred: int, taken: set[int], host: str = LOOPBACK) -> int:
    """``preferred`` if it is free and not already handed out, else the next free one."""
    for port in range(preferred, min(preferred + 50, 65536)):
        if port not in taken and port_is_free(port, host):
            taken.add(port)
            return port
    port = free_port(host)
    while port in taken:
        port = free_port(host)
    taken.add(port)
    return port


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None if
    ``pid`` is gone or has exited and waits to be reaped.

    A zombie main thread whose other threads still run (a multi-threaded process just
    killed, its threads still exiting and holding its sockets and files) is not gone yet.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z" and int(fields[17]) <= 1:  # fields[17]: the number of threads
        return None
    return fields


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None if it is gone."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def group_members(pgid: int) -> dict[int, int]:
    """The live processes of process group ``pgid``: pid -> kernel start time."""
    members = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[2]) == pgid:
                members[int(entry.name)] = int(fields[19])
    return members


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on TCP ``port`` (any address, IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself holds a socket listening on TCP ``port``."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    return False


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, readable by this user only (0600) from the moment
    it exists."""
    write_atomically(path, text.encode("utf-8"), private=True)


@dataclass
class ManagedProcess:
    """A process this code started, identified by pid and kernel start time."""

    name: str
    pid: int
    start_time: int
    log: str
    argv: list[str]
    warm: bool = False  # stop_warm may signal its main process alone (a Celery worker)

    def alive(self) -> bool:
        return process_start_time(self.pid) == self.start_time

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ManagedProcess:
        argv = data.get("argv", [])
        return cls(
            name=str(data["name"]),
            pid=int(str(data["pid"])),
            start_time=int(str(data["start_time"])),
            log=str(data["log"]),
            argv=[str(a) for a in argv] if isinstance(argv, list) else [],
            warm=bool(data.get("warm", False)),
        )

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = Path(self.log).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL it if it outlives ``timeout``."""
        if not self.alive():
            _reap(self.pid)
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)  # started as a session leader: pgid == pid
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                _reap(self.pid)
                if not self.alive():
                    return
                time.sleep(0.05)
        raise StackError(f"{self.name} (pid {self.pid}) did not stop")


def stop_warm(procs: Sequence[ManagedProcess], grace: float, timeout: float = 10.0) -> None:
    """Stop ``procs`` together, letting the warm ones finish what they run.

    Each warm process's main process alone gets SIGTERM (a Celery worker's warm
    shutdown: it takes no new task and exits once its running tasks are done), and all
    get up to ``grace`` seconds to exit. What is then left of their process groups, pool
    processes that outlived their main process included, is stopped by pid; a warm
    process still running after ``grace`` is stopped like any other (``stop``), which
    cuts its running tasks.
    """
    running = [p for p in procs if p.alive()]
    members = {p.pid: group_members(p.pid) for p in running}
    for proc in running:
        if proc.warm and grace > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + (grace if any(p.warm for p in running) else 0)
    while time.monotonic() < deadline and any(p.alive() for p in running if p.warm):
        for proc in running:
            _reap(proc.pid)
        time.sleep(0.05)
    for proc in running:
        _reap(proc.pid)
        if proc.alive():
            proc.stop(timeout)
        left = {pid: start for pid, start in members[proc.pid].items() if pid != proc.pid}
        _stop_pids(proc.name, left, timeout)


def _stop_pids(name: str, procs: Mapping[int, int], timeout: float) -> None:
    """SIGTERM, then SIGKILL, the processes ``procs`` (pid -> start time) still alive."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid, start in procs.items() if process_start_time(pid) == start]
        if not alive:
            return
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(process_start_time(pid) != procs[pid] for pid in alive):
                return
            time.sleep(0.05)
    raise StackError(f"processes {sorted(procs)} of {name} did not stop")


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child, so it leaves no zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


_PR_SET_PDEATHSIG = 1


def dies_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` after which the child gets SIGTERM when this process ends, however
    it ends (SIGKILL included); None where the kernel offers no such thing (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # this process ended before the request was made
            os._exit(1)

    return preexec


def start_process(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    warm: bool = False,
    die_with_parent: bool = False,
) -> ManagedProcess:
    """Start ``argv`` in a new session, output appended to ``log_path``. ``warm``: see
    ``stop_warm``; ``die_with_parent``: the process gets SIGTERM when this one ends."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,
            preexec_fn=dies_with_this_process() if die_with_parent else None,
        )
    start = process_start_time(proc.pid)
    # A process that died at once has no start time; record 0 so it reads as dead.
    return ManagedProcess(name, proc.pid, start or 0, str(log_path), list(argv), warm)


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    proc: ManagedProcess | None = None,
    interval: float = 0.1,
    port: int | None = None,
) -> None:
    """Poll ``check`` until it is true; fail early if ``proc`` dies, else after ``timeout``.

    With ``proc`` and ``port``, ready also means that ``proc`` itself listens on ``port``
    and is alive: whatever else answers there (a program that took the port after it
    was chosen) is not taken for it.
    """
    deadline = time.monotonic() + timeout
    answered = False  # something answered on the port, not proc
    while True:
        try:
            if check():
                if proc is None or port is None:
                    return
                if listens_on(proc.pid, port) and proc.alive():
                    return
                answered = True
        except Exception:  # noqa: BLE001 - not ready yet; the deadline decides
            pass
        if proc is not None and not proc.alive():
            _reap(proc.pid)
            if port is not None and (answered or _listening_inodes(port)):
                raise StackError(
                    f"port {port} was taken by another program while {proc.name} started, "
                    f"and {proc.name} (pid {proc.pid}) exited; start again to choose a free "
                    f"port. Its log {proc.log} ends with:\n{proc.log_tail()}"
                )
            raise StackError(
                f"{proc.name} exited while starting ({what}); its log {proc.log} ends with:\n"
                f"{proc.log_tail()}"
            )
        if time.monotonic() > deadline:
            where = f"; see {proc.log}" if proc else ""
            if answered:
                where = f"; another program answers on port {port}{where}"
            raise StackError(f"{what}: not ready after {timeout:.0f}s{where}")
        time.sleep(interval)
