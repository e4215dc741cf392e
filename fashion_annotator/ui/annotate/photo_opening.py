"""A large photo's preview and shown mask read in an :class:`~.workers.ImageJobs` worker as it
opens, the window answering meanwhile.

Restarting with a 6000x9000 JPEG open last showed a blank window for 15-18 s: its preview and
saved mask were decoded on the GUI thread before the window first painted. :func:`read_in_worker`
decodes them (:func:`~fashion_annotator.annotate.session.read_ahead`) in the ``"opening"`` job
of the session's jobs while a local event loop runs: the window paints, says "Loading photo
NAME…" and answers; :meth:`.ImageSession.open_image` then builds the document from what was read.
:class:`PhotoOpening` is the session's part of it (a mixin of
:class:`~.image_session.ImageSession`, which owns the jobs and signals it uses).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop

from fashion_annotator.annotate import session
from fashion_annotator.core import images
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.ui.annotate.image_view import load_photo_pyramid
from fashion_annotator.ui.workers import PHOTO, ImageJobs, JobResult

if TYPE_CHECKING:
    from fashion_annotator.annotate.session import OpenImage
    from fashion_annotator.core.document import AnnotationDocument

__all__ = ["OPENING", "PhotoOpening", "read_in_worker"]

#: The job kind of the read ahead (a pool of its own: never behind a proposal).
OPENING = "opening"


def _read(location: Any, user: str, image_id: int, path: Path, shown: str | None) -> session.ReadAhead:
    """In the worker: :func:`~fashion_annotator.annotate.session.read_ahead` on a connection of
    its own (an SQLite connection belongs to the thread that made it). A project folder is
    opened read-only: opened for writing, each large photo's opening swept the folder's
    leftovers (seconds at 15,000 files) and looked for moved photos again."""

    @contextlib.contextmanager
    def open_store() -> Iterator[ProjectStore]:
        from fashion_annotator.dataset.postgres.url import postgres_or_folder
        from fashion_annotator.dataset.store import Project, open_project

        if postgres_or_folder(location):
            opened: ProjectStore = open_project(location, user=user)
        else:
            opened = Project.open(location, user=user, readonly=True)
        try:
            yield opened
        finally:
            opened.close()

    return session.read_ahead(open_store, image_id, path, shown)


def read_in_worker(jobs: ImageJobs, project: ProjectStore, image_id: int,
                   shown: str | None) -> session.ReadAhead | None:  # fmt: skip
    """Read ``image_id``'s preview and ``shown`` mask in ``jobs``' ``"opening"`` worker and wait
    for it with the window answering (a local event loop); None when it failed or the jobs were
    shut down meanwhile (the window closed): the caller reads as before, or gives up. The wait
    ends with the read, also when a new generation of jobs began meanwhile (a lost lease
    closed the image): its result was dropped, and the wait went on for every other job
    (stale proposals, tens of seconds on a huge photo), then the photo was read again on the
    GUI thread."""
    found: dict[str, session.ReadAhead] = {}
    loop = QEventLoop()

    def settled(job: JobResult) -> None:
        if job.kind == OPENING and job.image_id == image_id:
            if isinstance(job.value, session.ReadAhead):  # None: it failed, or never ran
                found["read"] = job.value
            loop.quit()

    def idle(busy: bool) -> None:
        if not busy:  # the last job ended, or the jobs were shut down: nothing more comes
            loop.quit()

    jobs.settled.connect(settled)
    jobs.busyChanged.connect(idle)
    try:
        jobs.submit(OPENING, image_id, _read, project.location, str(getattr(project, "user", "")), image_id,
                    project.image_path(image_id), shown)  # fmt: skip
        if jobs.busy:  # submitted (nothing is once shut down); its result is queued, never here yet
            loop.exec()
    finally:
        jobs.settled.disconnect(settled)
        jobs.busyChanged.disconnect(idle)
    return found.get("read")


class PhotoOpening:
    """The session's read ahead of a large photo as it opens; the host provides what is below."""

    project: ProjectStore
    jobs: ImageJobs
    current: OpenImage | None
    awaiting: set[str]
    photo_failed: bool
    loading: Any  # Signal(str)
    #: The image whose photo is being read (:meth:`_read_ahead`), else None.
    _opening: int | None = None

    if TYPE_CHECKING:

        def _image_name(self, image_id: int) -> str: ...
        def _start_jobs(self, doc: AnnotationDocument) -> None: ...
        def _submit_proposal(self, task: str) -> None: ...
        def _submit_superpixels(self, doc: AnnotationDocument) -> None: ...

    def _read_ahead(self, image_id: int, shown: str | None) -> session.ReadAhead | None:
        """A large photo's preview and ``shown`` mask, read in a worker while the window answers
        and says "Loading photo NAME…" (:func:`read_in_worker`); None for a photo with no preview
        (at most ``PREVIEW_MIN_PIXELS``: read on the GUI thread, in milliseconds). The open
        image's background results are dropped from now on (the operator moved on: a photo
        landing meanwhile is not shown); :meth:`_resume_jobs` starts them again when the new
        image does not open."""
        record = self.project.image(image_id)
        if record.width * record.height <= images.PREVIEW_MIN_PIXELS:
            return None
        self._opening = image_id
        self.jobs.next_generation()
        try:
            self.loading.emit(f"Loading photo {self._image_name(image_id)}…")
            return read_in_worker(self.jobs, self.project, image_id, shown)
        finally:
            self._opening = None

    def _resume_jobs(self) -> None:
        """The open image stays open (another could not be opened): its full pixels, superpixels
        and proposals still to come, dropped as the other was read, are asked for again."""
        if self.current is None:
            return
        doc = self.current.doc
        self.jobs.next_generation()
        if not doc.photo_ready:
            if not self.photo_failed:  # the superpixels and proposals follow the full pixels
                self.jobs.submit(PHOTO, int(doc.image_id), load_photo_pyramid, self.project.image_path(int(doc.image_id)))
            return
        if self.current.hierarchy is None:
            self._submit_superpixels(doc)
        for task in list(self.awaiting):
            self._submit_proposal(task)

