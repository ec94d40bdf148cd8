"""Write a report: PDF (``write_pdf``), one self-contained HTML file (``write_html``)
or one CSV file per table (``write_csv``). Each is written whole or not at all;
on failure ``ReportWriteError`` says what went wrong and what to do.

The HTML file refers to nothing outside itself: styles are inline, plots are PNG
images in ``data:`` URIs, fonts are the reader's own. PDF and HTML need a
QGuiApplication (fonts, images); CSV does not draw anything. Nothing here touches a
widget or a QPixmap (plots are drawn on a QImage), so a report may be written on any
thread: ``stage_report`` writes it under a temporary name, calling ``checkpoint`` now
and then (it may raise to stop), and the caller commits or discards what it staged.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from datetime import tzinfo
from pathlib import Path

from PySide6.QtCore import QLocale

from console.reports import labels
from console.reports.atomic import ReportWriteError, Staged, stage_file, stage_folder
from console.reports.charts import PNG_CSS_SIZE, plot_png, series_name
from console.reports.csv_export import cell
from console.reports.formatting import (
    format_time,
    format_value,
    format_window,
    is_numeric,
    moment,
    report_zone,
)
from console.reports.model import Column, Plot, Report, Section, Table, Value, has_samples
from console.reports.pdf import Checkpoint, PageSizeName, stage_pdf, write_pdf

__all__ = [
    "ReportWriteError",
    "Staged",
    "stage_csv",
    "stage_html",
    "stage_pdf",
    "stage_report",
    "write_csv",
    "write_html",
    "write_pdf",
]


def _no_checkpoint() -> None:
    return None


SUMMARY_CSV = "summary.csv"

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; color: #111; background: #fff;
  font: 15px/1.45 system-ui, "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", sans-serif; }
h1 { font-size: 1.9rem; margin: 0 0 .8rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
dl.about { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.about dt { color: #555; font-weight: 600; }
dl.about dd { margin: 0; overflow-wrap: anywhere; }
.missing { margin: 1.2rem 0; padding: .6rem 1rem; background: #fdecea; border-left: 4px solid #b00020; }
.missing strong { color: #b00020; }
.missing ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.empty-window { margin: 1.2rem 0; padding: .6rem 1rem; background: #e8f0fa; border-left: 4px solid #1f5fa8;
  color: #1f5fa8; font-weight: 600; }
td.empty { color: #555; font-style: italic; }
figure.plot figcaption { color: #555; font-size: .9rem; }
p.section-missing { color: #b00020; font-weight: 600; font-size: .9rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .6rem; margin: .6rem 0 1rem; }
.figure { background: #f6f7f9; border: 1px solid #ddd; padding: .4rem .6rem; }
.figure .label { color: #555; font-size: .82rem; }
.figure .value { font-size: 1.25rem; font-weight: 700; }
figure.plot { margin: .8rem 0 1.2rem; }
figure.plot img { display: block; width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: .82rem; margin: .2rem 0 .4rem; }
thead th { background: #e8ecf1; text-align: left; border-bottom: 1px solid #555; }
th, td { padding: .2rem .4rem; vertical-align: top; overflow-wrap: anywhere; }
tbody tr:nth-child(even) { background: #f6f7f9; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { color: #555; font-size: .85rem; margin-top: 0; }
figure.pre { margin: .8rem 0; }
figure.pre figcaption { font-weight: 600; font-size: .9rem; }
pre { background: #f3f3f3; padding: .5rem .7rem; font: .8rem/1.35 "DejaVu Sans Mono",
  "Noto Sans Mono CJK SC", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  figure.plot img { width: 100%; height: auto; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .figure, figure, .missing, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tbody tr:nth-child(even) { background: #f6f7f9; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .missing, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  pre { white-space: pre-wrap; }
}
@page { margin: 16mm; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _about(report: Report, zone: tzinfo) -> list[str]:
    rows = [
        (labels.environment(), report.environment),
        (labels.window(), format_window(report)),
        (
            labels.generated_at(),
            f"{format_time(report.generated_at, zone)} ({report.time_zone})",
        ),
    ]
    if report.source:
        rows.append((labels.source(), report.source))
    out = ['<dl class="about">']
    out += [f"<dt>{_e(a)}</dt><dd>{_e(b)}</dd>" for a, b in rows]
    out.append("</dl>")
    if report.empty:
        out.append(f'<p class="empty-window" role="note">{_e(report.empty)}</p>')
    if report.missing:
        out.append('<div class="missing" role="note">')
        out.append(f"<strong>{_e(labels.not_in_report())}</strong><ul>")
        out += [f"<li>{_e(item)}</li>" for item in report.missing]
        out.append("</ul></div>")
    return out


def _plot(plot: Plot, zone: tzinfo) -> list[str]:
    data = base64.b64encode(plot_png(plot, zone)).decode("ascii")
    width, height = PNG_CSS_SIZE
    names = ", ".join(series_name(s.name) for s in plot.series)
    alt = f"{plot.title} ({names})" if names else plot.title
    return [
        f'<figure class="plot" id="plot-{_e(plot.key)}">',
        f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" alt="{_e(alt)}">',
        *([] if has_samples(plot) else [f"<figcaption>{_e(labels.no_samples())}</figcaption>"]),
        "</figure>",
    ]


def _table(table: Table, zone: tzinfo) -> list[str]:
    out = [f'<h3 id="table-{_e(table.key)}">{_e(table.title)}</h3>', "<table>", "<thead><tr>"]
    for column in table.columns:
        numeric = ' class="num"' if is_numeric(column.kind) else ""
        out.append(f'<th scope="col"{numeric}>{_e(column.name)}</th>')
    out.append("</tr></thead><tbody>")
    if not table.rows:
        span = max(1, len(table.columns))
        out.append(f'<tr><td class="empty" colspan="{span}">'
                   f"{_e(table.empty or labels.no_rows())}</td></tr>")  # fmt: skip
    for row in table.rows:
        cells = []
        for i, column in enumerate(table.columns):
            value = row[i] if i < len(row) else None
            text = _e(format_value(value, column.kind, zone))
            found = None
            if column.kind == "time" and isinstance(value, int | float):
                found = moment(float(value), zone)
            if found is not None:
                text = f'<time datetime="{_e(found.isoformat())}">{text}</time>'
            numeric = ' class="num"' if is_numeric(column.kind) else ""
            cells.append(f"<td{numeric}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if table.note:
        out.append(f'<p class="note">{_e(table.note)}</p>')
    return out


def _section(section: Section, zone: tzinfo) -> list[str]:
    out = [f'<section id="section-{_e(section.key)}">', f"<h2>{_e(section.title)}</h2>"]
    if section.missing:
        joined = "; ".join(section.missing)
        out.append(f'<p class="section-missing">{_e(labels.not_in_section())} {_e(joined)}</p>')
    if section.figures:
        out.append('<div class="figures">')
        for label, value in section.figures:
            out.append(
                f'<div class="figure"><div class="label">{_e(label)}</div>'
                f'<div class="value">{_e(value)}</div></div>'
            )
        out.append("</div>")
    out += [f"<p>{_e(text)}</p>" for text in section.paragraphs]
    for plot in section.plots:
        out += _plot(plot, zone)
    for table in section.tables:
        out += _table(table, zone)
    for caption, text in section.preformatted:
        out.append('<figure class="pre">')
        if caption:
            out.append(f"<figcaption>{_e(caption)}</figcaption>")
        out.append(f"<pre>{_e(text)}</pre></figure>")
    out.append("</section>")
    return out


def html_text(
    report: Report, lang: str | None = None, checkpoint: Checkpoint = _no_checkpoint
) -> str:
    """``report`` as one HTML5 document that refers to nothing outside itself;
    ``checkpoint`` is called before each section."""
    zone = report_zone(report)
    language = lang or QLocale().bcp47Name() or "en"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="TaskDeck">',
        f"<title>{_e(report.title)} · {_e(report.environment)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(report.title)}</h1>",
        *_about(report, zone),
        "</header>",
        "<main>",
    ]
    for section in report.sections:
        checkpoint()
        parts += _section(section, zone)
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def stage_html(
    report: Report, path: Path | str, lang: str | None = None,
    checkpoint: Checkpoint = _no_checkpoint,
) -> Staged:  # fmt: skip
    """``report`` as HTML written under a temporary name beside ``path``, to commit."""
    return stage_file(path, html_text(report, lang, checkpoint).encode("utf-8"))


def write_html(report: Report, path: Path | str, lang: str | None = None) -> Path:
    """Write ``report`` to ``path`` as one self-contained HTML file (UTF-8), whole or not at all.

    ``lang`` is the document's language (BCP 47); the application's locale when not given.
    """
    return stage_html(report, path, lang).commit()[0]


# CSV: values, not display strings.


def csv_header(column: Column) -> str:
    """A column's CSV header: its id, with the unit its values are in."""
    if column.kind == "duration":
        return f"{column.id} (s)"
    if column.kind == "percent":
        return f"{column.id} (%)"
    return column.id


