"""Colours that carry meaning, the same on every page and plot.

Green is good (succeeded, online), orange needs a look (stale, retried, a
threshold passed), red is bad (failed, offline, critical), blue is work under
way (started, running) and grey is neither (unknown, waiting). Each is dark
enough for white text and light enough to read on the dark palette.
"""

from __future__ import annotations

OK = "#2e7d32"
WARN = "#ef6c00"
BAD = "#c62828"
INFO = "#1e88e5"
NEUTRAL = "#607d8b"
SNAPSHOT_BANNER = "#fdd835"  # yellow, with black text: a snapshot, not a live environment

LEVEL_COLOURS = {"neutral": NEUTRAL, "ok": OK, "warn": WARN, "bad": BAD, "info": INFO}
# Series named after a task's state (the Overview's task rate) and a worker's status.
STATE_COLOURS = {
    "succeeded": OK,
    "failed": BAD,
    "started": INFO,
    "running": INFO,
    "retried": WARN,
    "received": NEUTRAL,
    "online": OK,
    "stale": WARN,
    "offline": BAD,
}
