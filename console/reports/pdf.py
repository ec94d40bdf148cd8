"""Write a report as PDF with Qt's own writer (QPdfWriter and QPainter).

The pages are laid out first (what goes where, in the writer's units), then
painted, so each page's footer can say "Page n of N". Text is drawn as text
(``pdftotext`` reads it back), plots as vectors. A table that runs past a page
goes on with its header row repeated; preformatted text wraps, never cut.
Needs a QGuiApplication (fonts); the bytes are written atomically. Nothing here
touches a widget or a QPixmap, so a PDF may be made on any thread; ``checkpoint``
(called at every page laid out and painted) lets the caller stop it by raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextLayout,
    QTextOption,
)

from console.reports import labels
from console.reports.atomic import ReportWriteError, Staged, stage_file
from console.reports.charts import draw_plot, report_font, require_gui
from console.reports.formatting import (
    format_time,
    format_value,
    format_window,
    is_numeric,
    report_zone,
)
from console.reports.model import Plot, Report, Section, Table

PageSizeName = Literal["A4", "Letter"]
_PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
_RESOLUTION = 600  # device units per inch: layout is exact, the output is vectors anyway
_MARGIN_MM = 16.0
_PLOT_HEIGHT_PT = 170.0  # about 6 cm
_MAX_CELL_LINES = 30

Op = Callable[[QPainter], None]
Checkpoint = Callable[[], None]  # called now and then while writing; raises to stop it


def _no_checkpoint() -> None:
    return None


_INK = QColor("#111111")
_MUTED = QColor("#555555")
_RULE = QColor("#bbbbbb")
_WARN = QColor("#b00020")
_WARN_BACK = QColor("#fdecea")
_HEAD_BACK = QColor("#e8ecf1")
_ZEBRA = QColor("#f6f7f9")
_PRE_BACK = QColor("#f3f3f3")
_NOTE = QColor("#1f5fa8")
_NOTE_BACK = QColor("#e8f0fa")


@dataclass(frozen=True)
class _Mark:
    page: int  # index in the pages
    ops: int  # painting steps on that page
    y: float


class _Pages:
    """Lays content out top to bottom, page after page, as painting steps."""

    def __init__(self, writer: QPdfWriter, checkpoint: Checkpoint = _no_checkpoint) -> None:
        self.device = writer
        self.checkpoint = checkpoint
        self.k = writer.logicalDpiY() / 72.0
        self.width = float(writer.width())
        self.footer = 18 * self.k
        self.height = float(writer.height()) - self.footer
        self.pages: list[list[Op]] = [[]]
        self.y = 0.0

    def pt(self, points: float) -> float:
        return points * self.k

    def new_page(self) -> None:
        self.checkpoint()
        self.pages.append([])
        self.y = 0.0

    def need(self, height: float) -> None:
        """Go to a new page unless ``height`` fits below (a fresh page takes anything)."""
        if self.y > 0 and self.y + height > self.height:
            self.new_page()

    def left(self) -> float:
        return self.height - self.y

    def mark(self) -> _Mark:
        """Where the layout is: to go back to, or to ask where what followed began."""
        return _Mark(len(self.pages) - 1, len(self.pages[-1]), self.y)

    def restore(self, mark: _Mark) -> None:
        """Forget everything laid out since ``mark``."""
        del self.pages[mark.page + 1 :]
        del self.pages[mark.page][mark.ops :]
        self.y = mark.y

    def started_later(self, mark: _Mark, page: int) -> bool:
        """Whether what was laid out after ``mark`` began on a page after ``page``."""
        if mark.page > page:
            return True
        return len(self.pages) - 1 > mark.page and len(self.pages[mark.page]) == mark.ops

    def add(self, op: Op) -> None:
        self.pages[-1].append(op)

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.device)

    def wrap(self, text: str, font: QFont, width: float, anywhere: bool = False) -> list[str]:
        """``text`` in lines no wider than ``width``; its own line breaks kept."""
        lines: list[str] = []
        option = QTextOption()
        option.setWrapMode(
            QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
            if anywhere
            else QTextOption.WrapMode.WordWrap
        )
        for part in text.expandtabs(4).split("\n"):
            part = part.rstrip("\r")
            if not part:
                lines.append("")
                continue
            layout = QTextLayout(part, font, self.device)
            layout.setTextOption(option)
            layout.beginLayout()
            while True:
                line = layout.createLine()
                if not line.isValid():
                    break
                line.setLineWidth(width)
            layout.endLayout()
            for index in range(layout.lineCount()):
                line = layout.lineAt(index)
                piece = part[line.textStart() : line.textStart() + line.textLength()]
                lines.append(piece if anywhere else piece.rstrip(" "))
        return lines

    def text_at(self, x: float, y: float, text: str, font: QFont, colour: QColor = _INK) -> None:
        """Draw ``text`` with its top at ``y`` on the current page."""
        ascent = self.metrics(font).ascent()

        def op(painter: QPainter) -> None:
            painter.setFont(font)
            painter.setPen(colour)
            painter.drawText(QPointF(x, y + ascent), text)

        self.add(op)

    def rect(self, rect: QRectF, fill: QColor | None, edge: QColor | None = None) -> None:
        width = self.pt(0.6)

        def op(painter: QPainter) -> None:
            painter.setPen(QPen(edge, width) if edge is not None else QPen(QColor(0, 0, 0, 0)))
            painter.setBrush(fill if fill is not None else QColor(0, 0, 0, 0))
            painter.drawRect(rect)

        self.add(op)

    def line(self, a: QPointF, b: QPointF, colour: QColor, points: float = 0.6) -> None:
        width = self.pt(points)

        def op(painter: QPainter) -> None:
            painter.setPen(QPen(colour, width))
            painter.drawLine(a, b)

        self.add(op)

    def paragraph(
        self,
        text: str,
        font: QFont,
        colour: QColor = _INK,
        indent: float = 0.0,
        after: float = 6.0,
        back: QColor | None = None,
        bar: QColor | None = None,
        anywhere: bool = False,
    ) -> None:
        """Wrapped text, broken across pages between lines; optionally on a tinted band."""
        metrics = self.metrics(font)
        height = metrics.lineSpacing()
        pad = self.pt(6) if back is not None else 0.0
        for line in self.wrap(text, font, self.width - indent - 2 * pad, anywhere):
            self.need(height)
            if back is not None:
                self.rect(QRectF(indent, self.y, self.width - indent, height), back)
            if bar is not None:
                self.rect(QRectF(indent, self.y, self.pt(3), height), bar)
            if line:
                self.text_at(indent + pad, self.y, line, font, colour)
            self.y += height
        self.y += self.pt(after)


def _column_widths(natural: list[float], total: float) -> list[float]:
    """Share ``total`` among columns: each its natural width when all fit, else
    the narrow ones keep theirs and the wide ones share the rest."""
    if not natural:
        return []
    if sum(natural) <= total:
        spare = (total - sum(natural)) / len(natural)
        return [w + spare for w in natural]
    widths = [0.0] * len(natural)
    open_columns = list(range(len(natural)))
    remaining = total
    while open_columns:
        share = remaining / len(open_columns)
        narrow = [i for i in open_columns if natural[i] <= share]
        if not narrow:
            for i in open_columns:
                widths[i] = share
            break
        for i in narrow:
            widths[i] = natural[i]
            remaining -= natural[i]
            open_columns.remove(i)
    return widths


class _Writer:
    def __init__(
        self, report: Report, writer: QPdfWriter, checkpoint: Checkpoint = _no_checkpoint
    ) -> None:
        self.report = report
        self.zone: tzinfo = report_zone(report)
        self.p = _Pages(writer, checkpoint)
        self.body = report_font(9.5)
        self.small = report_font(8)
        self.small_bold = report_font(8, bold=True)
        self.cell = report_font(7.5)
        self.cell_bold = report_font(7.5, bold=True)
        self.mono = report_font(7.5, mono=True)

    # The first page.
    def title_page(self) -> None:
        p = self.p
        r = self.report
        p.y = p.pt(40)
        p.paragraph(r.title, report_font(22, bold=True), after=14)
        rows = [
            (labels.environment(), r.environment),
            (labels.window(), format_window(r)),
            (labels.generated_at(), f"{format_time(r.generated_at, self.zone)} ({r.time_zone})"),
        ]
        if r.source:
            rows.append((labels.source(), r.source))
        label_font = report_font(10, bold=True)
        value_font = report_font(10)
        label_width = max(p.metrics(label_font).horizontalAdvance(a) for a, _ in rows) + p.pt(12)
        for label, value in rows:
            top = p.y
            p.text_at(0, top, label, label_font, _MUTED)
            p.paragraph(value, value_font, indent=label_width, after=4)
        if r.empty:
            p.y += p.pt(14)
            p.paragraph(r.empty, report_font(11, bold=True), colour=_NOTE, after=0,
                        back=_NOTE_BACK, bar=_NOTE)  # fmt: skip
            p.paragraph("", self.small, after=0, back=_NOTE_BACK, bar=_NOTE)
        if r.missing:
            p.y += p.pt(14)
            p.paragraph(
                labels.not_in_report(),
                report_font(11, bold=True),
                colour=_WARN,
                after=0,
                back=_WARN_BACK,
                bar=_WARN,
            )
            for item in r.missing:
                p.paragraph(f"•  {item}", value_font, after=0, back=_WARN_BACK, bar=_WARN, indent=0)
            p.paragraph("", self.small, after=0, back=_WARN_BACK, bar=_WARN)

    # A section.
    def section(self, section: Section) -> None:
        """A section: its heading kept on one page with what follows it up to its first
        figure, plot, table or sample (never a heading alone at the foot of a page)."""
        p = self.p
        heading = report_font(15, bold=True)

        def head() -> None:
            p.paragraph(section.title, heading, after=2)
            p.line(QPointF(0, p.y), QPointF(p.width, p.y), _RULE, 0.8)
            p.y += p.pt(8)

        texts: list[Callable[[], None]] = []  # short blocks a heading keeps on its way
        if section.missing:
            note = f"{labels.not_in_section()} {'; '.join(section.missing)}"
            texts.append(lambda: p.paragraph(note, self.small_bold, colour=_WARN, after=8))
        blocks: list[Callable[[], None]] = []
        if section.figures:
            blocks.append(lambda: self.figures(section.figures))
        texts += [partial(p.paragraph, text, self.body, after=6) for text in section.paragraphs]
        blocks += [partial(self.plot, plot) for plot in section.plots]
        blocks += [partial(self.table, table) for table in section.tables]
        blocks += [partial(self.preformatted, c, t) for c, t in section.preformatted]
        # The heading leads to its key block: the figures (which come before the
        # paragraphs), else the first plot, table or sample after the paragraphs.
        if section.figures:
            lead, key, rest = [blocks[0], *texts], 0, blocks[1:]
        else:
            lead, key, rest = [*texts, *blocks[:1]], len(texts) if blocks else -1, blocks[1:]

        p.need(p.metrics(heading).lineSpacing() + p.pt(40))
        mark = p.mark()
        head()
        key_starts = p.mark()
        for number, block in enumerate(lead):
            if number == key:
                key_starts = p.mark()
            block()
        if mark.y > 0 and key >= 0 and p.started_later(key_starts, mark.page):
            # The block the heading leads to went on to the next page: so does the heading.
            p.restore(mark)
            p.new_page()
            head()
            for block in lead:
                block()
        for block in rest:
            block()

    def figures(self, figures: tuple[tuple[str, str], ...]) -> None:
        p = self.p
        per_row = 3
        gap = p.pt(10)
        cell = (p.width - gap * (per_row - 1)) / per_row
        label_font = self.small
        value_font = report_font(12, bold=True)
        label_height = p.metrics(label_font).lineSpacing()
        value_height = p.metrics(value_font).lineSpacing()
        for start in range(0, len(figures), per_row):
            row = figures[start : start + per_row]
            wrapped = [
                (
                    p.wrap(label, label_font, cell - p.pt(8)),
                    p.wrap(value, value_font, cell - p.pt(8)),
                )
                for label, value in row
            ]
            height = max(len(a) * label_height + len(b) * value_height for a, b in wrapped)
            height += p.pt(8)
            p.need(height)
            top = p.y
            for column, (label_lines, value_lines) in enumerate(wrapped):
                x = column * (cell + gap)
                p.rect(QRectF(x, top, cell, height), _ZEBRA, _RULE)
                y = top + p.pt(4)
                for line in label_lines:
                    p.text_at(x + p.pt(4), y, line, label_font, _MUTED)
                    y += label_height
                for line in value_lines:
                    p.text_at(x + p.pt(4), y, line, value_font)
                    y += value_height
            p.y = top + height + p.pt(6)
        p.y += p.pt(4)

    def plot(self, plot: Plot) -> None:
        p = self.p
        height = p.pt(_PLOT_HEIGHT_PT)
        p.need(height)
        rect = QRectF(0, p.y, p.width, height)
        zone = self.zone
        p.add(lambda painter: draw_plot(painter, rect, plot, zone))
        p.y += height + p.pt(10)

    def table(self, table: Table) -> None:
        p = self.p
        pad = p.pt(3)
        title_font = report_font(11, bold=True)
        title_height = p.metrics(title_font).lineSpacing()
        cell_metrics = p.metrics(self.cell)
        head_metrics = p.metrics(self.cell_bold)
        line_height = cell_metrics.lineSpacing()
        columns = table.columns
        texts = [
            [
                format_value(row[i] if i < len(row) else None, column.kind, self.zone)
                for i, column in enumerate(columns)
            ]
            for row in table.rows
        ]
        natural = []
        for i, column in enumerate(columns):
            widest = max((cell_metrics.horizontalAdvance(r[i]) for r in texts), default=0.0)
            words = max(
                (head_metrics.horizontalAdvance(w) for w in column.name.split()), default=0.0
            )
            natural.append(max(widest, words, p.pt(24)) + 2 * pad)
        widths = _column_widths(natural, p.width)
        lefts = [sum(widths[:i]) for i in range(len(widths))]
        header_lines = [
            p.wrap(c.name, self.cell_bold, w - 2 * pad)
            for c, w in zip(columns, widths, strict=True)
        ]
        header_height = max((len(h) for h in header_lines), default=1) * line_height + 2 * pad

        def header() -> None:
            top = p.y
            p.rect(QRectF(0, top, p.width, header_height), _HEAD_BACK)
            for i, column in enumerate(columns):
                y = top + pad
                for line in header_lines[i]:
                    x = lefts[i] + pad
                    if is_numeric(column.kind):
                        x = lefts[i] + widths[i] - pad - head_metrics.horizontalAdvance(line)
                    p.text_at(x, y, line, self.cell_bold)
                    y += line_height
            p.y = top + header_height
            p.line(QPointF(0, p.y), QPointF(p.width, p.y), _MUTED, 0.6)

        first_row = line_height + 2 * pad
        p.need(title_height + header_height + first_row + p.pt(4))
        p.paragraph(table.title, title_font, after=3)
        header()
        if not texts:  # said in words, not an empty grid
            p.y += pad
            p.paragraph(table.empty or labels.no_rows(), self.cell, _MUTED, indent=pad, after=0)
            p.y += pad
        for number, row in enumerate(texts):
            cells = []
            for i, text in enumerate(row):
                lines = p.wrap(text, self.cell, widths[i] - 2 * pad, anywhere=True)
                if len(lines) > _MAX_CELL_LINES:
                    lines = lines[: _MAX_CELL_LINES - 1] + [lines[_MAX_CELL_LINES - 1] + " …"]
                cells.append(lines)
            height = max((len(c) for c in cells), default=1) * line_height + 2 * pad
            if p.y + height > p.height:
                p.new_page()
                p.paragraph(f"{table.title} {labels.continued()}", self.small_bold, _MUTED, after=2)
                header()
            top = p.y
            if number % 2:
                p.rect(QRectF(0, top, p.width, height), _ZEBRA)
            for i, lines in enumerate(cells):
                y = top + pad
                for line in lines:
                    x = lefts[i] + pad
                    if is_numeric(columns[i].kind):
                        x = lefts[i] + widths[i] - pad - cell_metrics.horizontalAdvance(line)
                    p.text_at(x, y, line, self.cell)
                    y += line_height
            p.y = top + height
        p.line(QPointF(0, p.y), QPointF(p.width, p.y), _RULE, 0.6)
        p.y += p.pt(4)
        if table.note:
            p.paragraph(table.note, self.small, _MUTED, after=4)
        p.y += p.pt(8)

    def preformatted(self, caption: str, text: str) -> None:
        p = self.p
        mono_height = p.metrics(self.mono).lineSpacing()
        p.need(p.metrics(self.small_bold).lineSpacing() + 3 * mono_height)
        if caption:
            p.paragraph(caption, self.small_bold, after=2)
        p.paragraph(text, self.mono, after=10, back=_PRE_BACK, anywhere=True)

    def footers(self, painter: QPainter, page: int, total: int) -> None:
        p = self.p
        top = p.height + p.footer - p.metrics(self.small).lineSpacing()
        painter.setFont(self.small)
        painter.setPen(_MUTED)
        metrics = p.metrics(self.small)
        ascent = metrics.ascent()
        number = labels.page_of(page, total)
        painter.drawText(QPointF(p.width - metrics.horizontalAdvance(number), top + ascent), number)
        left = metrics.elidedText(
            f"{self.report.title} · {self.report.environment}",
            Qt.TextElideMode.ElideRight,
            p.width - metrics.horizontalAdvance(number) - p.pt(20),
        )
        painter.drawText(QPointF(0, top + ascent), left)


def pdf_bytes(
    report: Report, page_size: PageSizeName = "A4", checkpoint: Checkpoint = _no_checkpoint
) -> bytes:
    """``report`` as a PDF document; ``checkpoint`` is called at every page."""
    if page_size not in _PAGE_SIZES:
        raise ValueError(f"page size {page_size!r}: A4 or Letter")
    require_gui()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(_RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(_PAGE_SIZES[page_size]),
            QPageLayout.Orientation.Portrait,
            QMarginsF(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM, _MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(report.title)
    writer.setCreator("TaskDeck")
    layout = _Writer(report, writer, checkpoint)
    layout.title_page()
    layout.p.new_page()
    for number, section in enumerate(report.sections):
        if number:
            layout.p.y += layout.p.pt(10)
        layout.section(section)
    pages = layout.p.pages
    painter = QPainter()
    if not painter.begin(writer):
        raise ReportWriteError("cannot lay out the PDF: Qt's PDF writer did not start")
    try:
        for number, page in enumerate(pages, start=1):
            checkpoint()
            if number > 1:
                writer.newPage()
            for op in page:
                op(painter)
            layout.footers(painter, number, len(pages))
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def stage_pdf(
    report: Report, path: Path | str, page_size: PageSizeName = "A4",
    checkpoint: Checkpoint = _no_checkpoint,
) -> Staged:  # fmt: skip
    """``report`` as PDF written under a temporary name beside ``path``, to commit."""
    return stage_file(path, pdf_bytes(report, page_size, checkpoint))


def write_pdf(report: Report, path: Path | str, page_size: PageSizeName = "A4") -> Path:
    """Write ``report`` to ``path`` as PDF, whole or not at all (``ReportWriteError``)."""
    return stage_pdf(report, path, page_size).commit()[0]
