"""``taskdeck-sandbox up|down|status|demo``: a complete local stack on 127.0.0.1.

redis-server, two prefork Celery workers running the data-sync workload, the
backend, Prometheus and Alertmanager (Debian binaries, configs from
monitoring/), and a traffic generator. Ports, pids, logs and data live in one
run directory; ``down`` stops exactly the processes that ``up`` recorded, the
workers warm (the tasks they run finish first, within a grace period). Files that
hold a secret (``state.json`` with the tokens, the backend's token file) are
readable by this user only.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from backend.services.auth import hash_token
from taskdeck_core.sandbox_paths import STATE_FILE, default_run_dir
from taskdeck_core.transport import SANDBOX_TRANSPORT
from taskdeck_dev.procs import (
    LOOPBACK,
    ManagedProcess,
    StackError,
    dies_with_this_process,
    pick_port,
    require_binary,
    start_process,
    stop_warm,
    wait_until,
    write_private,
)
from taskdeck_dev.stack import (
    redis_url,
    start_alertmanager,
    start_backend,
    start_prometheus,
    start_redis,
    start_worker,
    write_prometheus_config,
)
from taskdeck_dev.traffic import USER_TIERS

PREFERRED_PORTS = {"redis": 6390, "backend": 8400, "prometheus": 9390, "alertmanager": 9393}
WORKERS = ("worker1", "worker2")
SANDBOX_RULES_FACTOR = 0.1
# Seconds the workers get, when the sandbox stops, to finish the tasks they run (the
# workload's slowest tasks take about 22 s); tasks still running then are cut, and
# the broker delivers them again after the next 'up'.
STOP_GRACE_S = 30.0


@dataclass
class SandboxState:
    run_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: list[ManagedProcess] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    tokens: dict[str, str] = field(
        default_factory=dict
    )  # role -> bearer token (local sandbox only)

    @property
    def urls(self) -> dict[str, str]:
        p = self.ports
        urls = {}
        if "redis" in p:
            urls["broker"] = redis_url(p["redis"])
        for name in ("backend", "prometheus", "alertmanager"):
            if name in p:
                urls[name] = f"http://{LOOPBACK}:{p[name]}"
        return urls

    def save(self) -> None:
        data = {
            "started_at": self.started_at,
            "ports": self.ports,
            "urls": self.urls,
            "tokens": self.tokens,
            "processes": [proc.to_dict() for proc in self.processes],
        }
        write_private(self.run_dir / STATE_FILE, json.dumps(data, indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> SandboxState | None:
        path = run_dir / STATE_FILE
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            return cls(
                run_dir=run_dir,
                ports={str(k): int(v) for k, v in data.get("ports", {}).items()},
                processes=[ManagedProcess.from_dict(p) for p in data.get("processes", [])],
                started_at=float(data.get("started_at", 0)),
                tokens={str(k): str(v) for k, v in data.get("tokens", {}).items()},
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise StackError(
                f"{path} is damaged ({exc}); stop any sandbox processes by hand and delete it"
            ) from None


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """One sandbox command at a time per run directory."""
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(run_dir / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackError(
                f"another taskdeck-sandbox command is working on {run_dir}; wait for it to finish"
            ) from None
        yield


def check_binaries() -> None:
    for name in ("redis-server", "prometheus", "prometheus-alertmanager"):
        require_binary(name)


def up(run_dir: Path, rate: float = 2.0, log: Any = print) -> tuple[SandboxState, bool]:
    """Start the stack; returns its state and whether this call started it."""
    with _locked(run_dir):
        existing = SandboxState.load(run_dir)
        if existing is not None:
            alive = [p for p in existing.processes if p.alive()]
            if alive and len(alive) == len(existing.processes):
                return existing, False
            if alive:
                dead = ", ".join(p.name for p in existing.processes if not p.alive())
                raise StackError(
                    f"the sandbox in {run_dir} is partly down ({dead} stopped); "
                    "run 'taskdeck-sandbox down' and then 'up' again"
                )
        check_binaries()
        state = SandboxState(run_dir=run_dir)
        taken: set[int] = set()
        state.ports = {name: pick_port(port, taken) for name, port in PREFERRED_PORTS.items()}
        state.save()
        try:
            _start_all(state, rate, log)
        except BaseException:
            log("sandbox: starting failed; stopping what was started")
            _stop_all(state, log=log)
            raise
        return state, True


def _start_all(state: SandboxState, rate: float, log: Any) -> None:
    run_dir, ports = state.run_dir, state.ports
    broker = redis_url(ports["redis"])

    def started(proc: ManagedProcess) -> None:
        state.processes.append(proc)
        state.save()
        log(f"sandbox: {proc.name} ready (pid {proc.pid})")

    started(start_redis(run_dir, ports["redis"]))
    workload = {"TASKDECK_WORKLOAD_RETRY_BACKOFF_S": "2"}
    for name in WORKERS:
        started(start_worker(run_dir, broker, name, env=workload))
    state.tokens = {role: secrets.token_urlsafe(24) for role in ("admin", "support", "viewer")}
    state.save()
    tokens_file = run_dir / "backend" / "tokens.json"
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    write_private(
        tokens_file,
        json.dumps(
            [{"user": f"sandbox-{role}", "role": role, "token_sha256": hash_token(token)}
             for role, token in state.tokens.items()]
        )
    )  # fmt: skip
    # Prometheus reads /metrics with a token of its own, as in production.
    metrics_token = secrets.token_urlsafe(24)
    backend_env = {
        "TASKDECK_TOKENS_FILE": str(tokens_file),
        "TASKDECK_METRICS_TOKEN": metrics_token,
        "TASKDECK_USER_TIERS": USER_TIERS,
        "TASKDECK_RATELIMIT_BUCKET_S": "10",  # anomalies show within a demo
        # The workers' ten priority steps (0,1,...,9), so the backend writes to every one.
        "TASKDECK_PRIORITY_STEPS": ",".join(str(step) for step in SANDBOX_TRANSPORT.steps),
        # The sandbox's Alertmanager (started next), whose silences admins change here.
        "TASKDECK_ALERTMANAGER_URL": state.urls["alertmanager"],
    }
    started(start_backend(run_dir, ports["backend"], broker, env=backend_env))
    started(start_alertmanager(run_dir, ports["alertmanager"]))
    # Rules with a tenth of their durations, so alerts fire within a demo.
    config = write_prometheus_config(
        run_dir, ports["backend"], ports["alertmanager"], rules_factor=SANDBOX_RULES_FACTOR,
        metrics_token=metrics_token,
    )  # fmt: skip
    started(start_prometheus(run_dir, ports["prometheus"], config))
    traffic = start_process(
        "traffic",
        [sys.executable, "-m", "taskdeck_dev.traffic", "--backend-url", state.urls["backend"],
         "--rate", str(rate)],
        run_dir / "logs" / "traffic.log",
        {"TASKDECK_TRAFFIC_TOKEN": state.tokens["support"]},
    )  # fmt: skip
    started(traffic)
    dead = [p.name for p in state.processes if not p.alive()]
    if dead:
        raise StackError(f"{', '.join(dead)} exited while the sandbox started; see logs/")


def _quiet(_message: str) -> None:
    pass


def _stop_all(state: SandboxState, grace: float = STOP_GRACE_S, log: Any = _quiet) -> list[str]:
    """Stop the recorded processes, newest first, the workers together and warm: the
    tasks they run get up to ``grace`` seconds to finish, and nothing they need (the
    broker) stops before them. Returns the names stopped."""
    newest_first = [p for p in reversed(state.processes) if p.alive()]
    warm = [p for p in newest_first if p.warm]
    cut = newest_first.index(warm[0]) if warm else len(newest_first)
    for proc in newest_first[:cut]:
        proc.stop()
    if warm:
        log(
            f"sandbox: stopping {', '.join(p.name for p in warm)}; "
            f"the tasks they run get up to {grace:g}s to finish"
        )
        stop_warm(warm, grace)
    for proc in newest_first[cut:]:
        if not proc.warm:
            proc.stop()
    (state.run_dir / STATE_FILE).unlink(missing_ok=True)
    return [p.name for p in newest_first]


def down(run_dir: Path, grace: float = STOP_GRACE_S, log: Any = _quiet) -> list[str]:
    """Stop what 'up' started; the workers' running tasks get up to ``grace`` seconds."""
    with _locked(run_dir):
        state = SandboxState.load(run_dir)
        return _stop_all(state, grace, log) if state else []


