"""The Instances panel kept in line with the parsing mask while the operator edits it.

The panel used to check its instances against the parsing mask only at a save and before its
own next edit: a garment relabelled (a blouse and skirts Smart-clicked as dress) left the list
naming what the mask no longer held until then. :class:`ParsingWatch` listens to the open
image's mask changes and, once the parsing mask's edits pause, has the dock reconcile as
before its own edits (:meth:`.instance_links.ParsingSeen.reconcile`): pixels that changed
class follow, leave or join their instances, and the list shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

#: How long the parsing mask's edits must pause before the panel follows them (ms): a run of
#: Smart clicks is checked once, not after every click.
SETTLE_MS = 400


class ParsingWatch(QObject):
    """Calls ``settled()`` once the parsing mask of the watched image stops changing.

    A check that falls due while a stroke of the task is open waits: it is tried again
    :data:`SETTLE_MS` later, and after the stroke's own end.

    Parameters
    ----------
    settled : callable
        What to run (the dock's reconcile), in the GUI thread.
    parent : QObject
    """

    def __init__(self, settled: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._due)
        self._settled = settled
        self._unsubscribe: Callable[[], None] | None = None
        self._drawing: Callable[[], bool] = lambda: False

    def watch(self, image_doc: Any, task: str | None) -> None:
        """Follow ``task``'s mask of ``image_doc`` (an ``AnnotationDocument``; None: nothing),
        the image before forgotten and its pending check dropped."""
        self._timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._drawing = lambda: False
        if image_doc is None or task is None:
            return

        def changed(changed_task: str, _box: object, committed: bool) -> None:
            if changed_task == task and committed:  # a stroke being drawn is not an edit yet
                self._timer.start()

        self._drawing = lambda: bool(image_doc.in_stroke(task))
        self._unsubscribe = image_doc.subscribe(changed)

    def _due(self) -> None:
        """The edits paused: check, unless a stroke is being drawn (its half-drawn pixels are in
        the mask already); then try again later (its end, if it changed pixels, restarts the
        wait)."""
        if self._drawing():
            self._timer.start()
            return
        self._settled()

    @property
    def pending(self) -> bool:
        """Whether a check waits for the edits to pause."""
        return self._timer.isActive()
