"""The open image's lease while the window shows the Review tab: given back, then taken again
(a mixin of :class:`~.image_session.ImageSession`, which owns the timers and signals it uses).

A reviewer who opened an image in the annotation view ("Open in annotation view") and went back
to Review to reject it must not keep it leased: the operator who opens the rejected image
fixes it at once instead of seeing it read-only under the reviewer's lease. The image stays
open in the Annotate tab; coming back to it takes the lease again, or shows it read-only when a
colleague opened it meanwhile, or opens their newer version when they saved one.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from fashion_annotator.annotate import session
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.records import ProjectError

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from fashion_annotator.annotate.session import OpenImage
    from fashion_annotator.dataset.api import ProjectStore


class LeasePause:
    """Give the open image's lease back while the Review tab is shown; the host provides what
    is below."""

    project: ProjectStore
    current: OpenImage | None
    _lease_timer: QTimer
    error: Any  # Signal(str)
    message: Any  # Signal(str)
    readOnlyChanged: Any  # Signal(object)
    #: The image whose lease :meth:`pause_lease` gave back, until :meth:`resume_lease`.
    _lease_paused: int | None = None
    #: The Review tab is shown (:meth:`pause_lease` until :meth:`resume_lease`): an image open
    #: read-only is not looked at again (and so not leased) until the Annotate tab is back.
    _in_review: bool = False

    if TYPE_CHECKING:

        def save(self, status: str | None = None) -> bool: ...
        def close_image(self) -> bool: ...
        def open_image(self, image_id: int, shown: str | None = None, ask: bool = True) -> bool: ...
        def _readonly(self) -> str | None: ...
        def _wait_for_lease(self, expires: float) -> None: ...
        def look_again(self) -> None: ...
        def _image_name(self, image_id: int) -> str: ...

    def pause_lease(self) -> bool:
        """Save the open image and give its lease back (the window shows the Review tab).

        Returns
        -------
        bool
            Whether the image is saved. When the save fails the lease is kept: unsaved edits
            are never left unleased.
        """
        self._in_review = True
        if not self.save():
            return False
        cur = self.current
        if cur is None or cur.read_only or self._readonly() or self._lease_paused is not None:
            return True
        self._lease_timer.stop()
        image_id = int(cur.doc.image_id)
        with contextlib.suppress(ProjectError):  # the store does not answer: the lease lapses
            self.project.leases.release(image_id)
        self._lease_paused = image_id
        return True

    def resume_lease(self) -> None:
        """Take the lease that :meth:`pause_lease` gave back again (the window shows the
        Annotate tab again), if the image is still open.

        A colleague who opened the image meanwhile keeps it: it turns read-only, saying who
        edits it, and opens editable once their lease is gone. A colleague's save made meanwhile
        is opened, so that the next edit starts from it. A store that does not answer leaves
        the image editable; the lease renewal tries again.
        """
        from fashion_annotator.ui.annotate import image_session  # imports this module

        paused, self._lease_paused = self._lease_paused, None
        was_in_review, self._in_review = self._in_review, False
        cur = self.current
        if was_in_review and paused is None and cur is not None and cur.read_only:
            self.look_again()  # a colleague may have left it while Review was shown
            return
        if paused is None or cur is None or cur.read_only or int(cur.doc.image_id) != paused:
            return
        try:
            self.project.leases.acquire(paused, ttl_s=image_session.LEASE_TTL_S)
            changed = session.latest_versions(self.project, paused) != cur.base_versions
        except LeaseHeld as held:
            cur.read_only, cur.lease = True, held
            self._wait_for_lease(held.expires)
            self.message.emit(
                f"{held.holder} opened {self._image_name(paused)} while it was left for Review: "
                "read-only until they are done"
            )
            self.readOnlyChanged.emit(cur)
            return
        except ProjectError as exc:
            self.error.emit(f"Could not take the lease on {self._image_name(paused)} again: {exc}")
            changed = False
        if changed and not cur.edited and self.close_image():
            self.open_image(paused)  # a colleague's newer version: show it, leased again
            self.message.emit(f"{self._image_name(paused)} was saved again while you were in Review: "
                              "its newest version is open")  # fmt: skip
            return
        self._lease_timer.start()
        self.readOnlyChanged.emit(cur)  # the banner reads the image's notes again: a reject made meanwhile
