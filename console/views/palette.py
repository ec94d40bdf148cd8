"""Light and dark palettes that follow the system's colour scheme (or one chosen), in a
style that shows state in both: disabled looks disabled, a chosen button looks chosen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

# Disabled text and controls in the dark palette: dimmed, as the light palette does.
DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#6b7079",
    QPalette.ColorRole.Text: "#6b7079",
    QPalette.ColorRole.ButtonText: "#6b7079",
    QPalette.ColorRole.Button: "#23272d",
    QPalette.ColorRole.Base: "#1a1d21",
    QPalette.ColorRole.Highlight: "#2c3e57",
    QPalette.ColorRole.HighlightedText: "#9aa0a8",
    QPalette.ColorRole.PlaceholderText: "#555a62",
}
CHOSEN_SHARE = 0.55  # a checked button: this much of the highlight over the button colour


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1f2329",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#16191d",
        QPalette.ColorRole.AlternateBase: "#22262c",
        QPalette.ColorRole.ToolTipBase: "#2b3038",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2b3038",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3b82f6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#8a9099",
        QPalette.ColorRole.Mid: "#3a3f47",
        QPalette.ColorRole.Link: "#8ab4f8",  # links in rich text, readable on the dark base
        QPalette.ColorRole.LinkVisited: "#c58af9",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))  # every group; the disabled ones follow
    for role, colour in DARK_DISABLED.items():
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return p


class ConsoleStyle(QProxyStyle):
    """Fusion, with checked buttons (the chosen window, a toggled tool) drawn in the
    highlight colour: Fusion only darkens them by a tenth, which a dark palette hides."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        state = option.state
        if (
            element == QStyle.PrimitiveElement.PE_PanelButtonCommand
            and state & QStyle.StateFlag.State_On
            and state & QStyle.StateFlag.State_Enabled
        ):
            option = type(option)(option)
            palette = QPalette(option.palette)
            button = palette.color(QPalette.ColorRole.Button)
            highlight = palette.color(QPalette.ColorRole.Highlight)
            palette.setColor(QPalette.ColorRole.Button, _mix(button, highlight, CHOSEN_SHARE))
            option.palette = palette
        super().drawPrimitive(element, option, painter, widget)


def _mix(base: QColor, over: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() + (over.redF() - base.redF()) * amount,
        base.greenF() + (over.greenF() - base.greenF()) * amount,
        base.blueF() + (over.blueF() - base.blueF()) * amount,
    )


SCHEMES = ("system", "light", "dark")


def apply_palette(app: QApplication, scheme: str) -> None:
    """The console's style with the ``"light"`` or ``"dark"`` palette."""
    if scheme not in ("light", "dark"):
        raise ValueError(f"a palette is 'light' or 'dark', not {scheme!r}")
    style = ConsoleStyle()
    app.setPalette(dark_palette() if scheme == "dark" else style.standardPalette())
    # Then the style: setting it polishes every widget again, with the new palette (style
    # sheets keep the palette they were polished with through a palette change alone).
    app.setStyle(style)


def apply_system_palette(app: QApplication, scheme: str = "system") -> None:
    """Fusion style, with a dark palette when the system is dark (following changes live),
    or the ``scheme`` named whatever the system's."""
    if scheme != "system":
        apply_palette(app, scheme)
        return

    def apply() -> None:
        dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        apply_palette(app, "dark" if dark else "light")

    apply()
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply())