def csv_value(value: Value, column: Column, zone: tzinfo) -> str:
    """A table's value as CSV text: numbers as numbers, times ISO 8601 with their zone."""
    if column.kind == "time" and isinstance(value, int | float) and not isinstance(value, bool):
        found = moment(float(value), zone)
        return cell(found) if found is not None else ""
    if column.kind == "duration" and isinstance(value, int) and not isinstance(value, bool):
        return cell(float(value))
    return cell(value)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def csv_file_names(report: Report) -> list[str]:
    """Each table's file name: ``<key>.csv``, made safe and unique (``summary.csv`` is taken)."""
    taken = {SUMMARY_CSV}
    names = []
    for table in report.tables():
        stem = _UNSAFE.sub("_", table.key).strip("._") or "table"
        name = f"{stem}.csv"
        number = 2
        while name in taken:
            name = f"{stem}-{number}.csv"
            number += 1
        taken.add(name)
        names.append(name)
    return names


def stage_csv(
    report: Report, directory: Path | str, checkpoint: Checkpoint = _no_checkpoint
) -> Staged:
    """``report``'s CSV files written into a temporary folder beside ``directory``, to
    commit; ``checkpoint`` is called before each table."""
    zone = report_zone(report)
    files: dict[str, bytes] = {}
    for name, table in zip(csv_file_names(report), report.tables(), strict=True):
        checkpoint()
        rows = [[csv_header(c) for c in table.columns]]
        for row in table.rows:
            rows.append(
                [
                    csv_value(row[i] if i < len(row) else None, column, zone)
                    for i, column in enumerate(table.columns)
                ]
            )
        files[name] = _csv_bytes(rows)
    summary = [["section", "label", "value"]]
    summary += [[s.title, label, value] for s in report.sections for label, value in s.figures]
    files[SUMMARY_CSV] = _csv_bytes(summary)
    return stage_folder(directory, files)


def write_csv(report: Report, directory: Path | str) -> list[Path]:
    """Write one ``<table key>.csv`` per table and ``summary.csv`` (every section's
    figures) into ``directory``, UTF-8 with a byte order mark; returns the paths."""
    return stage_csv(report, directory).commit()


def stage_report(
    report: Report, kind: str, destination: Path | str, checkpoint: Checkpoint = _no_checkpoint
) -> Staged:
    """``report`` written as ``kind`` ("pdf" or "pdf-a4", "pdf-letter", "html", "csv")
    under a temporary name beside ``destination``, to commit or discard."""
    if kind == "csv":
        return stage_csv(report, destination, checkpoint)
    if kind == "html":
        return stage_html(report, destination, checkpoint=checkpoint)
    sizes: dict[str, PageSizeName] = {"pdf": "A4", "pdf-a4": "A4", "pdf-letter": "Letter"}
    if kind not in sizes:
        raise ValueError(f"unknown report format {kind!r}")
    return stage_pdf(report, destination, sizes[kind], checkpoint)
