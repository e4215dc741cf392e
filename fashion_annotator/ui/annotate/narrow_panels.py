"""The Annotate tab's panels give way on a narrow screen instead of widening the window.

With every panel shown the window needed 1148 logical pixels: the Images panel's status and
order boxes and the Instances panel's buttons and boxes each kept their whole width, so at
125 % of 1280x720 (1024x576) or 150 % of 1600x1000 (1067x667) the window was wider than the
screen and the Labels and Instances panels were cut off at its right edge. Each panel now has
a narrowest width below its content's: a box shows the start of its choice (its list and
tooltip show all of it), the Instances panel narrower than its content scrolls sideways. At the
default sizes the panels open exactly as wide as before (:func:`fit_panels`), and in a wider
window a panel left narrower than its content gets its width back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QStyle

from fashion_annotator.ui.screen_fit import VerticalScroll

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

#: The narrowest the Instances panel gets (logical pixels); its wider content scrolls sideways.
INSTANCES_MIN_WIDTH = 200
#: Characters of the Images panel's order box shown at its narrowest (the list shows them all).
ORDER_MIN_CHARS = 10
#: Characters of the Images panel's status filter shown at its narrowest.
STATUS_MIN_CHARS = 6
_TIP = "narrowPanelsTip"  # a box's own tooltip, kept when the choice is put before it
#: The widths the Images and the right-hand panels asked for before they could be narrower.
QUEUE_WIDTH, RIGHT_WIDTH = 250, 210


def fit_panels(w: MainWindow) -> None:
    """Open ``w``'s docks as wide as their whole content, then let them get narrower.

    The docks are given their former widths (the content's whole width, or the default when
    wider), so a 1280x720 or larger window looks as it did; a window narrower than that (it
    opens on a small screen) shares the cut between the panels, down to their narrowest.
    """
    combos = {w.queue.order_combo: ORDER_MIN_CHARS, w.queue.status_filter: STATUS_MIN_CHARS}
    body = w.instances.widget()
    for combo in combos:
        combo.setMinimumWidth(0)
    if isinstance(body, VerticalScroll):
        body.allow_narrow(None)
    whole = _dock_widths(w)
    wanted = [max(QUEUE_WIDTH, whole[0]), max(RIGHT_WIDTH, whole[1])]
    for combo, chars in combos.items():
        _compact_combo(combo, chars)
    if isinstance(body, VerticalScroll):
        body.allow_narrow(INSTANCES_MIN_WIDTH)
    least = _dock_widths(w)
    _share(w, wanted, least)
    w.installEventFilter(_Regrow(w, wanted, least))


def share_again(w: MainWindow) -> None:
    """Give ``w``'s docks the widths they open with again, as far as the window has room
    (View > Reset layout, :func:`~fashion_annotator.ui.window_layout.reset`)."""
    regrow = w.findChild(_Regrow)
    if regrow is not None:
        _share(w, regrow.wanted, regrow.least)


def _room(w: MainWindow) -> int:
    """The width the docks share beside the canvas at its narrowest."""
    separators = 2 * w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, w)
    return w.width() - w.tabs.minimumSizeHint().width() - separators


def _share(w: MainWindow, wanted: list[int], least: list[int]) -> None:
    """Give the docks :func:`shared_widths` of ``w``'s width."""
    w.resizeDocks([w.queue, w.palette_dock], shared_widths(wanted, least, _room(w)), Qt.Orientation.Horizontal)


def _widen(w: MainWindow, wanted: list[int], least: list[int]) -> None:
    """Widen each shown dock that is narrower than its share of ``w``'s width (left narrow by
    a smaller screen, or restored so from one); a wider one stays as the operator made it."""
    docks = [w.queue, w.palette_dock]
    target = shared_widths(wanted, least, _room(w))
    pairs = [(d, t) for d, t in zip(docks, target, strict=True) if d.isVisible() and d.width() < t]
    if pairs:
        w.resizeDocks([d for d, _ in pairs], [t for _, t in pairs], Qt.Orientation.Horizontal)


class _Regrow(QObject):
    """Event filter of the window: when it shows, and each time it gets wider (moved to a
    larger screen, maximised), a dock narrower than its content gets its width back as far as
    the window has room (a window state saved on a laptop screen at 150 % opened its panels
    cut on a 1600x1000 screen)."""

    def __init__(self, w: MainWindow, wanted: list[int], least: list[int]) -> None:
        super().__init__(w)
        self._window, self.wanted, self.least = w, wanted, least
        self._width = w.width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() in (QEvent.Type.Show, QEvent.Type.Resize):
            width, grew = self._window.width(), self._window.width() > self._width
            self._width = width
            if event.type() == QEvent.Type.Show or grew:
                QTimer.singleShot(0, self, lambda: _widen(self._window, self.wanted, self.least))
        return False


def _dock_widths(w: MainWindow) -> list[int]:
    """The least widths of the Images dock and of the right-hand docks, measured afresh."""
    docks = (w.queue, w.palette_dock, w.instances)
    for dock in docks:  # the layouts cache the minimums they measured before a change
        body = dock.widget()
        for layout in (body.layout() if body else None, dock.layout()):
            if layout is not None:
                layout.invalidate()
                layout.activate()
        if body is not None:
            body.updateGeometry()
    widths = [dock.minimumSizeHint().width() for dock in docks]
    return [widths[0], max(widths[1:])]


def shared_widths(wanted: list[int], least: list[int], room: int) -> list[int]:
    """Panel widths: ``wanted`` where ``room`` holds them all, else each cut towards its
    ``least`` width in proportion to what it can give (a window that opens on a narrow screen
    keeps its canvas; Qt would only squeeze the last panel and leave the window too wide).

    Parameters
    ----------
    wanted, least : list of int
        Each panel's whole width and its narrowest.
    room : int
        The width the panels share beside the canvas at its narrowest.

    Returns
    -------
    list of int
        One width per panel, never below its ``least``.
    """
    spare = sum(wanted) - sum(least)
    cut = min(max(sum(wanted) - room, 0), spare)
    if cut == 0:
        return list(wanted)
    return [want - round(cut * (want - low) / spare) for want, low in zip(wanted, least, strict=True)]


def _compact_combo(combo: QComboBox, least_chars: int) -> None:
    """``combo`` as wide as its longest choice where there is room, as narrow as
    ``least_chars`` characters where there is not; its tooltip names the choice."""
    chars = combo.fontMetrics().averageCharWidth() * least_chars
    arrow = combo.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + combo.sizeHint().height()
    combo.setMinimumWidth(min(combo.minimumSizeHint().width(), chars + arrow))
    if combo.property(_TIP) is not None:
        return
    combo.setProperty(_TIP, combo.toolTip())

    def _tip() -> None:
        tip = combo.property(_TIP)
        combo.setToolTip(f"{combo.currentText()} — {tip}" if tip else combo.currentText())

    combo.currentIndexChanged.connect(_tip)
    _tip()
