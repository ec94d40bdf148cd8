"""One function per server of the local stack: start it, wait until it is ready.

The sandbox composes these into a whole stack; the test fixtures start the
ones a test module needs. Each returns the ManagedProcess it started and
stops it again if it does not become ready in time. The ``running_*`` context
managers take a free loopback port, start the server and stop it on leaving:
what tests and benchmarks use.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
import yaml

from backend.monitoring import MONITORING_DIR, render_alertmanager, scaled_rules
from taskdeck_dev.procs import (
    LOOPBACK,
    ManagedProcess,
    StackError,
    free_port,
    require_binary,
    start_process,
    wait_until,
    write_private,
)

READY_TIMEOUT_S = 30.0


def _ready(
    proc: ManagedProcess,
    check: Any,
    what: str,
    timeout: float = READY_TIMEOUT_S,
    port: int | None = None,
) -> ManagedProcess:
    """``proc`` once ``check`` passes (and, with ``port``, once ``proc`` itself listens
    there); stopped if it does not get there."""
    try:
        wait_until(check, timeout, what, proc, port=port)
    except BaseException:
        proc.stop()
        raise
    return proc


def _http_ok(url: str) -> bool:
    return httpx.get(url, timeout=1.0).status_code == 200


def redis_url(port: int, db: int = 0) -> str:
    return f"redis://{LOOPBACK}:{port}/{db}"


def redis_argv(binary: str, data: Path, port: int, aof: bool = True) -> list[str]:
    """redis-server's command line: with ``aof``, every write goes to the append-only file
    and is fsynced once a second (``appendfsync everysec``), so a crash of Redis loses
    nothing it acknowledged and a crash of the machine at most about a second of writes;
    without, everything since the last snapshot (``--save``)."""
    return [
        binary,
        "--bind",
        LOOPBACK,
        "--port",
        str(port),
        "--dir",
        str(data),
        "--save",
        "60 1000",
        "--appendonly",
        "yes" if aof else "no",
        "--appendfsync",
        "everysec",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
    ]


def _redis_answers(port: int) -> bool:
    client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=1)
    try:
        return bool(client.ping())
    finally:
        client.close()


def _adopt_snapshot(binary: str, run_dir: Path, data: Path, port: int) -> None:
    """A data dir with only a snapshot (from a run without AOF) would start empty with
    ``--appendonly yes``: Redis then reads the append-only file alone. Load the snapshot
    once without AOF, turn AOF on at run time (Redis writes the whole dataset into it),
    and stop; the next start reads the append-only file."""
    proc = start_process(
        "redis", redis_argv(binary, data, port, aof=False), run_dir / "logs" / "redis.log"
    )
    _ready(
        proc, lambda: _redis_answers(port), f"redis-server on port {port} (adopting its snapshot)"
    )
    client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=5)
    try:
        client.config_set("appendonly", "yes")

        def written() -> bool:
            info: Any = client.info("persistence")
            return bool(
                info["aof_enabled"]
                and not info["aof_rewrite_in_progress"]
                and not info["aof_rewrite_scheduled"]
                and info["aof_last_bgrewrite_status"] == "ok"
            )

        wait_until(written, READY_TIMEOUT_S, "redis-server writing its snapshot into AOF", proc)
    finally:
        client.close()
        proc.stop()


def start_redis(run_dir: Path, port: int, aof: bool = True) -> ManagedProcess:
    """redis-server on ``port`` keeping its data in ``run_dir/redis``: with AOF (what
    TaskDeck's docs ask of a production broker) unless ``aof`` is False."""
    binary = require_binary("redis-server")
    data = run_dir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    if aof and (data / "dump.rdb").is_file() and not (data / "appendonlydir").exists():
        _adopt_snapshot(binary, run_dir, data, port)
    argv = redis_argv(binary, data, port, aof)
    proc = start_process("redis", argv, run_dir / "logs" / "redis.log")
    return _ready(proc, lambda: _redis_answers(port), f"redis-server on port {port}")


# Debian's PostgreSQL (the ``postgresql`` package): its server programs are off PATH.
POSTGRES_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                     "/usr/lib/postgresql/15/bin")  # fmt: skip
POSTGRES_USER = "taskdeck"
UNPRIVILEGED = "nobody"  # PostgreSQL refuses to run as root: as root, it runs as this user


