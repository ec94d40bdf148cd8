"""Fail when the frozen bundle grows past its budget: ``python installer/bundle_size.py DIR``.

The budget (installer/README.md says why this figure) is the size on disk of the
one-folder bundle, uncompressed; the installer compresses it to about a third.
"""

from __future__ import annotations

import sys
from pathlib import Path

BUDGET_MB = 230


def size_mb(folder: Path) -> float:
    return (
        sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


def main(folder: Path) -> int:
    if not folder.is_dir():
        print(f"bundle size: {folder} is not a folder; build it first (make bundle)")
        return 2
    size = size_mb(folder)
    verdict = "within" if size <= BUDGET_MB else "OVER"
    print(f"bundle size: {size:.1f} MB, {verdict} the budget of {BUDGET_MB} MB ({folder})")
    return 0 if size <= BUDGET_MB else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/taskdeck")))
