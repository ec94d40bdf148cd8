"""The one version of every part: pyproject.toml's, read from the package's metadata
(the frozen console carries that metadata too). Read when asked, not when
``taskdeck_core`` is imported: the worker plug-in imports the core on every worker."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version as distribution_version


@cache
def version() -> str:
    return distribution_version("taskdeck")
