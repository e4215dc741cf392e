"""Light, dark or system appearance: one palette for every widget, icons and colours follow it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

_SYSTEM: dict[str, object] = {}

# role -> (light, dark)
_COLORS = {
    QPalette.ColorRole.Window: ("#f3f3f3", "#2b2b2b"),
    QPalette.ColorRole.WindowText: ("#1f1f1f", "#e6e6e6"),
    QPalette.ColorRole.Base: ("#ffffff", "#1e1e1e"),
    QPalette.ColorRole.AlternateBase: ("#f7f7f7", "#262626"),
    QPalette.ColorRole.ToolTipBase: ("#ffffdc", "#3a3a3a"),
    QPalette.ColorRole.ToolTipText: ("#1f1f1f", "#e6e6e6"),
    QPalette.ColorRole.PlaceholderText: ("#8a8a8a", "#8a8a8a"),
    QPalette.ColorRole.Text: ("#1f1f1f", "#e6e6e6"),
    QPalette.ColorRole.Button: ("#ececec", "#353535"),
    QPalette.ColorRole.ButtonText: ("#1f1f1f", "#e6e6e6"),
    QPalette.ColorRole.BrightText: ("#d32f2f", "#ff8a80"),
    QPalette.ColorRole.Highlight: ("#1e88e5", "#3d8fd6"),
    QPalette.ColorRole.HighlightedText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Link: ("#1565c0", "#82b1ff"),
    QPalette.ColorRole.Light: ("#ffffff", "#4a4a4a"),
    QPalette.ColorRole.Midlight: ("#e3e3e3", "#3f3f3f"),
    QPalette.ColorRole.Mid: ("#b8b8b8", "#5a5a5a"),
    QPalette.ColorRole.Dark: ("#9f9f9f", "#1a1a1a"),
    QPalette.ColorRole.Shadow: ("#767676", "#000000"),
}


def make_palette(dark: bool) -> QPalette:
    """The light or dark palette (disabled text greyed)."""
    palette = QPalette()
    for role, (light, night) in _COLORS.items():
        palette.setColor(role, QColor(night if dark else light))
    grey = QColor("#7a7a7a")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return palette


#: Outline of check boxes and radio buttons on a dark window (Fusion draws them a shade darker
#: than the window, #1f1f1f on #2b2b2b: an unchecked box could not be seen).
DARK_INDICATOR_OUTLINE = "#9a9a9a"

_INDICATORS = (
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
    QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
)


class FusionStyle(QProxyStyle):
    """Fusion, with check box and radio button outlines that show on a dark window."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(  # noqa: N802 (Qt override)
        self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None
    ) -> None:
        if element in _INDICATORS and is_dark(option.palette):
            option = type(option)(option)  # Fusion's outline is the window colour, darkened
            option.palette.setColor(QPalette.ColorRole.Window, QColor(DARK_INDICATOR_OUTLINE).lighter(140))
        super().drawPrimitive(element, option, painter, widget)


def apply_theme(app: QApplication, theme: str) -> None:
    """Use ``theme`` (``system``, ``light`` or ``dark``) for the whole application.

    ``system`` restores the platform's own style and palette as found at the first call.
    """
    if not _SYSTEM:
        _SYSTEM["style"] = app.style().name()
        _SYSTEM["palette"] = QPalette(app.palette())
    if theme == "system":
        app.setStyle(QStyleFactory.create(str(_SYSTEM["style"])))
        app.setPalette(_SYSTEM["palette"])  # type: ignore[arg-type]
        return
    if theme not in ("light", "dark"):
        raise ValueError(f"unknown theme {theme!r}; expected system, light or dark")
    app.setStyle(FusionStyle())
    app.setPalette(make_palette(theme == "dark"))


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def alert_color(palette: QPalette) -> QColor:
    """The red of warnings and thresholds, readable on ``palette``'s base (light on dark)."""
    return QColor("#ff8a80") if is_dark(palette) else QColor("#d62728")


def blend(base: QColor, tint: QColor, amount: float) -> QColor:
    """``base`` moved ``amount`` (0..1) of the way towards ``tint`` (row tints over Base)."""
    pairs = zip((base.red(), base.green(), base.blue()), (tint.red(), tint.green(), tint.blue()),
                strict=True)  # fmt: skip
    return QColor(*(round(b + (t - b) * amount) for b, t in pairs))


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (same) .. 21 (black on white)."""

    def luminance(c: QColor) -> float:
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
               for v in (c.redF(), c.greenF(), c.blueF())]  # fmt: skip
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
