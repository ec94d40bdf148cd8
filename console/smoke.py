"""``taskdeck --smoke``: does this installation work? Offscreen, with no one at the screen.

The window opens on what the command line names (``--snapshot FILE``, or a stack's URLs or
sandbox), waits until it shows it, then shows every page and saves a picture of each in
the screenshots folder (``--screenshots DIR``, else a new temporary one). It ends with one
line, on stdout and in ``smoke.txt`` beside the pictures (a windowed Windows program has no
stdout): ``smoke: ok ...`` and exit 0, or ``smoke: FAILED: <what>`` and exit 1. An error the
console logs meanwhile (an exception in a page, in the loop) is a failure too.

The frozen program has it, so the installer's build and CI run the very program users get.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from console.app import Console

RESULT_FILE = "smoke.txt"
SIZE = (1366, 768)


def prepare(args: argparse.Namespace) -> None:
    """Before the application exists: no display needed, and a folder for the pictures
    (which also keeps the window's settings out of the user's)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if args.screenshots is None:
        args.screenshots = Path(tempfile.mkdtemp(prefix="taskdeck-smoke-"))


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        lines = record.getMessage().strip().splitlines() or [record.levelname]
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
        self.seen.append(lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1]}")


def _blank(image: QImage) -> bool:
    """One colour all over: nothing was painted."""
    small = image.scaled(32, 32)
    first = small.pixel(0, 0)
    return all(small.pixel(x, y) == first for x in range(32) for y in range(32))


async def _shown(console: Console, from_snapshot: bool, deadline: float) -> str | None:
    """None once the window shows its source, else what it shows instead."""
    from console.demo_scenes import showing_live_data

    while time.monotonic() < deadline:
        if from_snapshot:
            if console.snapshot_problem is not None:
                return "the snapshot was refused: " + console.snapshot_problem.text()
            if console.snapshot is not None:
                return None
        elif showing_live_data(console):
            return None
        await asyncio.sleep(0.1)
    return "the snapshot was not open" if from_snapshot else "not every service was connected"


async def _check(console: Console, out_dir: Path, from_snapshot: bool, wait_s: float) -> str:
    window = console.window
    problem = await _shown(console, from_snapshot, time.monotonic() + wait_s)
    if problem:
        raise RuntimeError(f"{problem} within {wait_s:.0f} s")
    window.resize(*SIZE)
    keys = window.page_keys()
    if not keys:
        raise RuntimeError("the window has no pages")
    for key in keys:
        window.show_page(key)
        await asyncio.sleep(0.3)  # the loop lays out and paints the page meanwhile
        if window.current_page() != key:
            raise RuntimeError(f"the {key} page could not be shown")
        image = window.grab().toImage()
        if image.isNull() or _blank(image):
            raise RuntimeError(f"the {key} page painted nothing")
        path = out_dir / f"{key}.png"
        if not image.save(str(path)) or path.stat().st_size == 0:
            raise RuntimeError(f"the picture of the {key} page could not be written to {path}")
    return f"{len(keys)} pages shown ({', '.join(keys)}); window “{window.windowTitle()}”"


async def run(console: Console, out_dir: Path, from_snapshot: bool, wait_s: float) -> bool:
    """Check the window, write the one line and say whether all went well."""
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = await _check(console, out_dir, from_snapshot, wait_s)
        if errors.seen:
            raise RuntimeError(f"the console logged an error: {errors.seen[0]}")
        line, ok = f"smoke: ok: {summary}; pictures in {out_dir}", True
    except Exception as exc:  # noqa: BLE001 - any failure is the one line the check prints
        line, ok = f"smoke: FAILED: {exc}", False
    finally:
        logging.getLogger().removeHandler(errors)
    print(line, flush=True)
    try:
        (out_dir / RESULT_FILE).write_text(line + "\n", encoding="utf-8")
    except OSError:
        pass  # the line was printed; the folder itself is what failed
    return ok
