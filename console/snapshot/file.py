"""The snapshot file: one environment's state at one moment, readable with no connection.

A snapshot holds what the pages read (the backend's answers, Prometheus' series, the
alerts and silences, the broker's depths), recorded through the console's own clients
(:mod:`console.snapshot.record`) and answered again by stand-ins for them
(:mod:`console.snapshot.replay`). The file is gzip-compressed UTF-8 JSON whose top level
names its format and version; a file of another format, a damaged one and one written
by a newer console are refused with a message that says which and what to do. No Qt here.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from console.reports.atomic import stage_file

FORMAT = "taskdeck-snapshot"
VERSION = 1  # raised when a reader of an older version could not read the file right
SUFFIX = ".tdsnap"
MAX_BYTES = 2 * 1024**3  # the most a snapshot may hold uncompressed (memory bound on open)
_GZIP_MAGIC = b"\x1f\x8b"


class SnapshotError(Exception):
    """A snapshot could not be read or written; the message says why and what to do."""


@dataclass
class Snapshot:
    environment: str  # the profile's name
    taken_at: float  # epoch seconds: the moment the pages show
    window_s: float  # the trends and the report's content reach this far back
    sources: dict[str, str] = field(default_factory=dict)  # service -> URL (no secrets)
    written_by: str = ""
    # The backend's answers to GET requests, by request (path?sorted query); the tasks and
    # audit entries seen in any answer, by id, so that lists can be filtered again.
    backend: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    # Prometheus: instant answers by query; range answers by "legend\nquery", each a list
    # of {"window_s", "end", "series": [{"key", "labels", "x", "y"}]} (None for NaN).
    instant: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, list[Any]] = field(default_factory=dict)
    alertmanager: dict[str, Any] = field(default_factory=dict)  # by request, like backend
    broker: dict[str, Any] = field(default_factory=dict)  # "info", "depths"
    missing: list[str] = field(default_factory=list)  # what could not be saved, in words

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": VERSION, "written_by": self.written_by,
            "environment": self.environment, "taken_at": self.taken_at,
            "window_s": self.window_s, "sources": self.sources, "backend": self.backend,
            "tasks": self.tasks, "audit": self.audit, "instant": self.instant,
            "ranges": self.ranges, "alertmanager": self.alertmanager, "broker": self.broker,
            "missing": self.missing,
        }  # fmt: skip


def request_key(path: str, params: Mapping[str, Any] | None = None) -> str:
    """How a GET request is filed: its path and its query, sorted (None values left out,
    as the clients leave them out)."""
    items = sorted((str(k), _param(v)) for k, v in (params or {}).items() if v is not None)
    return f"{path}?{urlencode(items)}" if items else path


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def range_key(query: str, legend: str | None) -> str:
    """How a range query's answers are filed: its legend label and its text."""
    return f"{legend or ''}\n{query}"


def to_bytes(snapshot: Snapshot) -> bytes:
    text = json.dumps(snapshot.to_json(), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)  # fmt: skip
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def write_snapshot(snapshot: Snapshot, path: Path | str) -> Path:
    """Write ``snapshot`` to ``path`` whole or not at all (blocking: off the GUI thread).
    Raises ReportWriteError saying what went wrong (no space, no permission …)."""
    staged = stage_file(Path(path), to_bytes(snapshot))
    staged.commit()
    return Path(path)


def _damaged(path: Path, why: str) -> SnapshotError:
    return SnapshotError(
        f"{path.name} is a damaged TaskDeck snapshot ({why}); it cannot be opened. "
        "Take the snapshot again, or copy the file again if it was copied."
    )


def _foreign(path: Path, what: str) -> SnapshotError:
    return SnapshotError(
        f"{path.name} is not a TaskDeck snapshot ({what}). Choose a file saved with "
        f'"Save snapshot…" (its name ends in {SUFFIX}).'
    )


_SHAPES: dict[str, type | tuple[type, ...]] = {
    "environment": str, "taken_at": (int, float), "window_s": (int, float), "sources": dict,
    "backend": dict, "tasks": dict, "audit": dict, "instant": dict, "ranges": dict,
    "alertmanager": dict, "broker": dict, "missing": list,
}  # fmt: skip


def from_bytes(data: bytes, path: Path) -> Snapshot:
    """The snapshot in ``data`` (the contents of ``path``), or SnapshotError."""
    if data[:2] != _GZIP_MAGIC:
        kind = "it is empty" if not data else "it is not a compressed snapshot file"
        if data.lstrip()[:1] in (b"{", b"["):
            kind = "it is plain JSON, not a compressed snapshot file"
        elif data[:5] == b"%PDF-":
            kind = "it is a PDF file; reports cannot be opened as snapshots"
        elif data.lstrip()[:1] == b"<":
            kind = "it is an HTML or XML file; reports cannot be opened as snapshots"
        raise _foreign(path, kind)
    try:
        decompressor = zlib.decompressobj(wbits=31)
        raw = decompressor.decompress(data, MAX_BYTES)
        if decompressor.unconsumed_tail:
            raise SnapshotError(
                f"{path.name} holds more than {MAX_BYTES // 1024**3} GiB of data once "
                "unpacked, more than a snapshot may; it was not opened."
            )
        if not decompressor.eof:
            raise _damaged(path, "the file ends too early")
    except zlib.error as exc:
        raise _damaged(path, f"its compressed data is broken: {exc}") from None
    try:
        top = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _damaged(path, f"its contents are not readable JSON: {exc}") from None
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        named = top.get("format") if isinstance(top, dict) else None
        raise _foreign(path, f"it says its format is {named!r}" if isinstance(named, str)
                       else "it has no snapshot format mark")  # fmt: skip
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _damaged(path, f"its format version {version!r} is not a version")
    if version > VERSION:
        raise SnapshotError(
            f"{path.name} was written by a newer TaskDeck (snapshot format {version}; this "
            f"console reads format {VERSION} and older). Update the console to open it."
        )
    for key, shape in _SHAPES.items():
        if not isinstance(top.get(key), shape) or isinstance(top.get(key), bool):
            raise _damaged(path, f"its {key!r} is missing or of the wrong kind")
    if not (math.isfinite(top["taken_at"]) and top["window_s"] > 0):
        raise _damaged(path, "its moment or its window is not a time")
    return Snapshot(
        environment=top["environment"], taken_at=float(top["taken_at"]),
        window_s=float(top["window_s"]), sources=top["sources"],
        written_by=str(top.get("written_by", "")), backend=top["backend"], tasks=top["tasks"],
        audit=top["audit"], instant=top["instant"], ranges=top["ranges"],
        alertmanager=top["alertmanager"], broker=top["broker"],
        missing=[str(m) for m in top["missing"]],
    )  # fmt: skip


def read_snapshot(path: Path | str) -> Snapshot:
    """The snapshot saved at ``path`` (blocking: off the GUI thread), or SnapshotError."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SnapshotError(f"{path} does not exist; choose another file.") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path} is a folder, not a snapshot file.") from None
    except OSError as exc:
        raise SnapshotError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_BYTES:
        raise SnapshotError(f"{path.name} is larger than any snapshot may be; not opened.")
    return from_bytes(data, path)
