"""A report written as PDF reads back with poppler (text, pages, plots drawn where they
belong), as CSV with Python's csv module (values, not display strings), and a write
that fails leaves nothing under the final name and says why."""

from __future__ import annotations

import csv
import html
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from console.reports.atomic import ReportWriteError  # noqa: E402
from console.reports.charts import PALETTE, segments, time_ticks  # noqa: E402
from console.reports.formatting import (  # noqa: E402
    format_duration,
    format_float,
    format_int,
    format_percent,
    format_time,
    zone_of,
)
from console.reports.model import Column, Plot, Report, Section, Series, Table  # noqa: E402
from console.reports.render import write_csv, write_html, write_pdf  # noqa: E402
from tests.report_fixture import CHINESE, END, LONG_LINE, START, build_report  # noqa: E402

ROOT_DIR = Path(__file__).resolve().parents[2]
SHANGHAI = timezone(timedelta(hours=8))
HEADERS = ("Task type", "Succeeded", "Failure share", "Mean runtime")

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed (make system-deps)"
)


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words_by_page(pdf: Path) -> list[list[Word]]:
    """Every page's words with their boxes (points from the top left), from ``pdftotext -bbox``."""
    pages: list[list[Word]] = []
    for block in run("pdftotext", "-bbox", str(pdf), "-").split("<page ")[1:]:
        pages.append(
            [
                Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
                for m in _WORD.findall(block)
            ]
        )
    return pages


