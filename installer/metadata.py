"""The installer's and the bundle's metadata, read from pyproject.toml (their one source).

    python installer/metadata.py version      # 0.1.0
    python installer/metadata.py nsis         # -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DPUBLISHER=…

The backend reads the same version from the installed package's metadata, and the spec
(``installer/taskdeck.spec``) imports this file, so a release changes one line.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
APP_NAME = "TaskDeck"


def _project() -> dict[str, object]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert isinstance(project, dict)
    return project


def version() -> str:
    return str(_project()["version"])


def version4() -> str:
    """The version as Windows' version resources want it: four numbers (``0.1.0.0``)."""
    numbers = [int(n) for n in re.findall(r"\d+", version())[:4]]
    return ".".join(str(n) for n in numbers + [0] * (4 - len(numbers)))


def publisher() -> str:
    authors = _project().get("authors") or [{"name": APP_NAME}]
    assert isinstance(authors, list)
    return str(authors[0]["name"])


def description() -> str:
    return str(_project()["description"])


def nsis_defines() -> list[str]:
    return [f"-DVERSION={version()}", f"-DVERSION4={version4()}", f"-DPUBLISHER={publisher()}"]


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "version"
    print("\n".join(nsis_defines()) if what == "nsis" else version())
