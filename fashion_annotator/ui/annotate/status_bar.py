"""The main window's status bar: cursor, label under the cursor, tool, device, model, saved."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QRect, Qt, QTimer, SignalInstance
from PySide6.QtGui import QFontMetrics, QIcon, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QPushButton,
    QSizeGrip,
    QStatusBar,
    QStyle,
    QStyleOption,
    QWidget,
)

from fashion_annotator.ui.actions import TOOLS

#: How the message of a save starts (:meth:`.image_session.ImageSession.save`'s "Saved NAME at
#: TIME"): :meth:`StatusBar.set_saved` takes it away at the next edit.
SAVED_MESSAGE = "Saved "

#: The model field while the model is not known yet (loading, or the first proposal computing).
LOADING = "model: loading…"

#: The most room (pixels) the busy text takes of the fields' room: a File job's "Export COCO:
#: 312 / 1,000"; a longer one is cut, whole in its tooltip.
BUSY_ROOM = 200

#: The busy reasons (:meth:`StatusBar.set_busy`): a running File job, the open photo's proposal.
#: The indicator stays while any is busy; its text is the File job's while one runs.
JOB = "job"
PROPOSAL = "proposal"

#: The busy text while the open photo's proposal computes (:meth:`StatusBar.set_proposal_busy`).
PROPOSAL_TEXT = "Computing proposal…"

#: Milliseconds a message stays per character, at least (:meth:`StatusBar.say`): "it was Done, your
#: edit is saved as version 3 (Edit > Go back to an earlier version… ...)" went after 5 s.
READ_MS_PER_CHAR = 100

#: Tool name -> what the status bar shows: its menu text without the mnemonic.
TOOL_NAMES = {name: text.replace("&", "") for name, text, _ in TOOLS}


def _field(min_width: int, tip: str) -> QLabel:
    label = QLabel()
    label.setMinimumWidth(min_width)
    label.setToolTip(tip)
    label.setContentsMargins(6, 0, 6, 0)
    return label


def word_elided(metrics: QFontMetrics, text: str, width: int) -> str:
    """``text`` whole where it fits in ``width`` pixels, else its first words and "…" (cut at
    a character only where not even the first word fits): "the 47 images expor" was cut mid-word.

    Parameters
    ----------
    metrics : QFontMetrics
        The font it is drawn in.
    text : str
        The whole text.
    width : int
        The room, in pixels.

    Returns
    -------
    str
        What is drawn.
    """
    if metrics.horizontalAdvance(text) <= width:
        return text
    words = text.split(" ")
    for count in range(len(words) - 1, 0, -1):
        head = " ".join(words[:count]).rstrip(" ,;:—-")
        if head and metrics.horizontalAdvance(head + "…") <= width:
            return head + "…"
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(width, 0))


def _width(widget: QWidget) -> int:
    """The least room ``widget`` is laid out in when there is room: its size hint, or more."""
    return max(widget.sizeHint().width(), widget.minimumWidth())


class StatusBar(QStatusBar):
    """Permanent fields on the right, transient messages on the left (the whole of a message
    too long for a narrow window in the bar's tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(self.setToolTip)
        self.messageChanged.connect(self._make_room)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.setToolTip("Computing the proposal and superpixels in the background")
        self.busy.hide()
        self.busy_text = QLabel()
        # its text is cut on a narrow window rather than widen it (the window grew at each
        # proposal and never shrank back): the whole text is in its tooltip
        self.busy_text.setMinimumWidth(1)
        self.busy_text.hide()
        self._busy_full = ""  # the busy text before it is cut to its room (:meth:`_make_room`)
        self._busy_on = False  # the indicator is on (:meth:`set_busy`); a long message hides it
        self._busy: dict[str, str] = {}  # busy reason -> its text (:meth:`set_busy`)
        #: Stops the running File job after the file in hand (:meth:`show_cancel`).
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the file in hand: an import keeps what it saved, "
                                      "an export leaves a partial folder")  # fmt: skip
        self.cancel_button.hide()
        self._on_cancel: Callable[[], None] | None = None
        self.cancel_button.clicked.connect(self._cancel_clicked)
        #: Shows the whole summary of the last File job (:meth:`show_details`).
        self.details_button = QPushButton("Details…")
        self.details_button.hide()
        self._on_details: Callable[[], None] | None = None
        self.details_button.clicked.connect(self._details_clicked)
        self.position = _field(110, "Cursor position in image pixels (x, y)")
        self.label = _field(120, "Label under the cursor")
        self.tool = _field(90, "Current tool (and brush size)")
        self.zoom = _field(60, "Zoom: screen pixels per photo pixel")  # its key: ui/key_hints
        self.device = _field(90, "Device that computes the model proposals")
        self.model = _field(110, "Version of the proposal model")
        self.saved = _field(70, "Whether the open image has unsaved edits")
        for widget in (
            self.busy_text,
            self.busy,
            self.cancel_button,
            self.details_button,
            self.position,
            self.label,
            self.tool,
            self.zoom,
            self.device,
            self.model,
            self.saved,
        ):
            self.addPermanentWidget(widget)
        #: The fields a message that does not fit takes the room of, least needed first.
        self.yielding = (self.position, self.label, self.device, self.zoom, self.model)
        #: The fields that stay beside a message whose whole text is behind the Details button
        #: (it is cut at a word instead): a cancelled export's summary hid them at 853 px.
        self.kept_for_details = (self.zoom, self.model)
        self.set_cursor(-1, -1, None)
        self.set_tool("brush")
        self.set_device("CPU")
        self.set_model(None, known=False)  # "no model" stayed for 25 s after a start with one
        self.set_saved(True)

    def _make_room(self, text: str, coming: tuple[QWidget, ...] = ()) -> None:
        """Give a message that does not fit beside the fields the room of the least needed ones
        while it shows (:attr:`yielding`); they come back when it goes. At 150 % on a 1280 px
        screen the fields left a message 20 characters: "The open polygon (3".

        ``coming``: widgets about to be shown, counted as shown. Qt lays the window out at once
        when a widget shows, so fields are hidden before it shows and shown only where they fit:
        a File job's Cancel button shown beside every field widened an 853 px window to 901 px,
        for good. The busy text takes what the message leaves, up to :data:`BUSY_ROOM`, and is
        cut to it (whole in its tooltip); at 1280 px it cut the saved-version line. While the
        Details button shows, the message's whole text is behind it: the zoom and model fields
        (:attr:`kept_for_details`) stay and the message is cut after a word (:meth:`shown_message`)."""
        gap = max(self.style().pixelMetric(self.style().PixelMetric.PM_LayoutHorizontalSpacing), 6)
        busy = self._busy_on
        details = not self.details_button.isHidden() or self.details_button in coming
        fixed = self.kept_for_details if details else ()
        yielding: tuple[QWidget, ...] = tuple(w for w in self.yielding if w not in fixed)
        yielding = (*yielding, self.busy) if busy else yielding
        others = [w for w in self.findChildren(QWidget) if w.parent() is self and w is not self.busy_text
                  and w not in yielding and (not w.isHidden() or w in coming or w in fixed)]  # fmt: skip
        fields = sum(_width(w) + gap for w in (*others, *yielding))
        metrics = self.fontMetrics()
        message = metrics.horizontalAdvance(text) + 24 if text else 0
        wanted = min(metrics.horizontalAdvance(self._busy_full), BUSY_ROOM) + gap if busy else 0
        short = message + wanted - (self.width() - fields)
        shown: list[QWidget] = list(fixed)
        for field in yielding:
            # the spinner goes only where the message itself does not fit (its text cut to nothing)
            if short - (wanted if field is self.busy else 0) > 0:
                field.hide()
                short -= _width(field) + gap
                fields -= _width(field) + gap
            else:
                shown.append(field)
        for field in shown:
            field.show()
        if busy:
            room = min(self.width() - fields - message - gap, BUSY_ROOM)
            self.busy_text.setText(metrics.elidedText(self._busy_full, Qt.TextElideMode.ElideRight, max(room, 0)))

    def shown_message(self) -> str:
        """The message as drawn: whole, or cut after a word with "…" where the fields leave it
        too little room (:func:`word_elided`; the whole of it in the bar's tooltip)."""
        text = self.currentMessage()
        return word_elided(self.fontMetrics(), text, self._message_rect().width()) if text else ""

    def _message_rect(self) -> QRect:
        """Where the message is drawn: from the left edge to the first field shown (as Qt's own)."""
        right = self.width() - 12
        for widget in self.findChildren(QWidget):
            if widget.parent() is self and widget.isVisible() and widget.x() > 0:
                right = min(right, widget.x() - (0 if isinstance(widget, QSizeGrip) else 2))
        return self.rect().adjusted(6, 0, right - self.width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw as Qt does, the message cut after a word (:meth:`shown_message`): Qt cut it at
        any character ("…the 47 images expor")."""
        if not self.currentMessage():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        for widget in self.findChildren(QWidget):
            if widget.parent() is self and widget.isVisible() and not isinstance(widget, QSizeGrip):
                frame = QStyleOption()
                frame.rect = widget.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame, painter, widget)
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.drawText(self._message_rect(), int(flags), self.shown_message())
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Share the new width out again: fields back in a wider window, the busy text longer."""
        super().resizeEvent(event)
        self._make_room(self.currentMessage())

    def _show(self, widgets: tuple[QWidget, ...], visible: bool) -> None:
        """Show or hide ``widgets``, the fields making room for them first."""
        if visible:
            self._make_room(self.currentMessage(), widgets)
        for widget in widgets:
            widget.setVisible(visible)
        if not visible:
            self._make_room(self.currentMessage())

    def say(self, text: str, ms: int) -> None:
        """Show ``text`` for ``ms``, or longer for a long line: :data:`READ_MS_PER_CHAR` a
        character, time to read it to its end."""
        self.showMessage(text, max(ms, len(text) * READ_MS_PER_CHAR))

    def set_cursor(self, x: int, y: int, label: str | None) -> None:
        """Show the cursor's image position and the label there (``x < 0``: outside)."""
        self.position.setText("—" if x < 0 else f"x {x}  y {y}")
        self.label.setText("" if label is None else label)

    def set_tool(self, tool: str, radius: float | None = None) -> None:
        """Show the current tool, with the brush diameter for the brush and the eraser."""
        text = TOOL_NAMES.get(tool, tool)
        if radius is not None and tool in ("brush", "eraser"):
            text += f" {2 * radius:.0f} px"
        self.tool.setText(text)

    def set_zoom(self, zoom: float) -> None:
        """Show the zoom as a percentage of the photo's pixels."""
        self.zoom.setText(f"{zoom * 100:.0f} %")

    def set_device(self, device: str) -> None:
        """Show the compute device, e.g. ``"CPU"`` or the GPU's name."""
        self.device.setText(device)

    def set_model(self, version: str | None, known: bool = True) -> None:
        """Show the proposal model's version (None: no model; ``known`` False: not known yet,
        "model: loading…", the model is still loading or the first proposal computing)."""
        full = LOADING if not known else "no model" if version is None else f"model {version}"
        # the run's date goes to the tooltip: the field took the room of the messages at 1280 px
        self.model.setText(full.split(" (")[0])
        what = "not known yet (loading)" if not known else full.removeprefix("model ")
        self.model.setToolTip(f"Version of the proposal model: {what}")

    def set_saved(self, saved: bool) -> None:
        """Show whether the open image is saved; unsaved again, a save's message on the left goes
        (it said "Saved ..." beside "● Unsaved")."""
        if not saved and self.currentMessage().startswith(SAVED_MESSAGE):
            self.clearMessage()
        self.saved.setText("Saved" if saved else "● Unsaved")
        self.saved.setStyleSheet("" if saved else "color: #c62828; font-weight: 600;")

    def said_again(self, said: SignalInstance, run: Callable[[], object], ms: int = 10000) -> None:
        """Call ``run`` and show what ``said`` says meanwhile once more when the event running
        it is handled.

        The polygon an image switch closes says so, and the switch's own "Saved NAME at ..."
        replaced that at once, in the same key press: nobody read where the polygon went. Only
        the save's line (or none) is covered: a refusal said since ("No proposal for this image
        yet", "Import not started: ...") stays."""
        texts: list[str] = []

        def note(text: str) -> None:
            texts.append(text)

        said.connect(note)
        try:
            run()
        finally:
            said.disconnect(note)
        for text in texts:
            QTimer.singleShot(0, self, partial(self._say_again, text, ms))

    def _say_again(self, text: str, ms: int) -> None:
        """Show ``text`` for ``ms`` unless a message other than a save's is shown."""
        now = self.currentMessage()
        if not now or now == text or now.startswith(SAVED_MESSAGE):
            self.showMessage(text, ms)

    def set_busy(self, busy: bool, text: str = "Computing…", reason: str = PROPOSAL) -> None:
        """Mark ``reason`` (:data:`JOB`, :data:`PROPOSAL`) busy with ``text``, or no longer busy.

        The indicator shows while any reason is busy, with the File job's text while one runs,
        else the last one's. A photo opened during an export replaced the job's text with
        "Computing proposal…", and the proposal's end took the indicator away while the job
        and its Cancel button still ran."""
        if busy:
            self._busy[reason] = text
        else:
            self._busy.pop(reason, None)
        self._busy_on = bool(self._busy)
        shown = self._busy[JOB] if JOB in self._busy else next(reversed(self._busy.values()), "")
        self._busy_full = shown
        self.busy_text.setToolTip(shown)
        if not self._busy_on:
            self.busy.hide()
        self._show((self.busy_text,), self._busy_on)  # the indicator takes room too; its text is cut to it

    def set_proposal_busy(self, busy: bool) -> None:
        """Mark the open photo's proposal (and superpixels) computing, or done."""
        self.set_busy(busy, PROPOSAL_TEXT, PROPOSAL)

    @property
    def is_busy(self) -> bool:
        """Whether the busy indicator is on, for any reason (a long message may hide it meanwhile)."""
        return self._busy_on

    def show_cancel(self, on_cancel: Callable[[], None] | None) -> None:
        """Show the Cancel button, calling ``on_cancel`` when clicked; None hides it."""
        self._on_cancel = on_cancel
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self._show((self.cancel_button,), on_cancel is not None)

    def show_details(self, on_click: Callable[[], None] | None, tip: str = "", warn: bool = False) -> None:
        """Show the Details button, calling ``on_click`` once when clicked (it then hides); None
        hides it. ``tip``: its tooltip; ``warn``: a warning icon (something did not come in).

        A File job's summary is said in the status bar, its refused files and notes behind this
        button: a box in front of the photo stopped the operator at every folder opened."""
        self._on_details = on_click
        self.details_button.setToolTip(tip)
        warning = self.style().standardIcon(self.style().StandardPixmap.SP_MessageBoxWarning)
        self.details_button.setIcon(warning if warn else QIcon())
        self._show((self.details_button,), on_click is not None)

    def _details_clicked(self) -> None:
        on_click = self._on_details
        self.show_details(None)
        if on_click is not None:
            on_click()

    def cancelling(self) -> None:
        """Say at once that the cancel was heard: the button reads "Cancelling…", greyed, until
        the job stops (after the file in hand)."""
        self.cancel_button.setText("Cancelling…")
        self.cancel_button.setEnabled(False)

    def _cancel_clicked(self) -> None:
        if self._on_cancel is not None:
            self._on_cancel()
