"""Icons: the tool icons drawn as SVG under ``resources/icons/`` and coloured status dots."""

from __future__ import annotations

import re
from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.wording import STATUS_NAMES
from fashion_annotator.resources import resource_path

ICON_SIZES = (16, 20, 24, 32, 48)

_STATUS_COLOURS = {"new": "#9e9e9e", "in_progress": "#fb8c00", "done": "#1e88e5",
                   "approved": "#43a047", "rejected": "#e53935"}  # fmt: skip
# Image status -> (display name, colour); the colour is used for dots, counts and filters.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    status: (STATUS_NAMES[status], colour) for status, colour in _STATUS_COLOURS.items()
}


class IconError(FileNotFoundError):
    """A tool icon is missing from ``resources/icons/``."""


ICON_INK = "#37474f"
"""The drawing colour of the SVGs; replaced by the palette's text colour when rendered."""


def icon(name: str) -> QIcon:
    """Return the tool icon ``resources/icons/NAME.svg`` in the current palette's text colour.

    The SVGs are drawn in :data:`ICON_INK`; that colour becomes the application palette's
    button-text colour, so the icons stay visible under a dark palette (accent colours of an
    icon are kept).

    Raises
    ------
    IconError
        When the SVG file does not exist or is not valid SVG.
    """
    palette = QApplication.palette()
    ink = palette.color(QPalette.ColorRole.ButtonText).name()
    faded = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).name()
    return _icon(name, ink, faded)


#: Opacity of a disabled icon, drawn in the palette's disabled text colour: Qt's own disabled
#: pixmap of a light icon on the dark theme was nearly as bright as the enabled one (0.80 / 0.90).
DISABLED_OPACITY = 0.55

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b")


def _disabled_svg(text: str, faded: str) -> str:
    """``text`` with every colour but white in ``faded``: a disabled icon's green accent (the
    accept check, Smart click's plus) stayed green and looked as clickable as the enabled one."""
    return _COLOUR.sub(lambda m: m.group(0) if m.group(0).lower() == "#ffffff" else faded, text)


@cache
def _icon(name: str, ink: str, faded: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    if not path.is_file():
        raise IconError(f"{path}: icon file not found")
    text = path.read_text(encoding="utf-8")
    result = QIcon()
    drawn = ((text.replace(ICON_INK, ink), QIcon.Mode.Normal, 1.0),
             (_disabled_svg(text, faded), QIcon.Mode.Disabled, DISABLED_OPACITY))  # fmt: skip
    for svg, mode, opacity in drawn:
        renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        if not renderer.isValid():
            raise IconError(f"{path}: not a valid SVG file")
        for size in ICON_SIZES:
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setOpacity(opacity)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            result.addPixmap(pixmap, mode)
    return result


@cache
def color_dot(color: str, size: int = 14, outline: str = "#00000040") -> QIcon:
    """Return a round dot icon of ``color`` (any CSS-style colour name or ``#rrggbb``)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(outline), 1.0))
    painter.setBrush(QColor(color))
    painter.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
    painter.end()
    return QIcon(pixmap)


def status_icon(status: str) -> QIcon:
    """Return the dot icon of an image status (``new``, ``in_progress``, ...)."""
    return color_dot(STATUS_STYLE.get(status, (status, "#bdbdbd"))[1])


#: Border of colour swatches without an application palette: mid-grey.
SWATCH_BORDER = "#8c8c8c"


def swatch_border() -> QColor:
    """The border of colour swatches: the palette's text colour (dark on a light list, light
    on a dark one), else :data:`SWATCH_BORDER`. The fixed mid-grey, drawn half a pixel off,
    showed as a dim #737373 ring on the dark theme's lists: dark swatches read as holes."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return QColor(SWATCH_BORDER)
    return app.palette().color(QPalette.ColorRole.Text)


def swatch(rgb: tuple[int, int, int], size: int = 18) -> QIcon:
    """Return a square colour swatch icon for a label colour given as 0..255 RGB.

    Its border is the palette's text colour (:func:`swatch_border`), a crisp ring on whole
    pixels that contrasts with the list behind it in the light and the dark theme alike."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(swatch_border(), 2.0))
    painter.setBrush(QColor(*rgb))
    painter.drawRoundedRect(QRectF(2.0, 2.0, size - 4, size - 4), 3, 3)
    painter.end()
    return QIcon(pixmap)
