"""What of the Windows installer can be proven on Linux (installer/README.md):

- the NSIS script compiles with makensis (Debian's ``nsis``) against a stand-in payload laid
  out like the Windows bundle, warnings as errors, and the installer carries the version
  and publisher of pyproject.toml;
- the Windows wheels of every console dependency exist for Python 3.11 (``pip download
  --only-binary=:all: --platform win_amd64``), so build.ps1 can install them there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
WINDOWS = REPO / "installer" / "windows"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def nsis_defines() -> list[str]:
    out = subprocess.run([sys.executable, str(REPO / "installer" / "metadata.py"), "nsis"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.split()


def stand_in_payload(root: Path) -> Path:
    """dist\\taskdeck as PyInstaller lays it out on Windows, with stand-in files."""
    payload = root / "taskdeck"
    for name in ("taskdeck.exe", "_internal/python311.dll", "_internal/base_library.zip",
                 "_internal/PySide6/Qt6Core.dll", "_internal/PySide6/plugins/platforms/qwindows.dll",
                 "_internal/console/assets/icons/taskdeck.png",
                 "_internal/console/assets/translations/taskdeck_zh_CN.qm"):  # fmt: skip
        path = payload / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"MZ stand-in for " + name.encode())
    return payload


def test_the_nsis_script_compiles_against_a_bundle_like_payload(tmp_path: Path) -> None:
    assert shutil.which("makensis"), "makensis is missing: make system-deps installs nsis"
    defines = nsis_defines()
    assert f"-DVERSION={PROJECT['version']}" in defines
    assert f"-DPUBLISHER={PROJECT['authors'][0]['name']}" in defines
    out_file = tmp_path / "安装 out" / f"TaskDeck-{PROJECT['version']}-setup.exe"
    out_file.parent.mkdir()
    payload = stand_in_payload(tmp_path / "dist")
    out = subprocess.run(["makensis", "-V2", "-WX", "-INPUTCHARSET", "UTF8", *defines,
                          f"-DPAYLOAD={payload}", f"-DOUTFILE={out_file}", "taskdeck.nsi"],
                         cwd=WINDOWS, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    data = out_file.read_bytes()
    assert data[:2] == b"MZ"
    # The version resource Windows shows in the file's properties (UTF-16).
    for text in (PROJECT["version"], PROJECT["authors"][0]["name"], "TaskDeck"):
        assert text.encode("utf-16-le") in data, text
    # Without the version (not from pyproject.toml) the script refuses to compile.
    bad = subprocess.run(["makensis", "-V1", f"-DPAYLOAD={payload}", "taskdeck.nsi"],
                         cwd=WINDOWS, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode != 0


def console_requirements() -> list[str]:
    """The console's own requirements and the core's, as pip resolves them for Windows.
    pip evaluates environment markers for this machine, not the target, so keyring's
    Windows-only dependency is named too (keyring requires it on win32)."""
    return [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["console"],
            "pywin32-ctypes>=0.2.0", "pyinstaller>=6.10,<7"]  # fmt: skip


@pytest.mark.timeout(600)  # the first run downloads ~150 MB; pip's cache serves later ones
def test_the_console_dependencies_have_windows_wheels_for_python_3_11(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
         "--platform", "win_amd64", "--python-version", "3.11", "--implementation", "cp",
         "-c", str(REPO / "constraints.txt"), "-d", str(tmp_path), *console_requirements()],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    wheels = [p.name for p in tmp_path.glob("*.whl")]
    assert any(w.startswith("pyside6_essentials-") and w.endswith("win_amd64.whl")
               for w in map(str.lower, wheels)), wheels  # fmt: skip
    assert any(w.lower().startswith("pywin32_ctypes-") for w in wheels), wheels
    assert any(w.startswith("numpy-") and "win_amd64" in w for w in wheels), wheels
