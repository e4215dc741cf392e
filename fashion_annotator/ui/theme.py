"""Light, dark or system appearance: one palette for every widget, icons and colours follow it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

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
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(make_palette(theme == "dark"))


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