def postgres_binary(name: str) -> str:
    """Path of one of PostgreSQL's server programs (initdb, postgres), newest version first."""
    for directory in POSTGRES_BIN_DIRS:
        path = Path(directory) / name
        if path.is_file():
            return str(path)
    return require_binary(name)


def postgres_url(port: int, database: str = "postgres") -> str:
    """The SQLAlchemy URL (psycopg 3) of ``database`` on a server of ``start_postgres``."""
    return f"postgresql+psycopg://{POSTGRES_USER}@{LOOPBACK}:{port}/{database}"


def _as_unprivileged() -> list[str]:
    """The command prefix that runs a program as ``UNPRIVILEGED`` when this process is root
    (PostgreSQL will not run as root), nothing otherwise."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam(UNPRIVILEGED)
    return [require_binary("setpriv"), f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
            "--clear-groups", "--"]  # fmt: skip


def _postgres_answers(port: int) -> bool:
    try:
        with psycopg.connect(
            host=LOOPBACK, port=port, user=POSTGRES_USER, dbname="postgres", connect_timeout=1
        ) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def postgres_home(run_dir: Path) -> Path:
    """Where a PostgreSQL of ``start_postgres`` keeps its data and its unix socket:
    ``run_dir/postgres``, or as root a directory of ``UNPRIVILEGED``'s own under the
    system's temporary directory (a test's run dir is root's alone: 0700)."""
    if os.geteuid() != 0:
        home = run_dir / "postgres"
        home.mkdir(parents=True, exist_ok=True)
        return home
    home = Path(tempfile.mkdtemp(prefix="taskdeck-postgres-"))
    user = pwd.getpwnam(UNPRIVILEGED)
    os.chown(home, user.pw_uid, user.pw_gid)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "postgres.home").write_text(f"{home}\n")  # where it went, for whoever looks
    return home


def start_postgres(
    run_dir: Path, port: int, durable: bool = False, settings: dict[str, str] | None = None
) -> tuple[ManagedProcess, Path]:
    """A PostgreSQL cluster of its own (``initdb``: user ``taskdeck``, trust authentication,
    from 127.0.0.1 and the unix socket only) listening on ``LOOPBACK:port``; returns the
    server and its home (data and socket). Without ``durable``, nothing is fsynced (tests:
    a crash of the machine may lose the cluster, which is thrown away anyway)."""
    home = postgres_home(run_dir)
    try:
        return _start_postgres(run_dir, home, port, durable, settings or {}), home
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise


def _start_postgres(
    run_dir: Path, home: Path, port: int, durable: bool, settings: dict[str, str]
) -> ManagedProcess:
    data = home / "data"
    prefix = _as_unprivileged()
    log = run_dir / "logs" / "postgres.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        subprocess.run(
            [*prefix, postgres_binary("initdb"), "-D", str(data), "-U", POSTGRES_USER,
             "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=home, check=True,
            timeout=READY_TIMEOUT_S,
        )  # fmt: skip
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        f"host all all {LOOPBACK}/32 trust\n"
    )  # fmt: skip
    options = {
        "listen_addresses": LOOPBACK, "port": str(port), "unix_socket_directories": str(home),
        "max_connections": "200", "logging_collector": "off",
    }  # fmt: skip
    if not durable:
        options.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
    options.update(settings)
    argv = [*prefix, postgres_binary("postgres"), "-D", str(data)]
    for key, value in options.items():
        argv += ["-c", f"{key}={value}"]
    proc = start_process("postgres", argv, log, cwd=home)
    return _ready(proc, lambda: _postgres_answers(port), f"PostgreSQL on port {port}")


