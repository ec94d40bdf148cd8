"""``python -m bench`` (``make bench``): run the benchmarks and rewrite bench/RESULTS.md.

``python -m bench stack`` or ``python -m bench backend`` runs one section and
keeps the other sections of RESULTS.md as they were.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench import (
    backend_bench,
    console_bench,
    consoles_bench,
    flower_bench,
    limits_bench,
    list10m_bench,
    load_bench,
    plots_bench,
    postgres_bench,
    report_bench,
    sentinel_bench,
    stack,
    tasks_page_bench,
    transport_bench,
)

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTIONS: dict[str, tuple[str, ModuleType, Callable[[], list[str]]]] = {
    "stack": ("Foundation: sandbox and task round trip", stack, stack.run),
    "backend": ("Backend: ledger, task list, actions", backend_bench, backend_bench.run),
    "postgres": (
        "Backend: task list at 1,000,000 tasks, PostgreSQL next to SQLite",
        postgres_bench,
        postgres_bench.run,
    ),
    "list10m": (
        "Backend: task list at 10,000,000 tasks on SQLite",
        list10m_bench,
        list10m_bench.run,
    ),
    "limits": ("Backend: quotas, rate limits, /metrics", limits_bench, limits_bench.run),
    "console": ("Console: live events, memory, start", console_bench, console_bench.run),
    "plots": ("Console: Overview plots", plots_bench, plots_bench.run),
    "tasks_page": (
        "Console: Tasks page over 1,000,000 tasks",
        tasks_page_bench,
        tasks_page_bench.run,
    ),
    "transport": ("Learning a watched system's transport", transport_bench, transport_bench.run),
    "report": ("Console: a 7-day report over 1,000,000 tasks", report_bench, report_bench.run),
    "load": ("Backend: many clients at once", load_bench, load_bench.run),
    "sentinel": ("Broker failover under Redis Sentinel", sentinel_bench, sentinel_bench.run),
    "consoles": (
        "Many consoles on one broker and one backend",
        consoles_bench,
        consoles_bench.run,
    ),
    "flower": (
        "Side by side with Flower: drain, task list, memory",
        flower_bench,
        flower_bench.run,
    ),
}


def _previous() -> dict[str, str]:
    """The sections of the current RESULTS.md by title."""
    if not RESULTS.exists():
        return {}
    parts = re.split(r"^## ", RESULTS.read_text(), flags=re.M)[1:]
    return {p.splitlines()[0].strip(): "## " + p.rstrip() for p in parts}


def main(argv: list[str]) -> None:
    wanted = argv or list(SECTIONS)
    unknown = [w for w in wanted if w not in SECTIONS]
    if unknown:
        raise SystemExit(f"bench: unknown section {unknown}; choose from {', '.join(SECTIONS)}")
    previous = _previous()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    blocks = []
    for key, (title, module, run) in SECTIONS.items():
        if key in wanted:
            print(f"bench: running {key} ...", flush=True)
            rows = run()
            doc = (module.__doc__ or "").strip()
            blocks.append(
                f"## {title}\n\nRun {stamp}: `make bench` or `.venv/bin/python -m bench {key}`.\n\n{doc}\n\n"
                + "\n".join(rows)
            )
        elif title in previous:
            blocks.append(previous[title])
    header = (
        "# Benchmark results\n\n"
        f"Machine: {platform.node() or 'this machine'}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Shared and noisy: medians and ratios, not exact times.\n"
    )
    RESULTS.write_text(header + "\n" + "\n\n".join(blocks) + "\n")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