@pytest.fixture(scope="module")
def pdf(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    assert write_pdf(build_report(), path) == path
    yield path


@pytest.fixture(scope="module")
def pages_text(pdf: Path) -> list[str]:
    return run("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


# Formatting and the pieces of a plot.


def test_values_read_as_people_write_them() -> None:
    assert format_duration(3725) == "1 h 02 min"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(12.5) == "12.5 s"
    assert format_duration(0.45) == "450 ms"
    assert format_percent(12.5) == "12.5 %"
    assert format_int(1234567) == "1,234,567"
    assert format_float(1234.5) == "1,234.5"
    assert format_time(START, zone_of("Asia/Shanghai (UTC+08:00)")) == "2026-11-18 19:00:00"
    assert format_time(START, zone_of("UTC+02:00")) == "2026-11-18 13:00:00"
    assert format_time(START, zone_of("UTC")) == "2026-11-18 11:00:00"


def test_a_series_is_not_joined_across_a_gap_and_ticks_fall_on_local_minutes() -> None:
    points = tuple((START + i * 60.0, 1.0) for i in range(10)) + ((START + 900.0, 2.0),)
    runs = segments(Series("s", points))
    assert [len(r) for r in runs] == [10, 1]
    assert len(segments(Series("s", points[:5] + points[6:10]))) == 1  # two steps: joined

    ticks = time_ticks(START + 30, END, zone_of("Asia/Shanghai (UTC+08:00)"), 8)
    assert [label for _, label in ticks] == ["19:10", "19:20", "19:30", "19:40", "19:50", "20:00"]
    # India is half an hour off whole hours of UTC: ticks still fall on local whole hours.
    india = time_ticks(START, START + 6 * 3600, zone_of("Asia/Kolkata"), 6)
    assert all(label.endswith(":00") for _, label in india)


# PDF.


@needs_poppler
def test_the_pdf_reads_back_as_text_on_numbered_pages(pdf: Path, pages_text: list[str]) -> None:
    info = run("pdfinfo", str(pdf))
    total = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    assert total == len(pages_text) >= 4
    for number, text in enumerate(pages_text, start=1):
        assert f"Page {number} of {total}" in text
    first = pages_text[0]
    assert "TaskDeck report" in first
    assert "production-eu" in first
    assert "2026-11-18 19:00:00 – 2026-11-18 20:00:00 (Asia/Shanghai (UTC+08:00))" in first
    assert "Not in this report:" in first
    assert "Prometheus: no answer within 5 s" in first
    everything = "\n".join(pages_text)
    assert CHINESE in everything
    assert "one workflow:" in everything, "no ligature glyph in place of f and l"
    for shown in ("1,234,567", "299,007", "149.5", "99.2 %", "1 h 07 min", "2026-11-18 19:54:49"):
        assert shown in everything
    flat = re.sub(r"\s+", "", everything)
    assert re.sub(r"\s+", "", LONG_LINE) in flat, "the long traceback line is wrapped, not cut"


@needs_poppler
def test_a_long_table_repeats_its_header_on_every_page_it_spans(pages_text: list[str]) -> None:
    spanned = [text for text in pages_text if re.search(r"task\.sync_\d{3}", text)]
    assert len(spanned) >= 3
    for text in spanned:
        for header in HEADERS:
            assert header in text
    rows = re.findall(r"task\.sync_(\d{3})", "\n".join(spanned))
    assert sorted(set(rows)) == [f"{i:03d}" for i in range(300) if i != 7]
    assert len(rows) == 299, "no row twice, none lost at a page break"


@needs_poppler
def test_every_page_renders_and_the_plots_are_drawn_where_they_stand(
    pdf: Path, tmp_path: Path
) -> None:
    run("pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    pages = words_by_page(pdf)
    assert len(images) == len(pages)
    for file in images:
        assert not QImage(str(file)).isNull()

    number = next(i for i, words in enumerate(pages) if any(w.text == "Throughput" for w in words))
    words = pages[number]
    image = QImage(str(images[number]))
    scale = 50 / 72
    blue, red = QColor(PALETTE[0]), QColor(PALETTE[1])

    def count(colour: QColor, x0: float, y0: float, x1: float, y1: float) -> int:
        found = 0
        for y in range(int(y0 * scale), int(y1 * scale)):
            for x in range(int(x0 * scale), int(x1 * scale)):
                pixel = image.pixelColor(x, y)
                if (
                    abs(pixel.red() - colour.red())
                    + abs(pixel.green() - colour.green())
                    + abs(pixel.blue() - colour.blue())
                    < 90
                ):
                    found += 1
        return found

    title = next(w for w in words if w.text == "Throughput")
    retries = next(w for w in words if w.text == "Retries")
    ticks = {w.text: w for w in words if w.y0 < retries.y0 and re.fullmatch(r"\d\d:\d\d", w.text)}
    assert {"19:20", "19:30", "19:40"} <= set(ticks)
    top, bottom = title.y1, ticks["19:20"].y0
    left, right = 0.0, image.width() / scale
    assert count(blue, left, top, right, bottom) > 30
    assert count(red, left, top, right, bottom) > 30
    # The succeeded series has no point from 19:20 to 19:35: nothing blue drawn there.
    middle = lambda w: (w.x0 + w.x1) / 2  # noqa: E731
    gap_left, gap_right = middle(ticks["19:20"]) + 3, middle(ticks["19:30"]) + 3
    assert count(blue, gap_left, top, gap_right, bottom - 4) == 0
    assert count(red, gap_left, top, gap_right, bottom - 4) > 5
    # The empty plot says so, and draws no line.
    assert any(w.text == "window" and w.y0 > retries.y1 for w in words)
    below = [w for w in words if w.y0 > retries.y1 and re.fullmatch(r"\d\d:\d\d", w.text)]
    retries_bottom = min(w.y0 for w in below)
    assert count(blue, left, retries.y1, right, retries_bottom - 4) == 0


@needs_poppler
def test_a4_and_letter_pages_differ(qapp: QApplication, tmp_path: Path) -> None:
    a4 = write_pdf(build_report(missing=()), tmp_path / "a4.pdf")
    letter = write_pdf(build_report(missing=()), tmp_path / "letter.pdf", page_size="Letter")
    assert "595 x 842 pts (A4)" in run("pdfinfo", str(a4))
    assert "612 x 792 pts (letter)" in run("pdfinfo", str(letter))
    assert "Not in this report" not in run("pdftotext", "-l", "1", str(a4), "-")


# CSV.


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_files_hold_values_that_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    paths = write_csv(build_report(), folder)
    assert sorted(p.name for p in paths) == ["queues.csv", "summary.csv", "task_types.csv"]
    assert sorted(os.listdir(folder)) == ["queues.csv", "summary.csv", "task_types.csv"]
    assert (folder / "task_types.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    rows = read(folder / "task_types.csv")
    assert list(rows[0]) == [
        "task",
        "succeeded",
        "rate",
        "failure_share (%)",
        "last_seen",
        "runtime (s)",
    ]
    assert len(rows) == 300
    assert rows[7]["task"] == CHINESE
    assert int(rows[299]["succeeded"]) == 299_007
    assert float(rows[3]["rate"]) == 1.5
    assert float(rows[3]["failure_share (%)"]) == 3.25
    seen = datetime.fromisoformat(rows[10]["last_seen"])
    assert seen.utcoffset() == timedelta(hours=8)
    assert seen.timestamp() == START + 110
    assert float(rows[0]["runtime (s)"]) == 3725.0

    queues = read(folder / "queues.csv")
    assert [(q["queue"], q["depth"]) for q in queues] == [
        ("default", "12"),
        ("priority", "0"),
        ("张伟", ""),
    ]
    summary = read(folder / "summary.csv")
    assert {"section": "Summary", "label": "Mean runtime", "value": "1 h 02 min"} in summary
    assert len(summary) == 4

    # Written again into the same (now full) folder: each file replaced whole.
    write_csv(build_report(), folder)
    assert sorted(os.listdir(folder)) == ["queues.csv", "summary.csv", "task_types.csv"]


# Failed writes.


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if "partial" in name)


def test_a_path_that_cannot_be_written_is_named_with_what_to_do(
    qapp: QApplication, tmp_path: Path
) -> None:
    a_file = tmp_path / "some_file"
    a_file.write_text("not a folder")
    with pytest.raises(ReportWriteError) as caught:
        write_pdf(build_report(), a_file / "x.pdf")
    assert str(caught.value) == (
        f"cannot write {a_file / 'x.pdf'}: {a_file} is not a folder; choose another folder"
    )
    with pytest.raises(ReportWriteError, match="is not a folder; choose another folder"):
        write_csv(build_report(), a_file / "csv")
    assert sorted(os.listdir(tmp_path)) == ["some_file"]


@pytest.fixture
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this user cannot create files in: read-only, or immutable for root
    (whom read-only does not stop)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root writes into a read-only folder, and chattr is not installed")
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"root writes into a read-only folder; chattr +i: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_folder_that_cannot_be_written_says_permission_denied(
    qapp: QApplication, locked_folder: Path
) -> None:
    with pytest.raises(ReportWriteError) as caught:
        write_pdf(build_report(), locked_folder / "r.pdf")
    assert str(caught.value) == (
        f"cannot write {locked_folder / 'r.pdf'}: permission denied; choose another folder"
    )
    with pytest.raises(ReportWriteError) as caught:
        write_csv(build_report(), locked_folder / "csv")
    assert str(caught.value) == (
        f"cannot write {locked_folder / 'csv'}: permission denied; choose another folder"
    )
    assert os.listdir(locked_folder) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (root only)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; the file size limit case covers the rest")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True, timeout=30)


def test_a_full_disk_leaves_the_previous_file_and_says_so(
    qapp: QApplication, small_disk: Path
) -> None:
    target = small_disk / "report.pdf"
    target.write_bytes(b"the previous report")
    with pytest.raises(ReportWriteError) as caught:
        write_pdf(build_report(), target)
    assert str(caught.value) == (
        f"cannot write {target}: no space left on the device; "
        "free some space or choose another disk"
    )
    assert target.read_bytes() == b"the previous report"
    assert leftovers(small_disk) == []
    # A CSV folder that does not fit does not appear at all.
    (small_disk / "filler").write_bytes(b"\0" * 40_000)
    with pytest.raises(ReportWriteError, match="no space left on the device"):
        write_csv(build_report(), small_disk / "csv")
    assert sorted(os.listdir(small_disk)) == ["filler", "report.pdf"]


_LIMITED = """
import os, resource, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from console.reports.render import ReportWriteError, write_csv, write_pdf
from tests.report_fixture import build_report
resource.setrlimit(resource.RLIMIT_FSIZE, (8000, 8000))
folder = sys.argv[1]
for write in (lambda: write_pdf(build_report(), folder + "/r.pdf"),
              lambda: write_csv(build_report(), folder + "/csv")):
    try:
        write()
        print("written")
    except ReportWriteError as exc:
        print(exc)
"""


def test_a_file_over_the_size_limit_is_not_left_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT_DIR,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == [
        f"cannot write {tmp_path / 'r.pdf'}: the file is larger than this system allows "
        "(file size limit); choose another disk or raise the limit",
        f"cannot write {tmp_path / 'csv' / 'task_types.csv'}: the file is larger than this "
        "system allows (file size limit); choose another disk or raise the limit",
    ]
    assert os.listdir(tmp_path) == []


@needs_poppler
def test_odd_values_and_empty_parts_are_written_not_crashed_on(
    qapp: QApplication, tmp_path: Path
) -> None:
    odd = Table(
        key="odd/values",
        title="Odd values",
        columns=(
            Column("x", "float"),
            Column("t", "time"),
            Column("d", "duration"),
            Column("s"),
        ),
        rows=((math.nan, math.inf, -5, None), (1, 2), ("n/a", 1e300, 90, "y" * 3000)),
    )
    section = Section(
        key="odd",
        title="Odd",
        tables=(Table(key="none", title="No columns", columns=(), rows=()), odd),
        plots=(Plot(key="p", title="No window", unit="%", series=(), start=math.nan, end=1e300),),
        preformatted=(("", ""),),
    )
    empty = Report("e", 0, 0, "UTC", 0, "", ())
    for report in (empty, replace(empty, sections=(section,), generated_at=math.nan)):
        write_pdf(report, tmp_path / "r.pdf")
        assert "Page 1 of" in run("pdftotext", str(tmp_path / "r.pdf"), "-")
        write_html(report, tmp_path / "r.html")
        write_csv(report, tmp_path / "csv")
    text = run("pdftotext", "-layout", str(tmp_path / "r.pdf"), "-")
    assert "no data in this window" in text
    assert "n/a" in text and "1 min 30 s" in text
    rows = read(tmp_path / "csv" / "odd_values.csv")
    assert [list(r.values()) for r in rows[:2]] == [
        ["", "", "-5.0", ""],
        ["1", "1970-01-01T00:00:02+00:00", "", ""],
    ]


@needs_poppler
@pytest.mark.parametrize("first", ["plot", "table"])
def test_a_heading_stays_on_the_page_of_its_first_plot_or_table(
    qapp: QApplication, tmp_path: Path, first: str
) -> None:
    """Whatever fills the page before it, a section's heading is on the page of the plot
    or table it leads to (through its introduction), never alone at the foot of a page."""
    plot = Plot("rate", "Throughput", "/s", (Series("succeeded", ((START, 1.0), (END, 2.0))),),
                START, END)  # fmt: skip
    table = Table("queues", "Queue table", (Column("Queue"), Column("Depth", "int")),
                  tuple((f"queue{i}", i) for i in range(30)))  # fmt: skip
    heading = "Trends" if first == "plot" else "Queues"
    caption = "Throughput" if first == "plot" else "Queue table"
    lead = Section(
        "trends", heading, ("The Overview's plots over the window.",),
        plots=(plot,) if first == "plot" else (), tables=(table,) if first == "table" else (),
    )  # fmt: skip
    moved = 0
    for filler in range(0, 60, 2):  # from a page well filled to one that is not
        before = Section("summary", "Summary", tuple(f"Line {n} of the summary." for n in
                                                     range(filler)))  # fmt: skip
        report = Report("e", START, END, "UTC", END, "Report", (before, lead))
        path = write_pdf(report, tmp_path / f"keep-{filler}.pdf")
        pages = words_by_page(path)
        with_heading = [n for n, words in enumerate(pages) if any(w.text == heading for w in words)]
        with_caption = [
            n for n, words in enumerate(pages)
            if any(w.text == caption.split()[0] for w in words)
        ]  # fmt: skip
        assert len(with_heading) == 1 and with_caption, (filler, with_heading, with_caption)
        assert with_heading[0] == with_caption[0], f"{filler} lines before: heading alone"
        heading_word = next(w for w in pages[with_heading[0]] if w.text == heading)
        moved += heading_word.y0 < 100  # at the top of a page the summary does not reach
    assert moved >= 1, "some filler pushes the section to the next page"
