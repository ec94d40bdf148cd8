"""Draw TaskDeck's icon with Qt and write it where the console and the installer read it.

    .venv/bin/python installer/draw_icon.py

writes ``console/assets/icons/taskdeck.png`` (256 px: the window icon) and
``installer/windows/taskdeck.ico`` (16 to 256 px: the program's, the installer's and the
shortcuts' icon). Both are committed; run this again only to change the picture.

The picture: a deck of three task cards on a blue rounded square, the front one ticked.
Each size is painted on its own (not scaled down from the largest), so the small ones
stay sharp. The .ico holds each size as PNG, as Windows Vista and later read it.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

REPO = Path(__file__).resolve().parents[1]
PNG = REPO / "console" / "assets" / "icons" / "taskdeck.png"
ICO = REPO / "installer" / "windows" / "taskdeck.ico"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)

BLUE_TOP, BLUE_BOTTOM = QColor("#2f6fe4"), QColor("#1d4fb8")
CARD_BACK, CARD_MIDDLE, CARD_FRONT = QColor("#9fc0f5"), QColor("#cfe0fb"), QColor("#ffffff")
TICK = QColor("#16a34a")
LINE = QColor("#9aa8bd")


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 256, size / 256)  # drawn on a 256-unit square
    # The tile.
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(8, 8, 240, 240), 52, 52)
    gradient = QLinearGradient(0, 8, 0, 248)
    gradient.setColorAt(0, BLUE_TOP)
    gradient.setColorAt(1, BLUE_BOTTOM)
    p.fillPath(tile, gradient)
    # Three cards, back to front, each a little lower and to the right.
    for i, colour in enumerate((CARD_BACK, CARD_MIDDLE, CARD_FRONT)):
        card = QPainterPath()
        card.addRoundedRect(QRectF(48 + i * 14, 44 + i * 26, 132, 116), 16, 16)
        p.fillPath(card, colour)
        if i < 2:
            p.setPen(QPen(QColor(0, 0, 0, 40), 3))
            p.drawPath(card)
    # The front card's two lines of text (left out where they would be a blur) and its tick.
    front_x, front_y = 48 + 28, 44 + 52
    if size >= 32:
        p.setPen(QPen(LINE, 11, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(front_x + 22, front_y + 34), QPointF(front_x + 104, front_y + 34))
        p.drawLine(QPointF(front_x + 22, front_y + 60), QPointF(front_x + 74, front_y + 60))
    tick = QPainterPath(QPointF(front_x + 70, front_y + 86))
    tick.lineTo(QPointF(front_x + 92, front_y + 106))
    tick.lineTo(QPointF(front_x + 132, front_y + 58))
    width = 26 if size >= 32 else 34
    p.setPen(
        QPen(TICK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    )
    p.drawPath(tick)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stubs say bytes
        raise RuntimeError("Qt could not encode a PNG")
    return bytes(data.data())


def ico_bytes(images: list[QImage]) -> bytes:
    """An .ico file holding each image as PNG (ICONDIR, one ICONDIRENTRY each, the data)."""
    blobs = [png_bytes(image) for image in images]
    header = struct.pack("<HHH", 0, 1, len(blobs))
    offset = len(header) + 16 * len(blobs)
    entries = b""
    for image, blob in zip(images, blobs, strict=True):
        side = image.width() % 256  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    return header + entries + b"".join(blobs)


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])  # fonts and painting need one
    PNG.parent.mkdir(parents=True, exist_ok=True)
    PNG.write_bytes(png_bytes(draw(256)))
    ICO.parent.mkdir(parents=True, exist_ok=True)
    ICO.write_bytes(ico_bytes([draw(size) for size in ICO_SIZES]))
    print(f"wrote {PNG.relative_to(REPO)} and {ICO.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