def create_database(server: Server, name: str) -> str:
    """A new, empty database ``name`` on a server of ``running_postgres``; its URL."""
    with psycopg.connect(
        host=LOOPBACK, port=server.port, user=POSTGRES_USER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY file_copy')
    return postgres_url(server.port, name)


def worker_env(broker_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"TASKDECK_BROKER_URL": broker_url, "TASKDECK_RESULT_BACKEND": broker_url}
    if extra:
        env.update(extra)
    return env


def start_worker(
    run_dir: Path,
    broker_url: str,
    name: str,
    concurrency: int = 2,
    queues: str = "data_sync,scheduled,default",
    env: dict[str, str] | None = None,
    prefetch_multiplier: int | None = None,
) -> ManagedProcess:
    """A prefork Celery worker ``name@taskdeck`` on ``broker_url``, ready when it answers a ping;
    ``prefetch_multiplier`` replaces the data-sync app's (1)."""
    nodename = f"{name}@taskdeck"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "taskdeck_worker.celery_app:app",
        "worker",
        "--hostname",
        nodename,
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--queues",
        queues,
        "--task-events",
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]
    if prefetch_multiplier is not None:
        argv += ["--prefetch-multiplier", str(prefetch_multiplier)]
    proc = start_process(
        name, argv, run_dir / "logs" / f"{name}.log", worker_env(broker_url, env), warm=True
    )
    from taskdeck_worker.celery_app import create_celery
    from taskdeck_worker.config import WorkerSettings

    control_app = create_celery(WorkerSettings(broker_url=broker_url), results=False)

    def pinged() -> bool:
        return bool(control_app.control.ping(destination=[nodename], timeout=0.5))

    try:
        return _ready(proc, pinged, f"Celery worker {nodename}", timeout=60.0)
    finally:
        control_app.close()


def start_backend(
    run_dir: Path, port: int, broker_url: str, env: dict[str, str] | None = None
) -> ManagedProcess:
    argv = [sys.executable, "-m", "backend.main", "--host", LOOPBACK, "--port", str(port)]
    full_env = worker_env(broker_url, {"TASKDECK_DATA_DIR": str(run_dir / "backend")})
    if env:
        full_env.update(env)
    proc = start_process("backend", argv, run_dir / "logs" / "backend.log", full_env)
    return _ready(
        proc,
        lambda: _http_ok(f"http://{LOOPBACK}:{port}/health"),
        f"backend on port {port}",
        port=port,
    )


def write_prometheus_config(
    run_dir: Path,
    backend_port: int,
    alertmanager_port: int | None,
    interval: str = "5s",
    rules_factor: float | None = None,
    metrics_token: str | None = None,
) -> Path:
    """The project's prometheus.yml with this stack's addresses and the given intervals;
    with ``rules_factor``, the rules' durations shortened by that factor. With
    ``metrics_token`` (the backend's TASKDECK_METRICS_TOKEN), Prometheus sends it from a file
    only this user may read; without, it sends none (a backend with TASKDECK_METRICS_OPEN=1)."""
    source = MONITORING_DIR / "prometheus" / "prometheus.yml"
    if not source.is_file():
        raise StackError(f"{source} is missing; run from a checkout of the TaskDeck repository")
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    config.setdefault("global", {}).update(
        {"scrape_interval": interval, "evaluation_interval": interval}
    )
    for job in config.get("scrape_configs", []):
        if job.get("job_name") == "taskdeck-backend":
            job["scrape_interval"] = interval
            job["static_configs"] = [{"targets": [f"{LOOPBACK}:{backend_port}"]}]
            job.pop("authorization", None)
            if metrics_token is not None:
                credentials = run_dir / "prometheus" / "metrics.token"
                credentials.parent.mkdir(parents=True, exist_ok=True)
                write_private(credentials, metrics_token)
                job["authorization"] = {"type": "Bearer", "credentials_file": str(credentials)}
    if alertmanager_port is None:
        config.pop("alerting", None)
    else:
        config["alerting"] = {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"{LOOPBACK}:{alertmanager_port}"]}]}
            ]
        }
    target = run_dir / "prometheus" / "prometheus.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    if rules_factor is None:
        rules = sorted((MONITORING_DIR / "prometheus" / "rules").glob("*.yml"))
    else:
        rules = [run_dir / "prometheus" / "rules.yml"]
        rules[0].write_text(scaled_rules(rules_factor))
    config["rule_files"] = [str(p) for p in rules]
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def start_prometheus(run_dir: Path, port: int, config: Path) -> ManagedProcess:
    binary = require_binary("prometheus")
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={run_dir / 'prometheus' / 'data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--rules.alert.resend-delay=1s",
        "--storage.tsdb.retention.time=15d",
        "--log.level=warn",
    ]
    proc = start_process("prometheus", argv, run_dir / "logs" / "prometheus.log")
    return _ready(
        proc,
        lambda: _http_ok(f"http://{LOOPBACK}:{port}/-/ready"),
        f"Prometheus on port {port}",
        port=port,
    )


