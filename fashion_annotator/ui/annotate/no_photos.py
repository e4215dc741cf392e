"""A project with no photos yet: the canvas says how to add some, and the photo actions (Propose,
Mark done, Next image...) say why they do nothing.

An empty project showed a blank canvas, and Propose and Mark done did nothing without a word
(a hand test).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.ui.shortcuts import key_name

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

#: The window actions that work on the open photo: with no photos they say why they do nothing.
PHOTO_ACTIONS = ("done", "accept", "save", "next", "previous", "next_free", "undo", "redo", "go_back", "zoom_mask")

#: How long (ms) the status bar says why a photo action did nothing.
SAY_MS = 6000


def no_photos_text() -> str:
    """What the canvas and the status bar say: "No photos yet: File > Add photos… (Ctrl+Shift+A)",
    with the operator's key for Add photos."""
    return f"No photos yet: File > Add photos… ({key_name('add_photos', 'Ctrl+Shift+A')})"


class NoPhotos(QObject):
    """The canvas's hint while the project has no photos, and the photo actions' answer then.

    Attributes
    ----------
    hint : QLabel
        Centred on the canvas, shown only while the project has no photos.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        viewport = window.canvas.viewport()
        self.hint = QLabel(viewport)
        self.hint.setObjectName("noPhotosHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hint.setStyleSheet("color: #e6e6e6; font-size: 13pt; background: transparent;")
        self.hint.hide()
        viewport.installEventFilter(self)
        model = window.queue.model
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self.update)
        for name in PHOTO_ACTIONS:
            action = window.actions_by_name[name]
            action.triggered.connect(partial(self.say_why, action.text().replace("&", "")))
        for button in window.instances.buttons.values():
            button.clicked.connect(partial(self.say_why, button.text().replace("&", "")))

    def empty(self) -> bool:
        """Whether the project has no photo (a store that cannot be read: not said empty)."""
        if self.window.queue.model.rowCount() > 0:
            return False
        try:
            return sum(self.window.project.counts().values()) == 0
        except ProjectError:
            return False

    def update(self) -> None:
        """Show the hint while the project has no photos, fitted to the canvas."""
        empty = self.empty()
        if empty:
            self.hint.setText(no_photos_text())
            self.hint.setGeometry(self.window.canvas.viewport().rect())
        self.hint.setVisible(empty)

    def say_why(self, what: str, *_args: object) -> None:
        """Say in the status bar why the photo action ``what`` (its name) did nothing: the
        project has no photos ("Mark done and next: nothing to do, the project has no photos
        yet; File > Add photos… (Ctrl+Shift+A)")."""
        if self.window.session.current is None and self.empty():
            how = no_photos_text().removeprefix("No photos yet: ")
            self.window.status.showMessage(f"{what}: nothing to do, the project has no photos yet; {how}", SAY_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Keep the hint over the whole canvas as it is resized."""
        if event.type() == QEvent.Type.Resize and self.hint.isVisible():
            self.hint.setGeometry(self.window.canvas.viewport().rect())
        return super().eventFilter(watched, event)


def install(window: MainWindow) -> NoPhotos:
    """Watch ``window``'s project for having no photos (:class:`NoPhotos`); say so at once when it has none."""
    watch = NoPhotos(window)
    watch.update()
    if watch.hint.isVisible():
        window.status.showMessage(no_photos_text())
    return watch
