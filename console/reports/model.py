"""What an offline report holds, whatever it is written as (PDF, HTML, CSV). No Qt here.

A report is made for one environment and one time window from the same services the
pages read (the collector), then written by a renderer. Tables hold values, not display
strings: each column says what kind of value it holds, and each renderer shows it its
own way (CSV keeps the value; PDF and HTML format it). What could not be fetched is
listed in ``missing``, in words, and said on the report's first page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# A column's values: text; whole or decimal numbers; a percentage (50.0 means 50 %);
# a moment (epoch seconds); a duration (seconds).
ColumnKind = Literal["text", "int", "float", "percent", "time", "duration"]
Value = str | int | float | None


@dataclass(frozen=True)
class Column:
    name: str  # the header, translated
    kind: ColumnKind = "text"
    key: str = ""  # a stable name for CSV headers and tests (the name when empty)

    @property
    def id(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class Table:
    key: str  # stable: the CSV file's name (``<key>.csv``)
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    note: str = ""  # e.g. "the 50 largest of 312"
    empty: str = ""  # said in place of the rows when there are none, e.g. "No task failed"


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float], ...]  # (epoch seconds, value), in time order


@dataclass(frozen=True)
class Plot:
    key: str
    title: str
    unit: str  # "", "%", "s", "/s", …
    series: tuple[Series, ...]
    start: float  # the window drawn (epoch seconds), whether data covers it or not
    end: float


@dataclass(frozen=True)
class Section:
    key: str  # summary, trends, failures, anomalies, alerts, quotas, workers, audit
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()  # (label, value as shown): the key numbers
    plots: tuple[Plot, ...] = ()
    tables: tuple[Table, ...] = ()
    preformatted: tuple[tuple[str, str], ...] = ()  # (caption, text): sample tracebacks
    missing: tuple[str, ...] = ()  # what this section could not fetch, in words


@dataclass(frozen=True)
class Report:
    environment: str  # the profile's name
    window_start: float  # epoch seconds
    window_end: float
    time_zone: str  # the zone times are shown in, e.g. "Asia/Shanghai (UTC+08:00)"
    generated_at: float
    title: str
    sections: tuple[Section, ...]
    source: str = ""  # where the data came from: the environment's URLs, or a snapshot
    missing: tuple[str, ...] = field(default=())  # every section's, for the first page
    # Set when the window holds no data (no task, sample, failure, alert or audit entry in
    # it): the sentence that says so on the first page.
    empty: str = ""

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def plots(self) -> list[Plot]:
        return [p for s in self.sections for p in s.plots]


def has_samples(plot: Plot) -> bool:
    """Whether any series of ``plot`` holds a value (not NaN, not infinite)."""
    return any(v == v and abs(v) != float("inf") for s in plot.series for _t, v in s.points)
