"""A hand-built report for the renderers' tests: sections of every kind, a plot of
two series over an hour with a gap, a 300-row table, Chinese text, a long traceback."""

from __future__ import annotations

from console.reports.model import Column, Plot, Report, Section, Series, Table

START = 1_794_999_600.0  # 2026-11-18 11:00 UTC, 19:00 in Shanghai
END = START + 3600.0
CHINESE = "张伟的同步任务失败"
LONG_LINE = (
    'File "/srv/app/tasks/sync.py", line 88, in run: '
    + "x" * 40
    + "/".join(f"segment{i}" for i in range(40))
)


def _series() -> tuple[Series, Series]:
    rate = tuple((START + i * 60.0, 10.0 + (i % 7) * 2.5) for i in range(61) if not 20 <= i < 35)
    failures = tuple((START + i * 60.0, float(i % 5)) for i in range(61))
    return Series("succeeded /s", rate), Series(f"failed ({CHINESE})", failures)


def build_report(*, missing: tuple[str, ...] = ("Prometheus: no answer within 5 s",)) -> Report:
    rows = tuple(
        (
            f"task.sync_{i:03d}" if i != 7 else CHINESE,
            1000 * i + 7,
            i * 0.5,
            (i % 100) + 0.25,
            START + i * 11.0,
            3725.0 + i,
        )
        for i in range(300)
    )
    table = Table(
        key="task_types",
        title="Task types",
        columns=(
            Column("Task type", "text", "task"),
            Column("Succeeded", "int", "succeeded"),
            Column("Rate", "float", "rate"),
            Column("Failure share", "percent", "failure_share"),
            Column("Last seen", "time", "last_seen"),
            Column("Mean runtime", "duration", "runtime"),
        ),
        rows=rows,
        note="the 300 busiest of 312",
    )
    small = Table(
        key="queues",
        title="Queues",
        columns=(Column("Queue", key="queue"), Column("Depth", "int", "depth")),
        rows=(("default", 12), ("priority", 0), ("张伟", None)),
    )
    plot = Plot(
        key="throughput",
        title="Throughput",
        unit="/s",
        series=_series(),
        start=START,
        end=END,
    )
    empty = Plot(
        key="retries",
        title="Retries",
        unit="",
        series=(Series("retries", ()),),
        start=START,
        end=END,
    )
    return Report(
        environment="production-eu",
        window_start=START,
        window_end=END,
        time_zone="Asia/Shanghai (UTC+08:00)",
        generated_at=END + 125.0,
        title="TaskDeck report",
        source="https://taskdeck.example.internal/api",
        missing=missing,
        sections=(
            Section(
                key="summary",
                title="Summary",
                paragraphs=(f"Most failures came from one workflow: {CHINESE}.",),
                figures=(
                    ("Tasks succeeded", "1,234,567"),
                    ("Failure rate", "2.5 %"),
                    ("Mean runtime", "1 h 02 min"),
                    ("Workers", "12"),
                ),
            ),
            Section(key="trends", title="Trends", plots=(plot, empty)),
            Section(key="workers", title="Workers", tables=(table, small)),
            Section(
                key="failures",
                title="Failures",
                preformatted=(
                    (
                        "A sample traceback",
                        "Traceback (most recent call last):\n  "
                        + LONG_LINE
                        + "\nValueError: "
                        + CHINESE,
                    ),
                ),
                missing=missing,
            ),
        ),
    )