def start_alertmanager(run_dir: Path, port: int, group_wait: str = "5s") -> ManagedProcess:
    """Alertmanager with the project's routing; it delivers nowhere (no mail server on
    loopback), but every alert shows in its API and UI."""
    binary = require_binary("prometheus-alertmanager")
    config = run_dir / "alertmanager" / "alertmanager.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(render_alertmanager({}, deliver=False, group_wait=group_wait))
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.path={run_dir / 'alertmanager'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    proc = start_process("alertmanager", argv, run_dir / "logs" / "alertmanager.log")
    return _ready(
        proc,
        lambda: _http_ok(f"http://{LOOPBACK}:{port}/-/ready"),
        f"Alertmanager on port {port}",
        port=port,
    )


@dataclass
class Server:
    """A server a ``running_*`` context manager started: its process, port and base URL."""

    proc: ManagedProcess
    port: int
    url: str


@contextlib.contextmanager
def _serving(proc: ManagedProcess, port: int, url: str) -> Iterator[Server]:
    try:
        yield Server(proc, port, url)
    finally:
        proc.stop()


@contextlib.contextmanager
def running_redis(run_dir: Path) -> Iterator[Server]:
    """A redis-server of its own on a free port; ``url`` is its database 0."""
    port = free_port()
    with _serving(start_redis(run_dir, port), port, redis_url(port)) as server:
        yield server


@contextlib.contextmanager
def running_backend(
    run_dir: Path, broker_url: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """The backend on a free port over ``broker_url``."""
    port = free_port()
    proc = start_backend(run_dir, port, broker_url, env=env)
    with _serving(proc, port, f"http://{LOOPBACK}:{port}") as server:
        yield server


@contextlib.contextmanager
def running_alertmanager(run_dir: Path, group_wait: str = "5s") -> Iterator[Server]:
    port = free_port()
    proc = start_alertmanager(run_dir, port, group_wait=group_wait)
    with _serving(proc, port, f"http://{LOOPBACK}:{port}") as server:
        yield server


@contextlib.contextmanager
def running_prometheus(
    run_dir: Path, backend: Server, alertmanager: Server | None, **config: Any
) -> Iterator[Server]:
    """Prometheus scraping ``backend`` and alerting ``alertmanager``; ``config`` goes to
    ``write_prometheus_config`` (``interval``, ``rules_factor``)."""
    path = write_prometheus_config(
        run_dir, backend.port, alertmanager.port if alertmanager else None, **config
    )
    port = free_port()
    with _serving(start_prometheus(run_dir, port, path), port, f"http://{LOOPBACK}:{port}") as s:
        yield s


@contextlib.contextmanager
def running_postgres(
    run_dir: Path, durable: bool = False, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """PostgreSQL on a free port with a throwaway cluster (removed on leaving); ``url`` is
    its ``postgres`` database; ``create_database`` makes one per test."""
    port = free_port()
    proc, home = start_postgres(run_dir, port, durable=durable, settings=settings)
    try:
        with _serving(proc, port, postgres_url(port)) as server:
            yield server
    finally:
        shutil.rmtree(home, ignore_errors=True)


SENTINEL_MASTER = "taskdeck"


def _start_redis_node(
    run_dir: Path, name: str, port: int, replica_of: int | None = None
) -> ManagedProcess:
    """A redis-server with AOF keeping its data in ``run_dir/name``; with ``replica_of``,
    a replica of the server on that port."""
    binary = require_binary("redis-server")
    data = run_dir / name
    data.mkdir(parents=True, exist_ok=True)
    argv = redis_argv(binary, data, port)
    if replica_of is not None:
        argv += ["--replicaof", LOOPBACK, str(replica_of)]
    proc = start_process(name, argv, run_dir / "logs" / f"{name}.log")
    return _ready(proc, lambda: _redis_answers(port), f"redis-server {name} on port {port}")


def start_sentinel(
    run_dir: Path, name: str, port: int, master_port: int, down_after_ms: int = 1000
) -> ManagedProcess:
    """Debian's redis-sentinel on ``port`` watching the master on ``master_port`` (quorum 2);
    it rewrites its own configuration file, kept in ``run_dir/name``."""
    binary = require_binary("redis-sentinel")
    home = run_dir / name
    home.mkdir(parents=True, exist_ok=True)
    conf = home / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind {LOOPBACK}\ndaemonize no\ndir {home}\n"
        f"sentinel monitor {SENTINEL_MASTER} {LOOPBACK} {master_port} 2\n"
        f"sentinel down-after-milliseconds {SENTINEL_MASTER} {down_after_ms}\n"
        f"sentinel failover-timeout {SENTINEL_MASTER} 10000\n"
        f"sentinel parallel-syncs {SENTINEL_MASTER} 1\n"
    )
    proc = start_process(name, [binary, str(conf)], run_dir / "logs" / f"{name}.log")
    return _ready(proc, lambda: _redis_answers(port), f"redis-sentinel {name} on port {port}")


@dataclass
class SentinelGroup:
    """A master, a replica and three Sentinels on loopback (``running_sentinel``)."""

    nodes: dict[int, ManagedProcess]  # redis-server by port: the first master, the replica
    sentinels: dict[int, ManagedProcess]  # redis-sentinel by port

    @property
    def url(self) -> str:
        """The broker URL TaskDeck takes for it (database 0)."""
        hosts = ",".join(f"{LOOPBACK}:{port}" for port in self.sentinels)
        return f"sentinel://{hosts}/0?master_name={SENTINEL_MASTER}"

    def master_port(self) -> int | None:
        """The master's port as the Sentinels now name it (None if none answers)."""
        for port in self.sentinels:
            client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=1)
            try:
                address: Any = client.sentinel_get_master_addr_by_name(SENTINEL_MASTER)
                if address:
                    return int(address[1])
            except redis.RedisError:
                continue
            finally:
                client.close()
        return None

    def ready(self) -> bool:
        """Every Sentinel sees the master, the two other Sentinels and a replica in sync."""
        for port in self.sentinels:
            client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=1)
            try:
                state: Any = client.sentinel_master(SENTINEL_MASTER)
            except redis.RedisError:
                return False
            finally:
                client.close()
            if int(state.get("num-other-sentinels", 0)) < 2 or int(state.get("num-slaves", 0)) < 1:
                return False
        master = self.master_port()
        if master is None:
            return False
        client = redis.Redis(host=LOOPBACK, port=master, socket_timeout=1)
        try:
            info: Any = client.info("replication")
        except redis.RedisError:
            return False
        finally:
            client.close()
        return int(info.get("connected_slaves", 0)) >= 1 and all(
            str(v.get("state")) == "online" for k, v in info.items() if k.startswith("slave")
        )


@contextlib.contextmanager
def running_sentinel(run_dir: Path, down_after_ms: int = 1000) -> Iterator[SentinelGroup]:
    """Redis under Sentinel on free loopback ports: a master with AOF, one replica and
    three Sentinels (quorum 2), ready to fail over; all stopped on leaving."""
    started: list[ManagedProcess] = []
    try:
        master_port = free_port()
        master = _start_redis_node(run_dir, "redis-master", master_port)
        started.append(master)
        replica_port = free_port()
        replica = _start_redis_node(run_dir, "redis-replica", replica_port, master_port)
        started.append(replica)
        sentinels: dict[int, ManagedProcess] = {}
        for index in range(3):
            port = free_port()
            sentinels[port] = start_sentinel(
                run_dir, f"sentinel-{index + 1}", port, master_port, down_after_ms
            )
            started.append(sentinels[port])
        group = SentinelGroup({master_port: master, replica_port: replica}, sentinels)
        wait_until(group.ready, READY_TIMEOUT_S, "Sentinels seeing the master and its replica")
        yield group
    finally:
        for proc in reversed(started):
            proc.stop()
