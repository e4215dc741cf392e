"""The rules of one open image, without Qt: load, which tasks to save, save (restoring a
crashed window's journal entries: :mod:`fashion_annotator.annotate.restore`).

:class:`fashion_annotator.ui.annotate.image_session.ImageSession` adds the Qt parts (signals,
the autosave and lease-renewal timers, background jobs) and calls these functions, so what
happens to an operator's work is decided here and tested without a display.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.images import PhotoPreview, load_preview
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.core.lazy_masks import MaskReader
from fashion_annotator.core.masks import BBox
from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import status_name
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.click_logs import write_click_log
from fashion_annotator.dataset.display import missing_photo_hint
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.records import (
    IMPORTED_PROPOSAL,
    MaskVersion,
    NewerVersion,
    ProjectError,
)
from fashion_annotator.dataset.schema import EDITED_STATUS
from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.qa.decisions import current_decision
from fashion_annotator.segmentation.pipeline import Proposal
from fashion_annotator.segmentation.superpixels import SuperpixelHierarchy

__all__ = [
    "EDITED_STATUS",
    "NewerVersion",
    "OpenImage",
    "ReadAhead",
    "effort_so_far",
    "imported_start",
    "latest_saved",
    "latest_versions",
    "load_document",
    "own_unanswered_save",
    "read_ahead",
    "record_shown",
    "replace_mask",
    "save_open_image",
    "tasks_to_save",
    "untouched",
    "write_saved_click_log",
]

log = logging.getLogger(__name__)


@dataclass
class OpenImage:
    """State of the open image beyond its document.

    ``lease`` is the lease another session holds when the image was opened read-only (its
    ``crashed`` says whether that session's process is gone), else None. ``lease_lost``: this
    session held the image and another one took it over (this session's lease lapsed); the
    image is then read-only and unsaved edits stay in the recovery journal.
    """

    doc: AnnotationDocument
    read_only: bool = False
    lease: LeaseHeld | None = None
    lease_lost: bool = False
    #: ``task -> latest saved version`` when the image was opened (then after each save):
    #: :func:`save_open_image` refuses to save over a version saved since (:class:`NewerVersion`).
    base_versions: dict[str, int] = field(default_factory=dict)
    #: ``task -> SHA-256 of the file of`` :attr:`base_versions`' version ("" or missing:
    #: unknown): a project restored from a backup numbers versions again, the file tells them apart.
    base_hashes: dict[str, str] = field(default_factory=dict)
    #: Who took the image over when ``lease_lost`` (``user@host (pid N)`` or a user name).
    lost_to: str = ""
    #: The SHA-256 of the photo as the index records it ("" unknown): journal entries carry it.
    photo: str = ""
    fresh: set[str] = field(default_factory=set)  # tasks with no saved mask yet
    #: What a person must know about how the image was opened (a damaged saved version
    #: passed over); filled by :func:`load_document`, shown with the image.
    notes: list[str] = field(default_factory=list)
    hierarchy: SuperpixelHierarchy | None = None
    probs: dict[str, Proposal] = field(default_factory=dict)  # task -> Proposal (lazy probs)
    #: ``task -> fingerprints`` (:func:`mask_fingerprint`) of the masks of this window's saves
    #: that failed: a save whose commit reached the server but whose answer was lost (a
    #: network drop) is this window's own version, not a colleague's (:func:`save_open_image`).
    unanswered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def lease_holder(self) -> str | None:
        """Who holds the image when it is read-only (``user@host (pid N)``), else None."""
        return None if self.lease is None else self.lease.holder

    def saved_states(self) -> dict[str, tuple[int, str]]:
        """``task -> (latest saved version, its SHA-256)`` as :attr:`base_versions` and
        :attr:`base_hashes` hold them (the form :func:`latest_saved` returns)."""
        return {task: (version, self.base_hashes.get(task, "")) for task, version in self.base_versions.items()}

    @property
    def edited(self) -> set[str]:
        """Tasks with unsaved edits: the document's one record (:attr:`AnnotationDocument.unsaved`)."""
        return self.doc.unsaved


def replace_mask(mask: np.ndarray, new: np.ndarray) -> BBox | None:
    """Overwrite ``mask`` in place with ``new``; return the box of changed pixels."""
    box = BBox.of(mask != new)
    if box is not None:
        mask[box.slices] = new[box.slices]
    return box


def effort_so_far(project: ProjectStore, image_id: int) -> tuple[float, int]:
    """``(seconds, actions)`` already spent on the image: the newest saved version's totals."""
    best = (0.0, 0)
    for task in project.tasks:
        versions = project.mask_versions(image_id, task)
        if versions:
            best = max(best, (versions[-1].seconds, versions[-1].actions))
    return best


def load_document(
    project: ProjectStore,
    image_id: int,
    *,
    progressive: bool = False,
    shown: str | None = None,
    notes: list[str] | None = None,
    read: ReadAhead | None = None,
) -> tuple[AnnotationDocument, set[str]]:
    """Load an image's photo, saved masks and recorded proposals into a document.

    A task with no saved mask starts from its recorded proposal (through the document's
    history, not as an edit). Returns the document and the tasks without a saved mask.
    With ``progressive``, a large JPEG photo is only preview-decoded
    (:func:`~fashion_annotator.core.images.load_preview`): the document's ``photo_ready`` is
    False and the caller loads the full pixels (``project.load_photo``) and hands them to
    ``doc.set_photo``, the recorded proposals of tasks with a saved mask are read when first
    asked for (``doc.proposal(task)``), and so are the saved masks of the tasks other than
    ``shown`` (the first read of ``doc.masks[task]``: a tab switch, a save, undo; always the
    version saved when the image was opened). A saved version that cannot be read (a damaged
    file) is passed over for the newest one that can, said in ``notes``; a save then makes a
    new version on top (the damaged file stays, named). ``read``: the preview and the shown
    mask decoded already (:func:`read_ahead`, in a worker), not decoded again here.

    Raises
    ------
    ImageLoadError, ProjectError, ValueError
        The photo or a saved mask cannot be read (a deferred mask: when first read).
    """
    record = project.image(image_id)
    changed = referenced_photo_changed(record, Path(project.root)) or missing_photo_hint(record.name, Path(project.root))
    if changed is not None:
        raise ProjectError(changed)
    if read is None:
        preview = load_preview(project.image_path(image_id)) if progressive else None
    else:
        preview = read.preview if progressive else None
    if preview is None:
        rgb, small = project.load_photo(image_id).rgb, None
    else:
        rgb, small = np.zeros((*preview.shape, 3), np.uint8), preview.rgb
    masks: dict[str, np.ndarray | MaskReader] = {}
    fresh = set()
    notes = [] if notes is None else notes
    latest = set()  # tasks opened as their latest saved version: undone back to it, nothing to save
    opened: list[AnnotationDocument] = []  # the document, once made (a deferred read may pass over)

    def not_latest(task: str) -> None:
        for made in opened:
            made.forget_clean(task)

    for task in project.tasks:
        versions = project.mask_versions(image_id, task) if small is not None else []
        if versions and task != shown:
            masks[task] = _saved_mask_reader(project, image_id, task, versions[-1].version, notes, not_latest)
            latest.add(task)
            continue
        passed_over = len(notes)
        ahead = None if read is None else read.masks.get(task)
        if ahead is not None and versions and ahead[0] == versions[-1].version:
            saved: np.ndarray | None = ahead[1]  # the latest version, decoded in the worker
        else:
            saved = newest_readable_mask(project, image_id, task, None, notes)
        if saved is None:
            fresh.add(task)
            saved = np.zeros(rgb.shape[:2], np.uint8)
        elif len(notes) == passed_over:
            latest.add(task)
        masks[task] = saved
    # A large photo's proposals of tasks that have a saved mask are read when first needed.
    deferred = set(project.tasks) - fresh if small is not None else set()
    proposals = {t: project.load_proposal(image_id, t) for t in project.tasks if t not in deferred}
    doc = AnnotationDocument(image_id, rgb, masks, proposals, preview=small,
                             load_proposal=lambda t: project.load_proposal(image_id, t),
                             copy_masks=False)  # fmt: skip
    opened.append(doc)
    doc.seconds, doc.actions = effort_so_far(project, image_id)
    doc.mark_saved(latest)
    doc.mark_clean(fresh)  # never saved: the empty mask, or the model's start below, is no edit
    for task in fresh:
        proposal = proposals.get(task)
        if proposal is not None:
            doc.start_from(task, proposal)
    return doc, fresh


@dataclass(frozen=True)
class ReadAhead:
    """What :func:`read_ahead` decoded of an image before :func:`load_document` opens it.

    Attributes
    ----------
    preview : PhotoPreview or None
        The large JPEG's preview (None: the photo has none, it is read whole).
    masks : dict[str, tuple[int, numpy.ndarray]]
        ``task -> (version, mask)``: the latest saved mask of the task shown, when it could be
        read (else it is read again by :func:`load_document`, a damaged file passed over).
    """

    preview: PhotoPreview | None
    masks: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)


def read_ahead(open_store: Callable[[], AbstractContextManager[ProjectStore]], image_id: int, path: Path,
               shown: str | None) -> ReadAhead:  # fmt: skip
    """Decode the slow part of opening a large photo, for :func:`load_document` (``read``):
    its preview, and the latest saved mask of ``shown`` when it has a preview. Run in a worker,
    ``open_store()`` a connection of the worker's own (opened only for a preview): a 6000x9000
    photo's preview and mask took seconds, the window blank and frozen at start.

    Raises
    ------
    ImageLoadError, ValueError, OSError
        The photo cannot be read (a mask that cannot: left to :func:`load_document`).
    """
    preview = load_preview(path)
    masks: dict[str, tuple[int, np.ndarray]] = {}
    if preview is None or shown is None:
        return ReadAhead(preview, masks)
    try:
        with open_store() as project:
            versions = project.mask_versions(image_id, shown) if shown in project.tasks else []
            mask = project.load_mask(image_id, shown, versions[-1].version) if versions else None
    except (ProjectError, ValueError, OSError) as exc:  # a damaged file: passed over in load_document
        log.info("the %s mask of image %s is read again as it opens: %s", shown, image_id, exc)
        mask = None
    if mask is not None:
        masks[shown] = (versions[-1].version, mask)
    return ReadAhead(preview, masks)


def newest_readable_mask(
    project: ProjectStore, image_id: int, task: str, version: int | None, notes: list[str]
) -> np.ndarray | None:
    """Saved ``version`` of a mask (None: the latest), or, when its file cannot be read, the
    newest earlier version that can, with a line in ``notes`` naming the damaged file.

    Raises
    ------
    ProjectError
        No version up to ``version`` can be read (the first failure's message).
    """
    try:
        return project.load_mask(image_id, task, version)
    except ProjectError as exc:
        damaged = exc
    older = [v.version for v in project.mask_versions(image_id, task)]
    limit = older[-1] if version is None and older else version
    for candidate in reversed([v for v in older if limit is None or v < limit]):
        try:
            mask = project.load_mask(image_id, task, candidate)
        except ProjectError:
            continue
        if mask is not None:
            notes.append(
                f"Damaged: {damaged}. The {task} mask opened at version {candidate}, the newest "
                "that reads; saving adds a new version on top."
            )
            return mask
    raise damaged


def _saved_mask_reader(
    project: ProjectStore,
    image_id: int,
    task: str,
    version: int,
    notes: list[str],
    passed_over: Callable[[str], None],
) -> MaskReader:
    """A reader of one saved mask version, for a document's first read of that mask; when that
    version cannot be read and an older one is read instead, ``passed_over(task)`` is called
    (the mask is not the store's latest: any edit of it saves a new version on top)."""

    def read() -> np.ndarray:
        before = len(notes)
        mask = newest_readable_mask(project, image_id, task, version, notes)
        if mask is None:
            raise ProjectError(
                f"image {image_id} task {task!r}: saved mask version {version} is gone"
            )
        if len(notes) > before:
            passed_over(task)
        return mask

    return read


def latest_versions(project: ProjectStore, image_id: int) -> dict[str, int]:
    """``task -> latest saved mask version`` of an image (0: none saved)."""
    return {task: version for task, (version, _sha) in latest_saved(project, image_id).items()}


def latest_saved(project: ProjectStore, image_id: int) -> dict[str, tuple[int, str]]:
    """``task -> (latest saved mask version, the SHA-256 of its file)`` of an image
    (``(0, "")``: none saved). The number alone does not name a version for good: a project
    restored from a backup while a window is open numbers its next versions again."""
    out = {}
    for task in project.tasks:
        versions = project.mask_versions(image_id, task)
        out[task] = (versions[-1].version, versions[-1].sha256) if versions else (0, "")
    return out


def imported_start(project: ProjectStore, image_id: int, task: str) -> bool:
    """Whether the task's latest recorded proposal is an import's (:data:`~fashion_annotator.
    dataset.records.IMPORTED_PROPOSAL`): a fresh task starts from it, and a model's proposal
    arriving later is offered (Refine > Use the proposal), never put in its place."""
    records = project.proposals(image_id, task)
    return bool(records) and records[-1].model_version == IMPORTED_PROPOSAL


def record_shown(project: ProjectStore, image_id: int, task: str, mask: np.ndarray, version: str) -> str | None:
    """Record the proposal shown unless the latest record is this mask of this model version;
    the problem when it could not be recorded, else None.

    One model version can propose different masks for one photo (the garment proposal snaps
    to superpixels only once they are computed or cached), and QA scores an operator's mask
    against the proposal shown before it was saved (:func:`~fashion_annotator.qa.scores.
    shown_proposal`): a record per version alone scored an accepted proposal below Dice 1.
    """
    records = project.proposals(image_id, task)
    try:
        if records and records[-1].model_version == version:
            latest = project.load_proposal(image_id, task)
            if latest is not None and np.array_equal(latest, mask):
                return None
        project.save_proposal(image_id, task, mask, version)
    except (ProjectError, ValueError, OSError) as exc:
        return str(exc)
    return None


def tasks_to_save(opened: OpenImage, status: str | None) -> list[str]:
    """The tasks a save writes: those with unsaved edits, and with a ``status`` (the operator
    marks the image done) also those never saved, so every task gets a mask."""
    return [t for t in opened.doc.tasks if t in opened.edited or (status and t in opened.fresh)]


def rejected_unchanged(project: ProjectStore, opened: OpenImage) -> list[str]:
    """Tasks of ``opened`` whose mask is, pixel for pixel, the one QA last rejected (the version
    the reject was made on, even with saves since: an edit autosaved, then undone): marking
    them done would clear the rejection with nothing fixed."""
    image_id = int(opened.doc.image_id)
    unchanged = []
    for t in opened.doc.tasks:
        last = None if t in opened.fresh else project.decisions.last(image_id, t)
        if last is None or last.decision != "reject":
            continue
        if last.mask_version:
            rejected = project.load_mask(image_id, t, last.mask_version)
        elif current_decision(project, image_id, t) is not None:  # older decisions: by time
            rejected = project.load_mask(image_id, t)
        else:
            continue
        if rejected is not None and np.array_equal(rejected, opened.doc.masks[t]):
            unchanged.append(t)
    return unchanged


def untouched(opened: OpenImage, task: str) -> bool:
    """Whether ``task`` of ``opened`` is as the image opened it, never saved and never touched:
    no edit standing, none undone that a redo could bring back, no stroke being drawn. A newer
    proposal then takes the start's place (:meth:`~.AnnotationDocument.start_from`)."""
    doc = opened.doc
    return (task in opened.fresh and task not in opened.edited and not doc.in_stroke(task)
            and not doc.can_redo(task))  # fmt: skip


def waiting_for_proposals(opened: OpenImage, awaiting: set[str], photo_failed: bool) -> list[str]:
    """Tasks of ``opened`` never saved nor edited whose proposal is still to come: being computed
    (``awaiting``), or the photo's full pixels still loading (none comes if they failed,
    ``photo_failed``). Their mask is an empty placeholder, not one anybody chose."""
    if not opened.doc.photo_ready:
        pending = set() if photo_failed else set(opened.doc.tasks)
    else:
        pending = awaiting
    return [t for t in opened.doc.tasks if t in pending and t in opened.fresh and t not in opened.edited]


def save_open_image(
    project: ProjectStore,
    opened: OpenImage,
    journal: RecoveryJournal,
    status: str | None = None,
    warnings: list[str] | None = None,
) -> list[str]:
    """Save the open image's masks and status; return the tasks saved.

    Each saved task leaves the journal and the unsaved record. Each mask is saved with the
    status an edit earns (:data:`EDITED_STATUS`: ``new`` becomes ``in_progress``, ``approved``
    becomes ``done``) in its own transaction, so a connection lost after a save never leaves a
    new mask approved; a ``status`` is set after the masks. A click log that cannot be written
    beside its saved version is a sentence in ``warnings`` (and the log), not a failed save:
    the mask is saved, and saving it again would only add a duplicate version.

    Raises
    ------
    NewerVersion
        A task's latest saved version is newer than ``opened.base_versions`` says (someone
        saved the image since it was opened); nothing of that task is saved (the store checks
        inside the save's transaction, ``save_mask(base=...)``).
    ProjectError, LeaseHeld, ValueError, OSError
        The store refused; the edits stay in the document and the journal.
    """
    doc = opened.doc
    image_id = int(doc.image_id)
    tasks = tasks_to_save(opened, status)
    for task in tasks:
        try:
            saved = _save_task(project, opened, task)
        except NewerVersion as newer:
            if not own_unanswered_save(project, opened, newer.version):
                raise
            opened.base_versions[task] = newer.version.version  # this window's, whose answer was lost
            opened.base_hashes[task] = newer.version.sha256
            saved = _save_task(project, opened, task)
        if task in opened.base_versions:
            opened.base_versions[task] = saved.version
            opened.base_hashes[task] = saved.sha256
        clicks = doc.take_click_log(task)
        if clicks:
            write_saved_click_log(saved, clicks, warnings)
        doc.mark_saved([task])
        opened.fresh.discard(task)
        journal.discard(image_id, task)
    if status is not None and status != project.image(image_id).status:
        project.set_status(image_id, status)
    return tasks


def finished_note(status_before: str | None, opened: OpenImage, tasks: list[str]) -> str:
    """What a save's line adds when it saved an edit of a finished photo (``status_before``
    done or approved, the status before the save; None unknown): the versions it made and the
    way back, since a stray click on a finished photo, saved on leave, is otherwise not seen;
    "" otherwise."""
    if status_before not in ("done", "approved") or not tasks:
        return ""
    made = ", ".join(f"{task_title(t)} version {opened.base_versions[t]}" for t in tasks if t in opened.base_versions)
    return (f": it was {status_name(status_before)}, your edit is saved as {made} "
            "(Edit > Go back to an earlier version… puts an earlier one back)")  # fmt: skip


def save_failure(name: str, exc: BaseException) -> str:
    """The window's line for a save of the photo ``name`` the store refused with ``exc``: the
    photo named once ("Could not save 0017.jpg: 0017.jpg is being edited by ..." named it twice).

    An exception the store does not raise for a refusal (a bug, ``MemoryError``) is logged with
    its traceback and named with its type: raised out of the save, it closed the window at quit
    without a question and without saving.
    """
    said = str(exc)
    if not isinstance(exc, (ProjectError, LeaseHeld, ValueError, OSError)):
        log.error("saving %s failed", name, exc_info=exc)
        said = f"{type(exc).__name__}: {said} (an unexpected error; its traceback is in the log file)"
    return f"Could not save: {said}" if said.startswith(name) else f"Could not save {name}: {said}"


def _save_task(project: ProjectStore, opened: OpenImage, task: str) -> MaskVersion:
    """Save one task's mask of the open image; a failed save's mask is remembered in
    ``opened.unanswered`` (its commit may have reached the server all the same)."""
    doc = opened.doc
    try:
        return project.save_mask(int(doc.image_id), task, doc.masks[task], seconds=doc.seconds,
                                 actions=doc.actions, edited=True, base=opened.base_versions.get(task))  # fmt: skip
    except NewerVersion:
        raise
    except ProjectError:
        tried = opened.unanswered.setdefault(task, [])
        tried[:] = [*tried, mask_fingerprint(doc.masks[task])][-UNANSWERED_KEPT:]
        raise


#: How many failed saves per task :attr:`OpenImage.unanswered` remembers (autosave tries again
#: every interval while a server is away).
UNANSWERED_KEPT = 16


def mask_fingerprint(mask: np.ndarray) -> str:
    """A SHA-256 of a label map's shape, dtype and pixels (equal masks, equal fingerprints)."""
    digest = hashlib.sha256(f"{mask.shape}{mask.dtype.str}".encode())
    digest.update(np.ascontiguousarray(mask).data)
    return digest.hexdigest()


def own_unanswered_save(project: ProjectStore, opened: OpenImage, newer: MaskVersion) -> bool:
    """Whether ``newer``, the version a save found after its base, is one of this window's own
    failed saves: the next version after the base, saved under this user name, with the
    pixels of a mask whose save raised (its commit reached the server, the answer did not)."""
    return answered_late(project, newer, opened.base_versions.get(newer.task),
                         opened.unanswered.get(newer.task, []), project.user)  # fmt: skip


def answered_late(project: ProjectStore, newer: MaskVersion, base: int | None, tried, user: str) -> bool:
    """Whether ``newer`` is the next version after ``base``, saved by ``user`` with the pixels of
    one of the masks fingerprinted in ``tried`` (saves that raised): one's own, answered late."""
    if not tried or base is None or newer.version != base + 1 or newer.user != user:
        return False
    try:
        saved = project.load_mask(newer.image_id, newer.task, newer.version)
    except (ProjectError, OSError, ValueError):
        return False
    return saved is not None and mask_fingerprint(saved) in tried


def write_saved_click_log(saved: MaskVersion, clicks: list[dict], warnings: list[str] | None) -> None:
    """Write the Smart-click log of the version just ``saved``; a failure (full disk, a file
    system error) is logged and added to ``warnings``, since the mask itself is saved."""
    try:
        write_click_log(saved.path, clicks)
    except (OSError, ValueError) as exc:
        text = (f"The {saved.task} mask of image {saved.image_id} was saved (version {saved.version}), "
                f"but its Smart-click log was not: {exc}")  # fmt: skip
        log.warning("%s", text)
        if warnings is not None:
            warnings.append(text)


def keeps_operator_mask(project: ProjectStore, opened: OpenImage, task: str) -> bool:
    """Whether accepting the proposal (Ctrl+Enter) keeps ``task``'s mask instead: it differs
    from the proposal and holds someone's work (unsaved edits, a latest saved version that
    logged edits, or one that did not come from the window: an imported or recovered mask,
    which logs none; or, with no version saved, an import's recorded start,
    :func:`imported_start`). Accepting out of habit must not throw corrections away; a saved
    proposal an operator accepted unchanged may give way to a newer model's."""
    proposal = opened.doc.proposal(task)
    if proposal is None or np.array_equal(opened.doc.masks[task], proposal):
        return False
    if task in opened.edited:
        return True
    try:
        if task in opened.fresh:
            return imported_start(project, int(opened.doc.image_id), task)
        versions = project.mask_versions(int(opened.doc.image_id), task)
    except ProjectError:
        return True  # unknown: keep what is shown
    return bool(versions) and (versions[-1].actions > 0 or versions[-1].source != "operator")
