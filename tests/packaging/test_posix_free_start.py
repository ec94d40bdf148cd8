"""The console's start path imports no POSIX-only module, so it starts on Windows.

A fresh interpreter blocks ``fcntl``, ``resource``, ``pwd``, ``grp`` and ``termios`` before
anything else is imported, then runs ``console.__main__.main`` offscreen with no profile and
no URLs (the path a new Windows user takes) far enough to build the window and save its pages.

Two hooks are needed: a ``sys.meta_path`` finder refuses the first load, and a wrapped
``__import__`` refuses every later ``import`` statement too (once a module sits in
``sys.modules`` a finder is never asked again). Code that tries such an import and carries on
without it behaves as on Windows; third-party code that imports one of them only
off Windows is let through by name in ``ALLOWED``: add a pair there only after reading that
the import sits behind a ``sys.platform != "win32"`` branch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import clean_console_env

pytestmark = pytest.mark.packaging

POSIX_ONLY = ("fcntl", "resource", "pwd", "grp", "termios")
# billiard/compat.py: `if sys.platform == 'win32': ... else: from fcntl import fcntl, ...`
ALLOWED = (("billiard.compat", "fcntl"),)

PROBE = """
import builtins, importlib.abc, sys, threading

BLOCKED = set(sys.argv[1].split(","))
ALLOWED = {tuple(pair.split(":")) for pair in sys.argv[2].split(",")}
refused = []
allowing = threading.local()


def caller():
    frame = sys._getframe(2)
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen importlib")
        or frame.f_globals.get("__name__") == "importlib"
    ):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?") if frame is not None else "?"


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED and not getattr(allowing, "on", False):
            refused.append((caller(), name))
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None


real_import = builtins.__import__


def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    top = name.partition(".")[0]
    if level == 0 and top in BLOCKED:
        importer = (globals or {}).get("__name__", "?")
        if (importer, top) not in ALLOWED:
            refused.append((importer, top))
            raise ModuleNotFoundError(
                f"No module named {name!r} (blocked, imported by {importer})", name=name
            )
        allowing.on = True
        try:
            return real_import(name, globals, locals, fromlist, level)
        finally:
            allowing.on = False
    return real_import(name, globals, locals, fromlist, level)


preloaded = BLOCKED & set(sys.modules)
assert not preloaded, f"already imported before the probe: {preloaded}"
sys.meta_path.insert(0, Block())
builtins.__import__ = guarded_import

from console.__main__ import main

code = main(sys.argv[3:])
print("start path:", "console.app" in sys.modules and "console.views.main_window" in sys.modules)
print("refused:", sorted(set(refused)))
ours = ("console", "taskdeck_core", "taskdeck_worker", "taskdeck_dev", "backend")
print("refused to TaskDeck:", sorted({r for r in refused if r[0].partition(".")[0] in ours}))
sys.exit(code)
"""


def test_the_console_starts_with_posix_only_modules_blocked(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(POSIX_ONLY),
         ",".join(f"{importer}:{name}" for importer, name in ALLOWED),
         "--screenshots", str(shots), "--run-for", "3"],
        env=clean_console_env(dict(os.environ), tmp_path), cwd=Path(__file__).parents[2],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "start path: True" in out.stdout  # the window was built, not an early exit
    # Libraries that try such an import and carry on without it are what Windows sees too.
    assert "refused to TaskDeck: []" in out.stdout, out.stdout
    assert len(list(shots.glob("*.png"))) >= 8  # four pages at two sizes
    assert "no sandbox is running" in out.stderr  # it took the no-profile, no-URL path
