"""taskdeck-report from the command line, as cron would run it: a profile of the test
servers (its token from TASKDECK_TOKEN, as where no keyring is), a report written; a
source down stops it with one line and nothing written, unless --partial; bad command
lines and unwritable paths say what is wrong."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from console.domain.profiles.model import Profile
from console.domain.profiles.store import PROFILES_FILE, ProfileStore
from taskdeck_core.net import LOOPBACK, free_port
from tests.conftest import TOKENS, Server
from tests.helpers import api

pytestmark = pytest.mark.integration
REPORT = Path(sys.executable).with_name("taskdeck-report")


def run(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "TASKDECK_TOKEN": TOKENS["admin"]}
    env.pop("DISPLAY", None)
    return subprocess.run([str(REPORT), *argv], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


@pytest.fixture
def config(
    tmp_path: Path, backend_server: Server, prometheus_server: Server, alertmanager_server: Server,
    redis_server: Server,
) -> Path:  # fmt: skip
    """A config folder holding a profile "test" of the test servers and one "dead" whose
    Prometheus does not answer."""
    folder = tmp_path / "config"
    store = ProfileStore(folder / "taskdeck" / PROFILES_FILE)  # where the console looks
    dead = f"http://{LOOPBACK}:{free_port()}"
    store.save([
        Profile("test", redis_server.url, backend_server.url, prometheus_server.url,
                alertmanager_server.url),
        Profile("dead", redis_server.url, backend_server.url, dead, alertmanager_server.url),
    ], "test")  # fmt: skip
    return folder


def test_a_report_is_written_from_a_profile_as_cron_would(
    config: Path, tmp_path: Path, backend_server: Server
) -> None:
    marker = f"张伟-{uuid.uuid4().hex[:6]}"
    with api(backend_server.url) as admin:
        reply = admin.put(f"/api/v1/quotas/{uuid.uuid4().hex[:8]}",
                          json={"limit": 3, "reason": marker})  # fmt: skip
        assert reply.status_code == 200
    out = tmp_path / "out" / "daily.html"
    out.parent.mkdir()
    done = run(config, "--profile", "test", "--window", "1h", "--format", "html",
               "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert "test" in text and marker in text  # the audit entry the test made, Chinese intact
    folder = tmp_path / "out" / "tables"
    done = run(config, "--profile", "test", "--window", "1h", "--format", "csv",
               "--sections", "audit", "--out", str(folder))  # fmt: skip
    assert done.returncode == 0, done.stderr
    audit = next(p for p in folder.iterdir() if p.name.startswith("audit"))
    with open(audit, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert any(marker in row.values() for row in rows)


def test_a_source_down_stops_it_with_one_line_unless_partial(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "weekly.pdf"
    done = run(config, "--profile", "dead", "--window", "7d", "--out", str(out))
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Prometheus" in lines[0] and "--partial" in lines[0]
    assert not out.exists() and list(tmp_path.glob("*weekly*")) == []
    done = run(config, "--profile", "dead", "--window", "7d", "--out", str(out), "--partial")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    first_page = subprocess.run(["pdftotext", "-l", "1", str(out), "-"], capture_output=True,
                                text=True, timeout=60).stdout  # fmt: skip
    assert "Prometheus" in first_page  # what is missing, said on the first page


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--profile", "nobody", "--out", "x.pdf"], "no profile named 'nobody'"),
        (["--profile", "test", "--from", "yesterday", "--to", "now", "--out", "x.pdf"],
         "is not a date and time"),
        (["--profile", "test", "--from", "2026-11-24T08:00", "--to", "2026-11-24T07:00",
          "--out", "x.pdf"], "--to must be later than --from"),
        (["--profile", "test", "--sections", "summary,gossip", "--out", "x.pdf"],
         "unknown gossip"),
    ],
)  # fmt: skip
def test_bad_command_lines_say_what_is_wrong(
    config: Path, tmp_path: Path, argv: list[str], says: str
) -> None:
    done = run(config, *argv)
    assert done.returncode == 2 and says in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unwritable_path_says_so_and_leaves_nothing(config: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run(config, "--profile", "test", "--window", "1h", "--format", "html",
               "--sections", "summary", "--out", str(blocker / "report.html"))  # fmt: skip
    assert done.returncode == 4 and "cannot write" in done.stderr
    assert "Traceback" not in done.stderr and blocker.read_text() == "not a folder"


def test_a_window_before_any_task_says_it_holds_no_data(
    config: Path, tmp_path: Path, backend_server: Server
) -> None:
    out = tmp_path / "2020.pdf"
    window = ["--from", "2020-01-01T00:00", "--to", "2020-01-08T00:00"]
    done = run(config, "--profile", "test", *window, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "the window holds no data" in done.stderr
    first_page = subprocess.run(["pdftotext", "-l", "1", str(out), "-"], capture_output=True,
                                text=True, timeout=60).stdout  # fmt: skip
    assert "The window holds no data" in first_page
    folder = tmp_path / "tables"
    done = run(config, "--profile", "test", *window, "--format", "csv", "--out", str(folder))
    assert done.returncode == 0 and "the window holds no data" in done.stderr, done.stderr
    with open(folder / "failure_groups.csv", encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) == 1  # the header only
    # A window that holds an audit entry says nothing of the kind.
    with api(backend_server.url) as admin:
        reply = admin.put(f"/api/v1/quotas/{uuid.uuid4().hex[:8]}",
                          json={"limit": 3, "reason": "a window with data"})  # fmt: skip
        assert reply.status_code == 200
    done = run(config, "--profile", "test", "--window", "1h", "--format", "csv",
               "--sections", "audit", "--out", str(tmp_path / "hour"))  # fmt: skip
    assert done.returncode == 0 and "no data" not in done.stderr, done.stderr


def test_a_snapshot_is_saved_on_a_schedule_and_reported_on_later(
    config: Path, tmp_path: Path, backend_server: Server
) -> None:
    marker = f"快照-{uuid.uuid4().hex[:6]}"
    with api(backend_server.url) as admin:
        reply = admin.put(f"/api/v1/quotas/{uuid.uuid4().hex[:8]}",
                          json={"limit": 4, "reason": marker})  # fmt: skip
        assert reply.status_code == 200
    snap = tmp_path / "nightly.tdsnap"
    done = run(config, "--profile", "test", "--window", "1h", "--format", "snapshot",
               "--out", str(snap))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(snap) and snap.stat().st_size > 0
    # Later, with no server asked: the report of the snapshot's hour, the audit entry in it.
    out = tmp_path / "from-snapshot.pdf"
    env_less = run(config, "--snapshot", str(snap), "--window", "1h", "--out", str(out))
    assert env_less.returncode == 0, env_less.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          timeout=60).stdout  # fmt: skip
    assert marker in text and "test" in text
    # A file that is not a snapshot: one line saying so, nothing written.
    bogus = tmp_path / "notes.tdsnap"
    bogus.write_text("just notes", encoding="utf-8")
    refused = run(config, "--snapshot", str(bogus), "--out", str(tmp_path / "x.pdf"))
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and "not a TaskDeck snapshot" in lines[0]
    assert not (tmp_path / "x.pdf").exists()