def status_lines(run_dir: Path) -> tuple[list[str], int]:
    """Lines to print and the exit status: 0 all running, 1 partly, 3 not running."""
    state = SandboxState.load(run_dir)
    if state is None or not state.processes:
        return [f"sandbox: not running (run dir {run_dir})"], 3
    lines = [f"sandbox in {run_dir}"]
    for name, url in state.urls.items():
        lines.append(f"  {name:<13} {url}")
    if "admin" in state.tokens:
        lines.append(
            f"  admin token   {state.tokens['admin']}  (curl -H 'Authorization: Bearer ...')"
        )
    alive_count = 0
    for proc in state.processes:
        alive = proc.alive()
        alive_count += alive
        lines.append(
            f"  {proc.name:<13} pid {proc.pid:<8} {'running' if alive else 'STOPPED':<8} log {proc.log}"
        )
    code = 0 if alive_count == len(state.processes) else (3 if alive_count == 0 else 1)
    return lines, code


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_xvfb(run_dir: Path) -> tuple[ManagedProcess, str]:
    """A virtual X screen on the first free display number, ready when its socket exists."""
    for number in range(90, 190):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            break
    else:
        raise StackError("no free X display number between :90 and :189; stop an old Xvfb")
    proc = start_process(
        "xvfb",
        ["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        run_dir / "logs" / "xvfb.log",
        die_with_parent=True,  # even if this process is killed and cannot stop it
    )
    try:
        wait_until(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 10, "Xvfb", proc)
    except BaseException:  # Ctrl-C or a failed start while waiting: leave no screen behind
        proc.stop()
        raise
    return proc, f":{number}"


class _Signalled(KeyboardInterrupt):
    """SIGTERM or SIGHUP ended the demo: it cleans up as after Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _say(message: str) -> None:
    """Print, even to a terminal that has gone away (after SIGHUP)."""
    with contextlib.suppress(OSError):
        print(message, flush=True)


def demo(
    run_dir: Path, screenshots: Path, run_for: float, rate: float, grace: float = STOP_GRACE_S
) -> int:
    """Start the stack, run the console on it, and stop the stack when the console ends.

    Ctrl-C, SIGTERM and SIGHUP stop everything it started (exit status 128 + the
    signal's number); once it is stopping, further signals are ignored until it is done.
    Its Xvfb and console end with it even if it is killed (SIGKILL); the stack then
    stays recorded in the run directory for 'taskdeck-sandbox down'.
    """
    console: subprocess.Popen[bytes] | None = None
    xvfb: ManagedProcess | None = None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise _Signalled(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    started_here = False
    try:
        state, started_here = up(run_dir, rate)
        argv = [sys.executable, "-m", "console", "--sandbox-dir", str(run_dir)]
        env = dict(os.environ)
        if not _has_display():
            argv += ["--screenshots", str(screenshots), "--run-for", str(run_for)]
            if shutil.which("Xvfb"):
                xvfb, display = start_xvfb(run_dir)
                env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
                print(
                    f"demo: no display; running the console on Xvfb {display}, screenshots to {screenshots}/"
                )
            else:
                env["QT_QPA_PLATFORM"] = "offscreen"
                print(
                    f"demo: no display; running the console offscreen, screenshots to {screenshots}/"
                )
        else:
            print("demo: console open; close its window to stop the sandbox")
        console = subprocess.Popen(
            argv, env=env, start_new_session=True, preexec_fn=dies_with_this_process()
        )
        return console.wait()
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, _Signalled) else signal.SIGINT
        _say(f"\ndemo: interrupted ({signal.Signals(signum).name}); stopping what it started")
        return 128 + signum
    finally:
        # A second Ctrl-C, SIGTERM or hang-up must not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if console is not None and console.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(console.pid, signal.SIGTERM)
            try:
                console.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(console.pid, signal.SIGKILL)
                console.wait()
        if xvfb is not None:
            xvfb.stop()
        if started_here:
            stopped = down(run_dir, grace, log=_say)
            _say(f"demo: sandbox stopped ({len(stopped)} processes)")


COMMANDS = {
    "up": "start the stack (does nothing if it is already running)",
    "down": "stop everything that 'up' started",
    "status": "show ports, pids and logs",
    "demo": "up, run the console on it, down when it closes",
}


@dataclass(frozen=True)
class _Option:
    flag: str
    commands: tuple[str, ...]  # the sub-commands it applies to
    default: Any
    kwargs: dict[str, Any]


OPTIONS = (
    _Option("--run-dir", tuple(COMMANDS), None, {"type": Path, "help": (
        "where state, logs and data live "
        "(TASKDECK_SANDBOX_DIR, default ~/.local/state/taskdeck/sandbox)")}),
    _Option("--rate", ("up", "demo"), 2.0,
            {"type": float, "help": "mean tasks per second of the traffic (default 2)"}),
    _Option("--screenshots", ("demo",), Path("demo-out"),
            {"type": Path, "help": "where screenshots go without a display (default demo-out)"}),
    _Option("--run-for", ("demo",), 80.0,
            {"type": float, "help": "seconds offscreen (no display; default 80)"}),
    _Option("--grace", ("down", "demo"), STOP_GRACE_S,
            {"type": float, "help": (
                "seconds the workers get to finish their running tasks when stopping "
                f"(default {STOP_GRACE_S:g}); tasks still running then are delivered again")}),
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """Every option is accepted before or after its sub-command: ``--run-dir X up --rate 5``
    and ``up --run-dir X --rate 5`` are the same command."""
    parser = argparse.ArgumentParser(
        prog="taskdeck-sandbox",
        description=(__doc__ or "").splitlines()[0],
        epilog="Options may come before or after the sub-command.",
    )
    # Defaults are filled in after parsing (parse_args), so that an option given on one
    # side of the sub-command is not overwritten by the other side's default.
    for option in OPTIONS:
        kwargs = dict(option.kwargs)
        if option.commands != tuple(COMMANDS):
            kwargs["help"] = f"{' and '.join(option.commands)}: {kwargs['help']}"
        parser.add_argument(option.flag, default=argparse.SUPPRESS, **kwargs)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{up,down,status,demo}")
    for command, help_text in COMMANDS.items():
        p_command = sub.add_parser(command, help=help_text, description=help_text)
        for option in OPTIONS:
            if command in option.commands:
                p_command.add_argument(option.flag, default=argparse.SUPPRESS, **option.kwargs)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with options before or after the sub-command. An unknown option, or
    one its sub-command does not take, exits with status 2 and one line naming it."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    command: str = args.command

    def not_taken(flag: str, owner: _Option) -> None:
        owners = " and ".join(f"'{c}'" for c in owner.commands)
        parser.error(f"{flag} is an option of {owners}, not of '{command}'")

    if extra:
        word = next((w for w in extra if w.startswith("-")), extra[0])
        owner = next((o for o in OPTIONS if o.flag == word.split("=", 1)[0]), None)
        if owner is not None:
            not_taken(owner.flag, owner)
        taken = ", ".join(o.flag for o in OPTIONS if command in o.commands)
        what = "unknown option" if word.startswith("-") else "unexpected argument"
        parser.error(f"{what} {word!r}; '{command}' takes {taken}")
    for option in OPTIONS:
        dest = option.flag.removeprefix("--").replace("-", "_")
        if not hasattr(args, dest):
            setattr(args, dest, option.default)
        elif command not in option.commands:
            not_taken(option.flag, option)
    if getattr(args, "rate", 1.0) <= 0:
        parser.error("--rate must be positive")
    if getattr(args, "grace", 0.0) < 0:
        parser.error("--grace must not be negative")
    return args


def cli(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    run_dir: Path = (args.run_dir or default_run_dir()).resolve()
    try:
        if args.command == "up":
            state, started = up(run_dir, args.rate)
            if not started:
                print("sandbox: already running; nothing started")
            lines, _code = status_lines(run_dir)
            print("\n".join(lines))
        elif args.command == "down":
            stopped = down(run_dir, args.grace, log=print)
            print(
                f"sandbox: stopped {', '.join(stopped)}" if stopped else "sandbox: was not running"
            )
        elif args.command == "status":
            lines, code = status_lines(run_dir)
            print("\n".join(lines))
            raise SystemExit(code)
        else:
            raise SystemExit(demo(run_dir, args.screenshots, args.run_for, args.rate, args.grace))
    except StackError as exc:
        print(f"taskdeck-sandbox: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("\ntaskdeck-sandbox: interrupted; what was started has been stopped", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    cli()
