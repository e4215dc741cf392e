"""The open image of a project: load, lease, background proposals, journal, save.

:class:`ImageSession` owns everything about *which* image is open and *whether its edits are
safe*; the main window only wires it to widgets. It never shows a dialog itself: the questions
it has to ask (another operator holds the image) go through the injectable ``ask_lease_held``
callable, so tests can answer them without blocking.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from fashion_annotator.annotate import session
from fashion_annotator.annotate.kept_history import KeptHistories
from fashion_annotator.annotate.session import OpenImage
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.images import ImageData, ImageLoadError
from fashion_annotator.core.journal import JournalEntry, session_journal
from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.leases import LeaseHeld, person
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import INDEX_NAME, Project
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.photo_regions import PhotoRegions
from fashion_annotator.ui.annotate.autosave import AutosaveTimer, EffortClock
from fashion_annotator.ui.annotate.image_view import Pyramid, load_photo_pyramid
from fashion_annotator.ui.annotate.journal_recovery import JournalRecovery
from fashion_annotator.ui.annotate.lease_pause import LeasePause
from fashion_annotator.ui.annotate.lease_watch import LeaseWatch
from fashion_annotator.ui.annotate.photo_opening import PhotoOpening
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.annotate.status_bar import SAVED_MESSAGE
from fashion_annotator.ui.workers import PHOTO, PROPOSAL, SUPERPIXELS, ImageJobs, JobResult

# Short leases, renewed while the image is open, so a crashed session's lease soon lapses.
LEASE_TTL_S = 60.0

# ask_lease_held(holder, expires, image name) -> True to open read-only, False to skip the image.
LeaseQuestion = Callable[[str, float, str], bool]


class ImageSession(JournalRecovery, LeasePause, LeaseWatch, PhotoOpening, QObject):
    """Opens, edits-journals and saves the images of one project.

    Signals
    -------
    loading(str)
        "Loading photo NAME…": a photo's preview and shown mask are being read
        (:class:`.photo_opening.PhotoOpening`), the window answering; ``imageOpened`` or
        ``error`` follows.
    imageOpened(object)
        The new :class:`OpenImage` (None when nothing is open). A large JPEG opens with only
        its preview (``doc.photo_ready`` False); its full pixels load in the background.
    photoReady(object, object)
        ``opened, pyramid``: the open image's :class:`OpenImage` once its full pixels replaced
        the preview, and their display pyramid (built in the worker, see
        :func:`.image_view.load_photo_pyramid`).
    maskReplaced(str, object)
        ``task, bbox``: a background result changed a mask outside the canvas.
    regionsReady(object)
        The superpixel hierarchy of the open image.
    proposalReady(str)
        A proposal for ``task`` arrived.
    savedChanged(bool)
        True when nothing is unsaved (a save, an image opened), False at an edit.
    undoneToSaved()
        Undo or redo brought every mask back to what the store holds (or the image opened
        with): nothing to save, nothing saved (the Instances panel does not reconcile then).
    message(str)
        A line for the status bar.
    error(str)
        A problem the operator must see (names the file and the problem).
    recovered()
        The store answers again after a lease renewal failed: an error shown for it is over.
    modelInfo(str, str, object)
        ``task, device, label`` when a proposal job ends: the model as people read it
        (:meth:`.ProposalSource.model_label`), None when the task has no model.
    """

    loading = Signal(str)
    imageOpened = Signal(object)
    photoReady = Signal(object, object)
    maskReplaced = Signal(str, object)
    regionsReady = Signal(object)
    proposalReady = Signal(str)
    savedChanged = Signal(bool)
    undoneToSaved = Signal()
    message = Signal(str)
    error = Signal(str)
    modelInfo = Signal(str, str, object)
    readOnlyChanged = Signal(object)
    recovered = Signal()

    def __init__(
        self,
        project: Project,
        *,
        autosave_s: float = 30,
        ask_lease_held: LeaseQuestion | None = None,
        proposals: ProposalSource | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        #: The project's journal folder; this session writes into a folder of its own in it.
        self.journal_root = project.root / "journal"
        owner = f"{getattr(project, 'user', 'user')}@{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.journal = session_journal(self.journal_root, owner, user=str(getattr(project, "user", "")),
                                       anchor_file=INDEX_NAME)  # fmt: skip
        self.jobs = ImageJobs(self)
        self.jobs.finished.connect(self._job_finished)
        self.jobs.failed.connect(self._job_failed)
        self.proposals = proposals or ProposalSource(project)
        for task in project.tasks:
            self.proposals.prepare(task)
        self.autosave = AutosaveTimer(autosave_s, self)
        self.autosave.due.connect(self._autosave)
        self.clock = EffortClock()
        self.ask_lease_held: LeaseQuestion = ask_lease_held or (lambda _holder, _exp, _image: True)
        self.current: OpenImage | None = None
        #: The undo histories of the photos left, given back when one opens again unchanged.
        self.kept = KeptHistories()
        self.known_name = lambda _image_id: None  # the window's records (MainWindow sets it)
        self._unjournalled_text = ""
        #: Tasks of the open image whose latest edit the recovery journal could not take (a full
        #: disk, a read-only folder): those edits live only in this window until a save works.
        self.unjournalled: set[str] = set()
        #: The latest save failure of the open image, until a save goes through.
        self.save_error: str | None = None
        self._shut_down = False
        self._opening: int | None = None  # the image whose photo is being read
        #: Tasks of the open image whose proposal is being computed, and each task's latest
        #: proposal job (one started before a model switch is dropped, not shown as the new one's).
        self.awaiting: set[str] = set()
        self._proposal_job: dict[str, int] = {}
        #: The open photo's superpixels, shared by its superpixel job and its proposals.
        self._regions: PhotoRegions | None = None
        #: The open image's full pixels failed to load (no proposal will come).
        self.photo_failed = False
        self._lease_timer = QTimer(self)
        self._renew_failed = False
        self._lease_timer.setInterval(round(LEASE_TTL_S * 1000 / 3))
        self._pending: list[JournalEntry] = []
        self.left_said: list[tuple[int, bool, str]] = []
        self._claim_timer = QTimer(self)
        self._claim_timer.timeout.connect(self._touch_claims)
        self._lease_wait = QTimer(self)
        self._lease_wait.setSingleShot(True)
        self._lease_wait.timeout.connect(self.look_again)
        self._lease_timer.timeout.connect(self._renew_lease)

    # -- opening -------------------------------------------------------------------------

    @property
    def image_id(self) -> int | None:
        """Id of the open image, or None."""
        return None if self.current is None else int(self.current.doc.image_id)

    @property
    def unsaved(self) -> bool:
        """Whether the open image has edits not in the store."""
        return self.current is not None and bool(self.current.edited)

    def _readonly(self) -> str | None:
        """Why the project is open read-only, or None (backends without the notion: None)."""
        return getattr(self.project, "readonly", None)

    def open_image(self, image_id: int, shown: str | None = None, ask: bool = True) -> bool:
        """Save the open image, then open ``image_id``; False when it could not be opened.

        The open image stays open, leased and editable until ``image_id`` is leased and
        loaded: a refused lease (the operator skips a colleague's image), a server that cannot
        be reached or a photo that cannot be read leave the operator where they were, never
        on a window whose edits go nowhere. ``shown`` is the task the window shows: on a
        large photo only its saved mask is read now, the other tasks' on first use
        (:func:`~.session.load_document`). ``ask`` False: an image another session holds
        opens read-only without asking. After :meth:`shutdown` nothing opens (a late signal
        must not take a lease again)."""
        if self._shut_down:
            return False
        if self.current is not None and self.image_id == image_id:
            return True
        if self._opening is not None:  # asked again while a photo is read (the window answers)
            self.message.emit(f"Still loading {self._image_name(self._opening)}…")
            return False
        if self.unsaved and self.current is not None and not self.current.read_only and not self.save():
            return False
        lease: LeaseHeld | None = None
        try:
            if not self._readonly():  # a read-only project is viewed without leases
                self.project.leases.acquire(image_id, ttl_s=LEASE_TTL_S)
        except LeaseHeld as held:
            if ask and not held.crashed and not self.ask_lease_held(held.holder, held.expires, self._image_name(image_id)):
                self.message.emit(f"Skipped {self._image_name(image_id)}: {person(held.holder)} is editing it")
                return False
            lease = held
        except ProjectError as exc:
            self.error.emit(f"Could not open {self._image_name(image_id)}: {exc}")
            return False
        if lease is None and not self._readonly():
            self._restore_crashed(image_id)
        try:
            saved = session.latest_saved(self.project, image_id)  # before loading: nothing missed
            photo = self.project.image(image_id).sha256  # journalled: ids are reused after a restore
            notes: list[str] = []
            read = self._read_ahead(image_id, shown)
            if self._shut_down:  # the window closed while the photo was read
                self._release_quietly(image_id, lease)
                return False
            doc, fresh = session.load_document(self.project, image_id, progressive=True, shown=shown, notes=notes,
                                               read=read)  # fmt: skip
        except (ImageLoadError, ProjectError, ValueError) as exc:
            self._release_quietly(image_id, lease)
            self.error.emit(str(exc))
            self._resume_jobs()
            return False
        if not self.close_image():
            self._release_quietly(image_id, lease)
            self._resume_jobs()
            return False
        doc.subscribe(self._document_changed)
        read_only = lease is not None or bool(self._readonly())
        self.current = OpenImage(doc, read_only=read_only, lease=lease, fresh=fresh, notes=notes, photo=photo,
                                 base_versions={t: v for t, (v, _) in saved.items()},
                                 base_hashes={t: sha for t, (_, sha) in saved.items()})  # fmt: skip
        if not read_only:  # left earlier in this window: Undo takes back what was done before
            self.kept.give_back(doc, saved, photo)
        self.awaiting.clear()
        self.photo_failed = False
        self.clock.reset(doc.seconds)
        if not read_only:
            self._lease_timer.start()
        elif lease is not None:
            self._wait_for_lease(lease.expires)
        self.jobs.next_generation()  # first: what imageOpened's receivers submit is this image's
        self.imageOpened.emit(self.current)
        self.savedChanged.emit(True)
        try:
            self._apply_restored()  # the edits restored at start, unsaved and undoable
        finally:  # the image is open: its photo, superpixels and proposals come whatever happened
            if doc.photo_ready:
                self._start_jobs(doc)
            else:  # superpixels and proposals wait for the full pixels (they never see the preview)
                self.jobs.submit(PHOTO, image_id, load_photo_pyramid, self.project.image_path(image_id))
        self.say_left()
        return True

    def read_mask(self, task: str) -> bool:
        """Read the open image's ``task`` mask if it is not in memory yet (a large photo's
        other tasks are read on first use); False, with :attr:`error`, when it cannot be read."""
        if self.current is None:
            return True
        try:
            self.current.doc.masks[task]
        except (ImageLoadError, ProjectError, ValueError) as exc:
            self.error.emit(str(exc))
            return False
        return True

    def _photo_loaded(self, image: ImageData, pyramid: Pyramid) -> None:
        assert self.current is not None
        doc = self.current.doc
        try:
            doc.set_photo(image.rgb)
        except ValueError as exc:
            self.photo_failed = True
            self.error.emit(f"{image.path}: {exc}")
            return
        self.photoReady.emit(self.current, pyramid)
        self._start_jobs(doc)

    def _start_jobs(self, doc: AnnotationDocument) -> None:
        self.awaiting.clear()
        self._submit_superpixels(doc)
        for task in self.proposals.follow_promotions():
            self.message.emit(f"A new {task} model was promoted elsewhere (another window or a terminal): proposing with it")
        for task in self.project.tasks:
            self._submit_proposal(task)

    def _submit_superpixels(self, doc: AnnotationDocument) -> None:
        image_id = int(doc.image_id)
        cached = pipeline.cached_superpixels(self.project, image_id)
        # The proposals wait for the superpixels they need: cached or not, the same proposal.
        self._regions = PhotoRegions(doc.rgb, cached)
        if cached is not None:
            self._set_hierarchy(cached)
        else:
            paths = pipeline.superpixel_cache_paths(self.project, image_id)
            self.jobs.submit(SUPERPIXELS, image_id, pipeline.compute_superpixels_cached, doc.rgb, paths,
                             self.jobs.writing, self._regions.hierarchy)  # fmt: skip

    def rerun_proposal(self, task: str, reload: bool = True) -> None:
        """Recompute ``task``'s proposal of the open image after a promotion (``reload`` False: of
        a cutout model it agrees with, not its own). While the photo's full pixels still load,
        nothing is submitted: the load proposes with the reloaded model when it lands."""
        if reload:
            self.proposals.reload(task)
        if self.current is not None and self.current.doc.photo_ready:
            self._submit_proposal(task)

    def _submit_proposal(self, task: str) -> None:
        assert self.current is not None
        doc = self.current.doc
        if self._regions is None or self._regions.rgb is not doc.rgb:
            self._regions = PhotoRegions(doc.rgb, self.current.hierarchy)
        regions = self._regions
        job = self._proposal_job[task] = self._proposal_job.get(task, 0) + 1
        self.jobs.submit(PROPOSAL, int(doc.image_id), self.proposals.propose, task, doc.rgb,
                         regions, key=(task, job))  # fmt: skip
        self.awaiting.add(task)

    def _set_hierarchy(self, hierarchy: sp.SuperpixelHierarchy) -> None:
        assert self.current is not None
        if hierarchy.shape != self.current.doc.shape:
            self.error.emit(f"superpixels of shape {hierarchy.shape} do not fit the photo")
            return
        self.current.hierarchy = hierarchy
        self.regionsReady.emit(hierarchy)

    def _job_finished(self, job: JobResult) -> None:
        if self.current is None or job.image_id != self.image_id:
            return
        if job.kind == PHOTO:
            self._photo_loaded(*job.value)
        elif job.kind == SUPERPIXELS:  # computed and cached by the worker (files only)
            if job.value[1] is not None:
                self.message.emit(f"Superpixels not cached: {job.value[1]}")
            self._set_hierarchy(job.value[0])
        elif job.kind == PROPOSAL and self._proposal_job.get(job.key[0]) == job.key[1]:
            self.awaiting.discard(job.key[0])
            self._proposal_arrived(job.key[0], job.value)

    def _job_failed(self, kind: str, image_id: int, key: Any, message: str) -> None:
        if kind == PROPOSAL:
            if self._proposal_job.get(key[0]) != key[1]:
                return  # a model switched since: its successor is computing
            key = key[0]
            if image_id == self.image_id:  # no proposal names the model: "loading…" stayed
                self.awaiting.discard(key)
                self.modelInfo.emit(key, self.proposals.device_name, self.proposals.state_label(key))
        if kind == PHOTO:
            self.photo_failed = self.photo_failed or image_id == self.image_id
            for task in self.project.tasks if image_id == self.image_id else ():
                self.modelInfo.emit(task, self.proposals.device_name, self.proposals.state_label(task))
            self.error.emit(f"Loading the full-resolution photo failed: {message}")
            return
        if kind in (SUPERPIXELS, PROPOSAL):  # another kind's submitter says what failed
            self.error.emit(f"Computing the {'superpixels' if kind == SUPERPIXELS else f'{key} proposal'} failed: {message}")

    def _proposal_arrived(self, task: str, result) -> None:
        assert self.current is not None
        if task in self.proposals.warnings:  # the active model cannot be used: never a silent fallback
            self.error.emit(self.proposals.warnings[task])
        if result is None:
            self.modelInfo.emit(task, self.proposals.device_name, None)
            return
        proposal, mask = result
        doc = self.current.doc
        label = self.proposals.model_label(task, proposal.model_version)
        self.modelInfo.emit(task, self.proposals.device_name, label)
        self.current.probs[task] = proposal
        doc.set_proposal(task, mask)
        imported = task in self.current.fresh and session.imported_start(self.project, int(doc.image_id), task)
        if not self.current.read_only and not imported:  # a colleague only looking changes nothing
            version = str(proposal.model_version or "unknown")
            problem = session.record_shown(self.project, int(doc.image_id), task, mask, version)
            if problem is not None:
                self.message.emit(f"Proposal not recorded: {problem}")
        if imported:  # the imported instances' parsing is the start; the model's is offered
            self.message.emit(f"The {task} start is the imported one; Refine > Use the proposal takes the model's")
        elif session.untouched(self.current, task):
            box = doc.start_from(task, mask)
            if box is not None:
                self.maskReplaced.emit(task, box)
        elif task in self.current.fresh and mask.any() and not doc.started_from(task, mask):  # short: 1280 px
            self.message.emit(f"{task} proposal not applied (it came after your first edit): "
                              "Refine > Use the proposal")  # fmt: skip
        self.proposalReady.emit(task)

    # -- editing -------------------------------------------------------------------------

    def _document_changed(self, task: str, _bbox: BBox, committed: bool) -> None:
        if committed:
            self.note_edit(task)

    def note_edit(self, task: str) -> None:
        """Record an edit step of ``task``: journal the mask and schedule an autosave."""
        if self.current is None:
            return
        doc = self.current.doc
        doc.seconds = self.clock.tick()
        if doc.is_clean(task):  # undone back to the saved (or opened) mask: nothing to save or recover
            self.current.edited.discard(task)
            self.unjournalled.discard(task)
            self.journal.discard(int(doc.image_id), task)
            if not self.current.edited:
                self.undoneToSaved.emit()
            return
        self.current.edited.add(task)
        if not self._journal(task):
            self.error.emit(self._unjournalled_text)
        self.autosave.edited()
        self.savedChanged.emit(False)

    @property
    def pinned_errors(self) -> list[str]:
        """Errors that stand until a save works: the latest save failure, and that the journal
        could not take the latest edits (the window keeps them in the banner)."""
        journal = [self._unjournalled_text] if self.unjournalled else []
        return [*([self.save_error] if self.save_error else []), *journal]

    def _journal(self, task: str) -> bool:
        """Write the open image's ``task`` mask to the recovery journal; False when it failed
        (the edit stays in the document; only crash recovery is missing)."""
        assert self.current is not None
        doc = self.current.doc
        try:
            self.journal.record(int(doc.image_id), task, doc.masks[task], seconds=doc.seconds,
                                actions=doc.actions, base=self.current.base_versions.get(task),
                                clicks=doc.standing_clicks(task), photo=self.current.photo or None,
                                unanswered=self.current.unanswered.get(task))  # fmt: skip
        except OSError as exc:
            self._unjournalled_text = (
                f"Recovery journal {self.journal.directory} not written ({exc.strerror or exc}): "
                "this edit is not protected against a crash until it is saved; save soon"
            )
            self.unjournalled.add(task)
            return False
        self.unjournalled.discard(task)
        return True

    def note_activity(self) -> None:
        """The operator is working (cursor moved): keeps the effort clock running."""
        if self.current is not None:
            self.current.doc.seconds = self.clock.tick()

    def save(self, status: str | None = None) -> bool:
        """Save the edited masks (every task when ``status`` is given) and set ``status``.

        Returns False, after emitting :attr:`error`, when the store refused; the edits stay in
        the document and the journal.
        """
        cur = self.current
        if cur is None:
            return True
        if cur.read_only:
            if cur.edited:
                who = (f"{person(cur.lease_holder)} holds this image" if cur.lease_holder
                       else f"{person(cur.lost_to)} took this image over" if cur.lost_to
                       else f"the project is read-only ({self._readonly()})")  # fmt: skip
                self.error.emit(f"Not saved: {who} (read-only)")
                return False
            return True
        doc = cur.doc
        waiting = self.unfinished_proposals() if status else []
        if waiting:  # an empty placeholder is not the operator's mask: never saved as done
            which = f"{' and '.join(waiting)} {'proposals are' if len(waiting) > 1 else 'proposal is'}"
            self.error.emit(f"Not marked {status}: the {which} still being computed; wait a moment, "
                            "or draw the mask")  # fmt: skip
            return False
        rejected = self.rejected_unchanged() if status == "done" else []
        if rejected:  # QA sent it back: done again only once the mask changed (why: the banner)
            self.error.emit(f"Not marked done: QA rejected the {' and '.join(rejected)} mask as it is; "
                            "correct it first")  # fmt: skip
            return False
        doc.seconds = self.clock.tick()
        image_id = int(doc.image_id)
        warnings: list[str] = []
        try:
            was = None if status else self.project.image(image_id).status  # an edit of a finished photo is said
            tasks = session.save_open_image(self.project, cur, self.journal, status, warnings)
        except session.NewerVersion as newer:  # a colleague saved it while this lease had lapsed
            self._lease_timer.stop()
            cur.read_only, cur.lease_lost, cur.lost_to = True, True, newer.version.user
            self.error.emit(f"{newer.said_of(self._image_name(image_id))}; read-only now, your edits are kept "
                            "in the recovery journal")  # fmt: skip
            self.readOnlyChanged.emit(cur)
            self._wait_for_lease(time.time() + LEASE_TTL_S / 3)  # the newest version, at a renewal's pace
            return False
        except Exception as exc:  # noqa: BLE001 - a failed save (save_failure logs the unexpected)
            self.save_error = session.save_failure(self._image_name(image_id), exc)
            self.error.emit(self.save_error)
            return False
        self.save_error = None
        self.unjournalled.clear()
        cur.notes.clear()  # how the image was opened (a damaged version passed over) is history now
        self.autosave.saved()
        self.savedChanged.emit(True)
        if tasks:
            name = self._image_name(image_id)  # "image N" when the server went away after the save
            said = session.finished_note(was, cur, tasks)
            self.message.emit(f"{SAVED_MESSAGE}{name} at {time.strftime('%H:%M:%S')}{said}")
        for warning in warnings:  # saved, but a click log was not: said, not pinned as a failed save
            self.error.emit(warning)
        return True

    def rejected_unchanged(self) -> list[str]:
        """Tasks whose mask is still the one QA rejected (:func:`~.session.rejected_unchanged`)."""
        return [] if self.current is None else session.rejected_unchanged(self.project, self.current)

    def unfinished_proposals(self) -> list[str]:
        """Never-saved, unedited tasks whose proposal is still to come
        (:func:`~.session.waiting_for_proposals`)."""
        cur = self.current
        return [] if cur is None else session.waiting_for_proposals(cur, self.awaiting, self.photo_failed)

    def _autosave(self) -> None:
        if not self.unsaved or self.current is None:
            return
        doc = self.current.doc
        if any(doc.in_stroke(task) for task in doc.masks):
            self.autosave.edited()  # a tool is drawing: save once the stroke has ended
            return
        if not self.save() and self.current is not None and not self.current.read_only:
            # a full disk or a folder gone read-only: journal what the journal missed as soon as
            # it can, and try the save again after another interval
            for task in sorted(self.unjournalled):
                self._journal(task)
            self.autosave.edited()

    def _release_quietly(self, image_id: int, lease: LeaseHeld | None) -> None:
        """Give back the lease just taken on ``image_id`` (none when opened read-only)."""
        if lease is None and not self._readonly():
            with contextlib.suppress(ProjectError):  # the lease lapses on its own
                self.project.leases.release(image_id)

    def close_image(self) -> bool:
        """Save and close the open image; False (image kept open) when saving failed."""
        if self.current is None:
            return True
        image_id = int(self.current.doc.image_id)
        if self.unsaved and self.current.read_only and self._readonly():  # offered at the next start
            self.message.emit(f"Unsaved edits of {self._image_name(image_id)} kept in the recovery journal (read-only)")
        elif self.unsaved and self.current.read_only:  # the lease went to a colleague: out of the next edit's way
            self.left_said += [(image_id, *said) for said in self.keep_left_edits(image_id)]
        elif self.unsaved and not self.save():
            return False
        self._lease_timer.stop()
        self._lease_wait.stop()
        if not self.current.read_only:
            try:
                self.project.leases.release(image_id)
            except ProjectError as exc:  # nothing unsaved; the lease lapses on its own
                self.error.emit(f"Image {image_id} closed with nothing unsaved; its lease was not released ({exc}), it lapses in {LEASE_TTL_S:.0f} s")
        if not self.current.read_only:
            self.kept.keep(self.current.doc, self.current.saved_states(), self.current.photo)
        self.jobs.next_generation()
        self.current = None
        self.awaiting.clear()
        self.unjournalled.clear()
        self.save_error = None
        return True

    def shutdown(self) -> bool:
        """Save, and stop background work without waiting for it (a proposal computing is
        cancelled, nothing it finishes is shown or written); False when unsaved edits could not
        be saved.

        This session's journal folder goes when it is empty (every edit saved); one holding
        entries stays for the next start to offer. Every timer stops here, in the GUI thread:
        a Qt timer still running when its object is destroyed from another thread (Python's
        garbage collector may run in a worker) would fire on freed memory.
        """
        ok = self.close_image()
        self._shut_down = True
        self._lease_timer.stop()
        self._lease_wait.stop()
        self.release_claims()  # restored edits not put in yet: offered at the next start
        self.autosave.saved()
        self.jobs.shutdown()  # returns at once: a proposal computing stops at its next layer
        self.proposals.cancel()  # after the jobs: what it raises then is no error
        with contextlib.suppress(OSError):  # not empty, or never made
            self.journal.directory.rmdir()
        return ok

