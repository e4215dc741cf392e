"""The open image's lease while the window works on it and while it is read-only (a mixin of
:class:`~.image_session.ImageSession`, which owns the timers and signals it uses): renewed while
editable; lost to a colleague, the image turns read-only; read-only, the store is looked at again
when the holder's lease would lapse and when the image list's poll sees a colleague's change to
the image, and the image opens again, editable once the lease is free, or read-only with the
newest saved version.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fashion_annotator.annotate import session
from fashion_annotator.dataset.leases import LeaseHeld, lapse_wait_s, person
from fashion_annotator.dataset.records import ProjectError

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from fashion_annotator.annotate.session import OpenImage
    from fashion_annotator.dataset.api import ProjectStore


def lease_ttl_s() -> float:
    """The lease time a window takes and renews (:data:`.image_session.LEASE_TTL_S`, read now)."""
    from fashion_annotator.ui.annotate import image_session  # imports this module

    return image_session.LEASE_TTL_S


class LeaseWatch:
    """Renew the open image's lease, and look again while it is read-only; the host provides
    what is below."""

    project: ProjectStore
    current: OpenImage | None
    _lease_timer: QTimer
    _lease_wait: QTimer
    _renew_failed: bool
    _in_review: bool
    error: Any  # Signal(str)
    message: Any  # Signal(str)
    recovered: Any  # Signal()
    readOnlyChanged: Any  # Signal(object)

    if TYPE_CHECKING:

        def close_image(self) -> bool: ...
        def open_image(self, image_id: int, shown: str | None = None, ask: bool = True) -> bool: ...
        def _readonly(self) -> str | None: ...
        def _image_name(self, image_id: int) -> str: ...

    def _wait_for_lease(self, expires: float) -> None:
        """Look again (:meth:`look_again`) when the lease another session holds on the image
        shown read-only would lapse."""
        ttl = lease_ttl_s()
        self._lease_wait.start(round((lapse_wait_s(expires, ttl) + 0.5) * 1000))

    def look_again(self) -> None:
        """The open image is read-only for this session: look at its lease and saved versions.

        Its lease free (the colleague left, or crashed: their edits are restored), it opens
        again, editable, and says so; unsaved edits this session could not save are put back
        on it, or set aside in ``journal/declined/`` when the colleague saved since
        (:meth:`~.JournalRecovery.keep_left_edits`). Still held, an image without unsaved edits
        whose saved version changed (the colleague saved it, marked it done) opens again,
        read-only, with the newest version; otherwise the lease is looked at again when it would
        lapse. A store that does not answer is asked again later.
        """
        cur = self.current
        if cur is None or not cur.read_only or self._readonly() or self._in_review:
            return  # in Review: looked at again when the Annotate tab is back (resume_lease)
        image_id = int(cur.doc.image_id)
        try:
            held = self.project.leases.current(image_id)
            newer = session.latest_versions(self.project, image_id) != cur.base_versions
        except ProjectError:
            self._wait_for_lease(time.time() + lease_ttl_s())
            return
        if held is not None and held.token == self.project.leases.token:
            held = None  # this session's own: taken again by a renewal before a save met a colleague's version
        if held is not None and (cur.edited or not newer):
            self._wait_for_lease(held.expires)
            return
        who, name = person(cur.lost_to or cur.lease_holder or "the colleague"), self._image_name(image_id)
        if not self.close_image() or not self.open_image(image_id, ask=False) or self.current is None:
            return
        if not self.current.read_only:
            back = "; your unsaved edits are back (not saved yet)" if self.current.edited else ""
            self.message.emit(f"{who} is no longer editing {name}: you can edit it now{back}")
        else:
            self.message.emit(f"{name} was saved by {who}: its newest version is shown (read-only)")

    def _renew_lease(self) -> None:
        """Renew the lease on the image open editable (the lease timer's slot); another session
        holding it now turns the image read-only (:meth:`look_again` when that lease lapses)."""
        if self.current is None or self.current.read_only:
            return
        try:
            self.project.leases.acquire(int(self.current.doc.image_id), ttl_s=lease_ttl_s())
        except LeaseHeld as held:
            self._renew_failed = False
            # another session took the image over while this one could not renew (a sleep,
            # a network cut): stop writing, keep the edits in the journal
            self._lease_timer.stop()
            self.current.read_only, self.current.lease, self.current.lease_lost = True, held, True
            self.current.lost_to = held.holder
            self.error.emit(
                f"Lost the lease on this image to {person(held.holder)}: read-only now; unsaved edits "
                "are kept in the recovery journal, not saved over theirs"
            )
            self.readOnlyChanged.emit(self.current)
            self._wait_for_lease(held.expires)
        except ProjectError as exc:  # tried again at the next tick
            self._renew_failed = True
            self.error.emit(f"Could not renew the lease on this image: {exc}")
        else:
            if self._renew_failed:
                self._renew_failed = False
                self.message.emit("The project answers again: the lease on this image is renewed")
                self.recovered.emit()
