"""``python -m bench`` (``make bench``): run every benchmark and rewrite bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from bench import stack

RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> None:
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sections = [("Foundation: sandbox and task round trip", stack.__doc__ or "", stack.run())]
    lines = [
        "# Benchmark results",
        "",
        f"Re-run with `make bench` (writes this file). Last run {started} on "
        f"{platform.node() or 'this machine'}: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Shared, noisy machine: medians and ratios, not exact times.",
    ]
    for title, doc, rows in sections:
        lines += ["", f"## {title}", "", doc.strip(), "", *rows]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
