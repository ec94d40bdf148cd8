"""The frozen console (installer/README.md): ``make bundle`` builds it from the console's
extra only, within its size budget, and the frozen program's ``--smoke`` passes with every
folder it reads or writes under a user folder named like ``C:\\Users\\张伟`` (a space and
Chinese characters), in Chinese, and at 125 % and 150 % scaling.

The first ``make bundle`` of a clone makes the bundle's virtual environment (about 20 s with
pip's cache) and freezes (about 30 s); later ones freeze again only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage

from tests.packaging.conftest import clean_console_env

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dist" / "taskdeck"
PROGRAM = BUNDLE / ("taskdeck.exe" if sys.platform == "win32" else "taskdeck")
INTERNAL = BUNDLE / "_internal"
QT_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets"}
NOT_IN_THE_BUNDLE = ("fastapi", "uvicorn", "starlette", "sqlalchemy", "pydantic_settings",
                     "backend", "taskdeck_dev", "taskdeck_worker", "pytest")  # fmt: skip


def installer_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "installer" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle() -> Path:
    started = time.monotonic()
    out = subprocess.run(["make", "--no-print-directory", "bundle"], cwd=REPO,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    print(f"make bundle: {time.monotonic() - started:.0f} s; {out.stdout.splitlines()[-1]}")
    return BUNDLE


def user_folders(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A user's folder with a space and Chinese characters, holding home, config, data,
    state and cache (what %USERPROFILE% and %APPDATA% are on Windows)."""
    user = tmp_path / "张 伟"
    env = clean_console_env(dict(os.environ), user)
    appdata = user / "AppData"
    for var, name in (("XDG_CONFIG_HOME", "Roaming"), ("XDG_DATA_HOME", "Local"),
                      ("XDG_STATE_HOME", "Local State"), ("XDG_CACHE_HOME", "Local Cache")):  # fmt: skip
        (appdata / name).mkdir(parents=True)
        env[var] = str(appdata / name)
    env.pop("QT_SCALE_FACTOR", None)
    env["LANG"] = "C.UTF-8"
    return user, env


def smoke(
    tmp_path: Path, *extra: str, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], Path, Path, dict[str, str]]:
    user, env = user_folders(tmp_path)
    env.update(env_extra or {})
    (user / "快照 snapshots").mkdir()
    snapshot = installer_module("smoke_snapshot").smoke_snapshot(
        user / "快照 snapshots" / "s.tdsnap"
    )
    shots = user / "截图 shots"
    out = subprocess.run([str(PROGRAM), "--smoke", "--snapshot", str(snapshot),
                          "--screenshots", str(shots), *extra],
                         env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    return out, shots, user, env


def test_the_bundle_holds_the_console_and_its_data_and_nothing_else(bundle: Path) -> None:
    size = installer_module("bundle_size")
    assert size.size_mb(bundle) <= size.BUDGET_MB
    names = {p.name for p in INTERNAL.iterdir()}
    assert not names & set(NOT_IN_THE_BUNDLE), names & set(NOT_IN_THE_BUNDLE)
    # The pure-Python modules are in the archive PyInstaller lists in its work folder.
    toc = (REPO / "build" / "pyinstaller" / "taskdeck" / "PYZ-00.toc").read_text()
    frozen = set(re.findall(r"\('([\w.]+)',", toc))
    assert "console.app" in frozen and "keyring.backends.Windows" in frozen
    leaked = sorted(m for m in frozen if m.partition(".")[0] in NOT_IN_THE_BUNDLE)
    assert not leaked, leaked
    qt = {p.name.split(".")[0] for p in (INTERNAL / "PySide6").iterdir()
          if p.name.startswith("Qt") and p.suffix in {".so", ".pyd"}}  # fmt: skip
    assert qt == QT_MODULES
    assert (INTERNAL / "console" / "assets" / "icons" / "taskdeck.png").is_file()
    for ts in (REPO / "console" / "assets" / "translations").glob("*.ts"):
        qm = INTERNAL / "console" / "assets" / "translations" / ts.with_suffix(".qm").name
        assert qm.is_file(), qm
    zh_cn = INTERNAL / "console" / "assets" / "translations" / "taskdeck_zh_CN.qm"
    assert zh_cn.stat().st_size > 10_000  # thousands of strings, not an empty catalogue


def test_the_frozen_console_passes_its_smoke_in_chinese_under_a_chinese_user_folder(
    bundle: Path, tmp_path: Path
) -> None:
    out, shots, user, _env = smoke(tmp_path, "--language", "zh_CN")
    assert out.returncode == 0, out.stdout + out.stderr
    line = [s for s in out.stdout.splitlines() if s.startswith("smoke:")]
    assert len(line) == 1 and line[0].startswith("smoke: ok: "), out.stdout
    assert "冒烟测试 smoke" in line[0]  # the snapshot's environment, in the window's title
    assert "SNAPSHOT" not in line[0] and "read-only" not in line[0]  # which is in Chinese
    pages = re.search(r"\((.*?)\)", line[0])
    assert pages is not None
    keys = pages.group(1).split(", ")
    assert len(keys) >= 10, keys
    for key in keys:
        image = QImage(str(shots / f"{key}.png"))
        assert (image.width(), image.height()) == (1366, 768), key
    assert (shots / "smoke.txt").read_text(encoding="utf-8").strip() == line[0]
    log = user / "AppData" / "Local State" / "taskdeck" / "logs" / "console.log"
    assert "console language zh_CN" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("scale", ["1.25", "1.5"])
def test_the_frozen_console_draws_every_page_at_high_dpi(
    bundle: Path, tmp_path: Path, scale: str
) -> None:
    out, shots, _user, _env = smoke(tmp_path, env_extra={"QT_SCALE_FACTOR": scale})
    assert out.returncode == 0, out.stdout + out.stderr
    pictures = sorted(shots.glob("*.png"))
    assert len(pictures) >= 10
    for picture in pictures:  # the window is 1366x768 logical pixels, drawn at the scale
        image = QImage(str(picture))
        assert abs(image.width() - 1366 * float(scale)) <= 1, (picture.name, image.width())


def test_a_smoke_that_fails_says_why_in_one_line_and_exits_1(bundle: Path, tmp_path: Path) -> None:
    user, env = user_folders(tmp_path)
    damaged = user / "damaged.tdsnap"
    damaged.write_bytes(b"\x1f\x8b not really gzip")
    out = subprocess.run([str(PROGRAM), "--smoke", "--snapshot", str(damaged),
                          "--screenshots", str(user / "shots"), "--run-for", "10"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    lines = [s for s in out.stdout.splitlines() if s.startswith("smoke:")]
    assert len(lines) == 1 and lines[0].startswith("smoke: FAILED: the snapshot was refused"), (
        out.stdout
    )
