"""Keep windows on the screen: the main window at start, every dialog each time it shows.

A dialog sized for a large desktop (the help, the model history) or whose content is tall
(Retrain) opened past the bottom of a 1280x720 screen at 125 % (1024x576 logical pixels), its
buttons out of reach. :func:`fit_on_show` shrinks such a dialog to the screen's free area when
it shows; content taller than that scrolls (:func:`scrolled`). A dock's panel taller than a
small screen scrolls too (:func:`scrolled_vertically`), so the main window fits a 1280x720
screen with every panel shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QScrollArea, QStyle, QWidget


def screen_area(w: QWidget) -> QRect:
    """The free area (without panels and docks) of the screen ``w`` shows on."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_area(w: QWidget, area: QRect, *, move: bool = True) -> None:
    """Shrink and move the top-level ``w`` so all of it, frame included, lies inside ``area``
    (``move`` False: only shrink it).

    Before the window system frames a new window its frame is unknown: a title bar's height is
    kept free then, so that the frame added later does not push the buttons off the screen. A
    window made (given its native window) before it was framed places its content, not its
    frame, where it is moved: the title bar is kept free above the content then (the main
    window restored with a floating panel is made early; its title bar lay above the screen,
    where it could not be dragged, at every start). Such a window not placed yet (a dialog
    shown for the first time) is left where Qt places it: over its window, on the screen.
    """
    frame = w.frameGeometry()
    extra_w = frame.width() - w.width()
    extra_h = frame.height() - w.height()
    made_unframed = False
    if extra_h == 0 and not w.windowFlags() & Qt.WindowType.FramelessWindowHint:
        extra_h = w.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
        made_unframed = w.testAttribute(Qt.WidgetAttribute.WA_WState_Created)
    top = frame.y() - extra_h if made_unframed else frame.y()  # where the frame's top will be
    width = min(w.width(), area.width() - extra_w)
    height = min(w.height(), area.height() - extra_h)
    if (width, height) != (w.width(), w.height()):
        w.resize(width, height)
    if not move:
        return
    x = min(max(frame.x(), area.x()), area.right() - width - extra_w + 1)
    y = min(max(top, area.y()), area.bottom() - height - extra_h + 1)
    if made_unframed:  # placed by Qt (a dialog over its window) unless placed before
        if w.testAttribute(Qt.WidgetAttribute.WA_Moved) and (x, y + extra_h) != (w.x(), w.y()):
            w.setGeometry(x, y + extra_h, width, height)
    elif (x, y) != (frame.x(), frame.y()):
        w.move(x, y)


class _FitOnShow(QObject):
    """Event filter of one dialog: fit it to its screen's free area each time it shows."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            # Not placed yet: Qt places it next (a dialog over its window, on that window's
            # screen); moved now, where the frame is known before it shows (Windows), it stayed
            # in the corner of the first screen.
            placed = watched.testAttribute(Qt.WidgetAttribute.WA_Moved)
            parent = watched.parentWidget()
            over = watched if placed or parent is None else parent.window()
            fit_to_area(watched, screen_area(over), move=placed)
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


def grow_on_screen(w: QWidget, size: QSize) -> None:
    """Grow the top-level ``w`` to ``size`` (never shrinking it), all of it kept on its screen.

    For content that grew after the window was sized (the Retrain dialog's counted masks: three
    lines where the count took one), which scrolled in a dialog a tall screen had room for.
    A window not shown yet is fitted when it shows (:func:`fit_on_show`).
    """
    w.resize(w.size().expandedTo(size))
    if w.isVisible():
        fit_to_area(w, screen_area(w))


def scrolled(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that resizes it: it scrolls where the window is
    shorter (or narrower) than it. The area is no Tab stop of its own (the Retrain dialog's
    first Tab stop was the area, which takes no input); a child tabbed to out of sight is
    scrolled into it (:meth:`QScrollArea.focusNextPrevChild`)."""
    area = QScrollArea()
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(content)
    return area


class FocusFollower(QObject):
    """Scrolls its scroll area to a child of the area's content that takes the keyboard focus
    out of sight (a shortcut's or a mnemonic's box below the fold: Qt scrolls only for Tab),
    unless the child is taller than the area (a list), which stays where it was scrolled."""

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)  # goes with the area, and its connection with it
        self.area = area
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    @Slot(QWidget, QWidget)
    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self.area.widget()
        if new is None or content is None or not content.isAncestorOf(new):
            return
        shown = new.visibleRegion().boundingRect().size() == new.size()
        view = self.area.viewport().size()
        if shown or new.height() > view.height():
            return
        # all of it, with room around where there is some (ensureWidgetVisible shows only a
        # table's current cell: the Review table's header and filters stayed above the fold)
        top_left = new.mapTo(content, QPoint(0, 0))
        half_w, half_h = min(new.width(), view.width()) // 2, new.height() // 2
        room = min(50, (view.height() - new.height()) // 2)
        self.area.ensureVisible(top_left.x() + half_w, top_left.y() + half_h, half_w, half_h + room)


class VerticalScroll(QScrollArea):
    """A scroll area as narrow as its content allows: only its height gives way. It is no tab
    stop of its own; a child that takes the keyboard focus out of sight is scrolled into it
    (:class:`FocusFollower`)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._narrowest: int | None = None
        self.focus_follower = FocusFollower(self)

    def allow_narrow(self, width: int | None) -> None:
        """Let the area get as narrow as ``width`` (None: as its content): narrower than its
        content, it scrolls sideways too (a panel on a narrow screen), rather than widen the
        window."""
        self._narrowest = width
        policy = Qt.ScrollBarPolicy
        self.setHorizontalScrollBarPolicy(policy.ScrollBarAlwaysOff if width is None else policy.ScrollBarAsNeeded)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        least = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return least
        bar = self.verticalScrollBar().sizeHint().width()
        width = content.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        if self._narrowest is not None:
            width = min(width, self._narrowest)
        return QSize(width, least.height())


def scrolled_vertically(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that scrolls up and down only.

    A panel (a dock) that is taller than a small screen scrolls instead of making the window
    taller than the screen; its width stays the one ``content`` needs, so nothing in it is cut
    off at the side.
    """
    area = VerticalScroll()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    return area
