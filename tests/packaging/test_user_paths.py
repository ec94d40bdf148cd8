"""Every file the console writes goes where platformdirs and Qt say, and a user folder
with a space and Chinese characters (``C:\\Users\\张伟\\AppData\\…`` on Windows) works for
each: the profiles file, the log, the window's settings, a report and a snapshot saved in
the Documents folder.

A fresh interpreter gets config, data, state and home under ``张 伟/AppData`` (Qt reads
them once per process) and writes each file as the console does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import clean_console_env

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]

WRITER = """
import json, sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from console.__main__ import setup_logging
from console.domain.places import config_dir, log_dir
from console.domain.profiles import Profile, ProfileStore
from console.reports.render import write_csv, write_html
from console.reports.pdf import write_pdf
from console.snapshot.file import Snapshot, read_snapshot, write_snapshot
from console.views.reports_page import documents_folder
from tests.report_fixture import build_report

app = QApplication(sys.argv[:1])
app.setApplicationName("TaskDeck")
app.setOrganizationName("TaskDeck")
written = {}
store = ProfileStore.default()
store.save([Profile("张伟的 staging", "redis://127.0.0.1:6379/0", "http://127.0.0.1:8400",
                    "http://127.0.0.1:9090", "http://127.0.0.1:9093")], "张伟的 staging")
written["profiles"] = str(store.path)
assert ProfileStore.default().load().profiles[0].name == "张伟的 staging"
log = setup_logging()
import logging
logging.getLogger("taskdeck.console").warning("日志 written")
for handler in logging.getLogger().handlers:
    handler.flush()
written["log"] = str(log)
settings = QSettings()
settings.setValue("language", "zh_CN")
settings.sync()
assert settings.status() == QSettings.Status.NoError
written["settings"] = settings.fileName()
docs = documents_folder()
docs.mkdir(parents=True, exist_ok=True)
report = build_report()
written["report_html"] = str(write_html(report, docs / "报告 report.html"))
written["report_pdf"] = str(write_pdf(report, docs / "报告 report.pdf"))
written["report_csv"] = [str(p) for p in write_csv(report, docs / "报告 csv")]
snap = write_snapshot(Snapshot("张伟", 1.0, 60.0), docs / "快照 snapshot.tdsnap")
assert read_snapshot(snap).environment == "张伟"
written["snapshot"] = str(snap)
written["config_dir"], written["log_dir"] = str(config_dir()), str(log_dir())
print(json.dumps(written))
"""


def test_every_file_the_console_writes_takes_a_user_folder_with_a_space_and_chinese(
    tmp_path: Path,
) -> None:
    user = tmp_path / "张 伟"
    env = clean_console_env(dict(os.environ), user)
    appdata = user / "AppData"
    folders = {"XDG_CONFIG_HOME": appdata / "Roaming", "XDG_DATA_HOME": appdata / "Local",
               "XDG_STATE_HOME": appdata / "Local State", "XDG_CACHE_HOME": appdata / "Cache"}  # fmt: skip
    for var, folder in folders.items():
        folder.mkdir(parents=True)
        env[var] = str(folder)
    (user / "home" / "Documents").mkdir(parents=True)  # Qt's Documents folder is ~/Documents
    out = subprocess.run([sys.executable, "-c", WRITER], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=90)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    written = json.loads(out.stdout.splitlines()[-1])
    assert written["profiles"] == str(appdata / "Roaming" / "taskdeck" / "profiles.toml")
    assert written["log"] == str(appdata / "Local State" / "taskdeck" / "logs" / "console.log")
    assert written["settings"] == str(appdata / "Roaming" / "TaskDeck" / "TaskDeck.conf")
    documents = user / "home" / "Documents"
    for key in ("report_html", "report_pdf", "snapshot"):
        assert Path(written[key]).parent == documents, key
    assert written["report_csv"] and all(
        Path(p).parent == documents / "报告 csv" for p in written["report_csv"]
    )
    every = [written[k] for k in ("profiles", "log", "settings", "report_html", "report_pdf",
                                  "snapshot")] + written["report_csv"]  # fmt: skip
    for path in map(Path, every):
        assert path.is_file() and path.stat().st_size > 0, path
        assert str(path).startswith(str(user)), path
    assert "日志 written" in Path(written["log"]).read_text(encoding="utf-8")
    assert "张伟的 staging" in Path(written["profiles"]).read_text(encoding="utf-8")
