"""Keep windows on the screen: the main window at start, every dialog each time it shows.

A dialog sized for a large desktop (the help, the model history) or whose content is tall
(Retrain) opened past the bottom of a 1280x720 screen at 125 % (1024x576 logical pixels), its
buttons out of reach. :func:`fit_on_show` shrinks such a dialog to the screen's free area when
it shows; content taller than that scrolls (:func:`scrolled`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea, QStyle, QWidget


def screen_area(w: QWidget) -> QRect:
    """The free area (without panels and docks) of the screen ``w`` shows on."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_area(w: QWidget, area: QRect) -> None:
    """Shrink and move the top-level ``w`` so all of it, frame included, lies inside ``area``.

    Before the window system frames a new window its frame is unknown: a title bar's height is
    kept free then, so that the frame added later does not push the buttons off the screen.
    """
    frame = w.frameGeometry()
    extra_w = frame.width() - w.width()
    extra_h = frame.height() - w.height()
    if extra_h == 0 and not w.windowFlags() & Qt.WindowType.FramelessWindowHint:
        extra_h = w.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
    width = min(w.width(), area.width() - extra_w)
    height = min(w.height(), area.height() - extra_h)
    if (width, height) != (w.width(), w.height()):
        w.resize(width, height)
    x = min(max(frame.x(), area.x()), area.right() - width - extra_w + 1)
    y = min(max(frame.y(), area.y()), area.bottom() - height - extra_h + 1)
    if (x, y) != (frame.x(), frame.y()):
        w.move(x, y)


class _FitOnShow(QObject):
    """Event filter of one dialog: fit it to its screen's free area each time it shows."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            fit_to_area(watched, screen_area(watched))
        return False


def fit_on_show(dialog: QWidget) -> None:
    """Fit ``dialog`` to its screen's free area whenever it shows (its size, then its place).

    Parameters
    ----------
    dialog : QWidget
        A top-level window; its layout's minimum size still applies, so content that may be
        taller than a small screen belongs in a :func:`scrolled` area.
    """
    dialog.installEventFilter(_FitOnShow(dialog))


def scrolled(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that resizes it: it scrolls where the window is
    shorter (or narrower) than it."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(content)
    return area
