"""The Qt-free annotation document that the main window edits.

One :class:`AnnotationDocument` holds one photo, its per-task label masks, the model proposals
and one :class:`~.history.History` per task. Every edit method returns the :class:`BBox` it
changed (or ``None``) and announces it to the listeners of :meth:`AnnotationDocument.subscribe`
(``listener(task, bbox, committed)``), so the canvas repaints only that rectangle and the
session journals the edit without each writer calling them. ``actions`` counts committed
edit steps (a stroke, a fill, an accepted proposal); undo and redo are not counted.

Cost notes: a brush stroke costs one mask copy at ``begin_stroke`` (about 0.3 ms for
1152x1728) plus bbox-local work per ``extend_stroke``; ``apply`` costs the wrapped operation
plus one mask copy; ``undo``/``redo`` copy one patch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .history import History
from .lazy_masks import LazyMasks, MaskReader
from .masks import BBox, paint_stroke

__all__ = ["AnnotationDocument", "ChangeListener", "TaskHistory"]

#: ``listener(task, bbox, committed)``: see :meth:`AnnotationDocument.subscribe`.
ChangeListener = Callable[[str, BBox, bool], None]


PIXELS_LOADING = "Waiting for the full-resolution photo (still loading); try again in a moment"
"""What a tool that reads the pixels says while only the preview is shown."""


@dataclass
class TaskHistory:
    """One task's undo history taken out of a document (:meth:`AnnotationDocument.task_history`)
    to be given to a later document of the same photo whose mask holds the same pixels
    (:meth:`AnnotationDocument.adopt_history`): the operator leaves a photo and comes back.

    Attributes
    ----------
    history : History
        The steps, undoable and redoable.
    clean_serial : int or None
        The history serial at which the mask was what the store held (None: no clean state).
    start : (H, W) uint8 or None
        The proposal the history starts from (:meth:`AnnotationDocument.start_from`), if any.
    click_log : list of dict
        The Smart clicks not saved yet (each with the serial of its step).
    unsaved : bool
        Whether the task held edits the store had not saved when it was taken.
    """

    history: History
    clean_serial: int | None
    start: np.ndarray | None
    click_log: list[dict]
    unsaved: bool = False

    @property
    def nbytes(self) -> int:
        """Bytes of every array held: the history's patches and marked pixels
        (:attr:`History.held_nbytes`) and the start mask (a full-size mask when there is one)."""
        start = 0 if self.start is None else int(self.start.nbytes)
        return self.history.held_nbytes + start


@dataclass
class _Stroke:
    label: int
    radius: float
    last: np.ndarray | None = None
    box: BBox | None = None


class AnnotationDocument:
    """Masks of one image being annotated, with undo/redo per task.

    Parameters
    ----------
    image_id : int or str
        The store's id of the photo.
    rgb : (H, W, 3) uint8
        The photo.
    masks : dict of task name -> (H, W) uint8, or a reader ``() -> (H, W) uint8``
        Current label masks; arrays are copied, so the caller's are never modified. A reader
        (:class:`~.lazy_masks.LazyMasks`) is called on the first read of that task's mask, so
        a large photo's other tasks cost nothing until shown, saved or exported.
    proposals : dict of task name -> (H, W) uint8 or None
        Model proposals per task (read-only reference for :meth:`accept_proposal`).
    preview : (h, w, 3) uint8, optional
        A reduced photo (:func:`~fashion_annotator.core.images.load_preview`) shown while the
        full pixels load; ``rgb`` is then a zero placeholder of the full shape (``np.zeros``
        pages are not touched, so it costs no memory) and :attr:`photo_ready` is False until
        :meth:`set_photo`. Masks, undo and saving work at full resolution meanwhile; tools
        that read the pixels must wait for :attr:`photo_ready`.
    load_proposal : callable, optional
        ``load_proposal(task)`` -> (H, W) uint8 or None: the proposal of a task missing from
        ``proposals``, read on first use by :meth:`proposal` (a large photo's saved proposals
        cost ~150 ms each to decode and are only needed when the operator accepts one).
    copy_masks : bool
        False: keep the given mask arrays instead of copying them (the caller gives up its
        arrays, e.g. masks it has just read from the store).

    Every change of a mask goes through the per-task history and is announced to the
    listeners added with :meth:`subscribe` (like napari's layer events): the canvas repaints
    the box, the session journals and schedules an autosave. :attr:`unsaved` is the one record
    of which tasks hold edits the store has not saved.
    """

    def __init__(
        self,
        image_id: int | str,
        rgb: np.ndarray,
        masks: Mapping[str, np.ndarray | MaskReader],
        proposals: Mapping[str, np.ndarray | None] | None = None,
        preview: np.ndarray | None = None,
        load_proposal: Callable[[str], np.ndarray | None] | None = None,
        copy_masks: bool = True,
    ) -> None:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(
                f"image {image_id}: rgb must be (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}"
            )
        shape = rgb.shape[:2]
        self.image_id = image_id
        self.rgb = rgb
        #: The reduced photo shown until :meth:`set_photo` brings the full pixels, or None.
        self.preview: np.ndarray | None = preview
        self.masks = LazyMasks(f"image {image_id}", shape, masks, copy=copy_masks)
        self.proposals: dict[str, np.ndarray | None] = {task: None for task in self.masks}
        self._load_proposal = load_proposal
        #: Tasks whose proposal ``load_proposal`` has still to read.
        self._unread: set[str] = set() if load_proposal is None else set(self.masks)
        for task, prop in (proposals or {}).items():
            self.set_proposal(task, prop)
        self.history: dict[str, History] = {task: History() for task in self.masks}
        self.unsaved: set[str] = set()
        #: Per task, the proposal its history starts from (:meth:`start_from`), when one does.
        self.starts: dict[str, np.ndarray] = {}
        #: Per task, the history serial at which the mask is what the store holds (set by
        #: :meth:`mark_saved`) or, never saved, what the image opened with (:meth:`mark_clean`,
        #: :meth:`start_from`): undoing or redoing back to it leaves nothing to save
        #: (:meth:`is_clean`).
        self._clean_serial: dict[str, int] = {}
        #: Tasks whose history came from an earlier document (:meth:`adopt_history`).
        self._adopted: set[str] = set()
        self.actions = 0
        self._listeners: list[ChangeListener] = []
        self.seconds = 0.0
        self._strokes: dict[str, _Stroke] = {}
        #: Smart-click prompts per task since the last save (dicts: kind, y, x, positive, label,
        #: model, t, and ``step``: the serial of the history step the click made), stored with
        #: the next mask version as training data (:meth:`take_click_log`).
        self.click_log: dict[str, list[dict]] = {}

    @property
    def dirty(self) -> bool:
        """Whether any task holds edits the store has not saved (see :attr:`unsaved`): a task
        undone back to what was saved or opened (:meth:`is_clean`) holds none."""
        return bool(self.unsaved)

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(task, bbox, committed)`` on every mask change; return an unsubscribe.

        ``committed`` is True for a recorded step (an edit, undo or redo: :attr:`unsaved` says
        whether the mask now differs from its clean state) and False for the live pixels of a
        stroke still being drawn.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self, task: str, box: BBox, committed: bool) -> None:
        for listener in list(self._listeners):
            listener(task, box, committed)

    @property
    def tasks(self) -> list[str]:
        """Task names, in the order the masks were given."""
        return list(self.masks)

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the photo and every mask."""
        return self.rgb.shape[0], self.rgb.shape[1]

    @property
    def photo_ready(self) -> bool:
        """Whether :attr:`rgb` holds the photo's full pixels (not a placeholder)."""
        return self.preview is None

    def set_photo(self, rgb: np.ndarray) -> None:
        """Replace the placeholder with the full pixels ((H, W, 3) uint8 of :attr:`shape`).

        Raises
        ------
        ValueError
            ``rgb`` has another shape or dtype than the document's photo.
        """
        rgb = np.asarray(rgb)
        if rgb.shape != self.rgb.shape or rgb.dtype != np.uint8:
            raise ValueError(
                f"image {self.image_id}: the full photo is {rgb.shape} {rgb.dtype}, the "
                f"document expects {self.rgb.shape} uint8"
            )
        self.rgb = rgb
        self.preview = None

    def _task(self, task: str) -> np.ndarray:
        try:
            return self.masks[task]
        except KeyError:
            raise KeyError(
                f"image {self.image_id}: no mask for task {task!r}; tasks are {self.tasks}"
            ) from None

    def _known(self, task: str) -> None:
        """Raise KeyError for a task this document does not hold (its mask is not read)."""
        if task not in self.history:
            raise KeyError(f"image {self.image_id}: no mask for task {task!r}; tasks are {self.tasks}")

    def _recorded(
        self, task: str, box: BBox | None, edit: bool = True, on_step: Callable[[int], None] | None = None
    ) -> bool:
        if not self.history[task].commit(self.masks[task], box):
            return False
        if on_step is not None:  # before the listeners: the journal they write holds what it logs
            on_step(self.history[task].last_serial())
        if edit:
            self.actions += 1
            self._track_clean(task)
        if box is not None:
            self._changed(task, box, edit)
        return True

    def add_time(self, seconds: float) -> None:
        """Add active editing time (the UI measures it; idle time should not be fed)."""
        if not np.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite non-negative number, got {seconds}")
        self.seconds += float(seconds)

    def begin_stroke(self, task: str, label: int, radius: float) -> None:
        """Start a brush stroke (``label=0`` erases); an unfinished stroke is ended first."""
        mask = self._task(task)
        if task in self._strokes:
            self.end_stroke(task)
        self.history[task].begin(mask)
        self._strokes[task] = _Stroke(int(label), float(radius))

    def extend_stroke(self, task: str, points: np.ndarray) -> BBox | None:
        """Paint the stroke on to ``points`` ((N, 2) float xy), joined to the previous point.

        Returns the box changed by this call only (bbox-local; well under a millisecond for a
        mouse move).
        """
        stroke = self._strokes.get(task)
        if stroke is None:
            raise RuntimeError(f"extend_stroke({task!r}) called without begin_stroke")
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(pts) == 0:
            return None
        path = pts if stroke.last is None else np.vstack([stroke.last[None], pts])
        box = paint_stroke(self.masks[task], path, stroke.radius, stroke.label)
        stroke.last = pts[-1].copy()
        if box is not None:
            stroke.box = box.union(stroke.box)
            self._changed(task, box, False)
        return box

    def in_stroke(self, task: str) -> bool:
        """Whether a stroke of ``task`` is open (a tool is drawing: nothing else should replace
        the mask until it ends; another edit ends it, see :meth:`apply`)."""
        return task in self._strokes

    def end_stroke(self, task: str) -> bool:
        """Finish the stroke as one undo step; False when it changed nothing."""
        stroke = self._strokes.pop(task, None)
        if stroke is None:
            return False
        if stroke.box is None:
            self.history[task].cancel()
            return False
        return self._recorded(task, stroke.box)

    def apply(
        self, task: str, fn: Callable[..., BBox | None], *args: Any, edit: bool = True,
        on_step: Callable[[int], None] | None = None, **kwargs: Any,
    ) -> BBox | None:  # fmt: skip
        """Run ``fn(mask, *args, **kwargs)`` (any :mod:`.masks` edit) as one undo step.

        ``edit=False`` records a step that is not the operator's (the model's proposal loaded
        as the starting mask): undoable, announced, but neither an action nor unsaved.
        ``on_step(serial)`` is called with the new step's serial once it is recorded, before the
        change is announced (a Smart click logs itself there, so the recovery journal a listener
        writes holds it). Returns the box ``fn`` reported, or ``None`` when nothing changed.
        """
        mask = self._task(task)
        if task in self._strokes:
            self.end_stroke(task)
        hist = self.history[task]
        hist.begin(mask)
        try:
            box = fn(mask, *args, **kwargs)
        except BaseException:
            # A failed edit may have half-written the mask.
            hist.rollback(mask)
            raise
        if box is None:
            hist.cancel()
            return None
        return box if self._recorded(task, box, edit, on_step) else None

    def undo(self, task: str) -> BBox | None:
        """Undo the last step of ``task``; returns the box to repaint, or None."""
        mask = self._task(task)
        if task in self._strokes:
            self.end_stroke(task)
        box = self.history[task].undo(mask)
        if box is not None:
            self._stepped(task, box)
        return box

    def redo(self, task: str) -> BBox | None:
        """Redo the last undone step of ``task``; returns the box to repaint, or None.

        An unfinished stroke is ended first; like any new edit it drops the redo stack.
        """
        mask = self._task(task)
        if task in self._strokes:
            self.end_stroke(task)
        box = self.history[task].redo(mask)
        if box is not None:
            self._stepped(task, box)
        return box

    def _stepped(self, task: str, box: BBox) -> None:
        """An undo or redo of ``task`` changed ``box``: unsaved unless the mask is back at its
        clean state (:meth:`is_clean`); announced either way."""
        self._track_clean(task)
        self._changed(task, box, True)

    def _track_clean(self, task: str) -> None:
        """After a step of ``task``: unsaved unless its mask is back at its clean state."""
        if self.is_clean(task):
            self.unsaved.discard(task)
        else:
            self.unsaved.add(task)

    def can_undo(self, task: str) -> bool:
        """True when ``task`` has a step to undo."""
        self._task(task)
        return self.history[task].can_undo

    def can_redo(self, task: str) -> bool:
        """True when ``task`` has an undone step to redo."""
        self._task(task)
        return self.history[task].can_redo

    def accept_proposal(self, task: str) -> BBox | None:
        """Copy the model proposal into the mask as one undo step; None if none or no change."""
        proposal = self.proposal(task)
        if proposal is None:
            return None
        return self.apply(task, _copy_into, proposal)

    def proposal(self, task: str) -> np.ndarray | None:
        """The model proposal of ``task`` ((H, W) uint8) or None, read now if deferred."""
        self._task(task)
        if task in self._unread:
            assert self._load_proposal is not None
            self.set_proposal(task, self._load_proposal(task))
        return self.proposals[task]

    def start_from(self, task: str, mask: np.ndarray) -> BBox | None:
        """Make ``mask`` the task's starting mask (a model proposal on an image with no saved
        mask, and again when a newer proposal arrives before any edit): announced, not an
        operator edit, and the base of the task's history, so Ctrl+Z never takes it away (an
        undone proposal, an empty mask, was kept and marked done by "accept" as the operator's
        own work; Refine > Clear the mask starts from nothing, as an edit)."""
        box = self.apply(task, _copy_into, np.asarray(mask), edit=False)
        self.history[task].rebase()
        self.starts[task] = np.array(mask, np.uint8, copy=True)
        if task not in self.unsaved:  # no edit of the operator's: the start is what opened
            self.mark_clean([task])
        return box

    def started_from(self, task: str, mask: np.ndarray) -> bool:
        """Whether ``task``'s history starts from ``mask`` (:meth:`start_from`): a proposal
        that arrives again, pixel for pixel, after the first edit is already applied."""
        start = self.starts.get(task)
        return start is not None and np.array_equal(start, mask)

    def set_proposal(self, task: str, proposal: np.ndarray | None) -> None:
        """Replace the proposal of ``task`` (e.g. when a background prediction finishes)."""
        self._task(task)
        if proposal is not None:
            proposal = np.asarray(proposal)
        if proposal is not None and (proposal.shape != self.shape or proposal.dtype != np.uint8):
            raise ValueError(
                f"image {self.image_id} task {task!r}: proposal must be {self.shape} uint8, "
                f"got {proposal.shape} {proposal.dtype}"
            )
        self.proposals[task] = proposal
        self._unread.discard(task)

    def take_click_log(self, task: str) -> list[dict]:
        """Remove and return ``task``'s click log, the clicks whose edit still stands in the
        mask: not an undone click, nor one taken back (``gone``: the serial of the step that
        removed it, a Ctrl+click on its marker) while that removal stands. The click trainer
        replays each logged click on the saved mask. ``step`` and ``gone`` are left out."""
        entries = self.standing_clicks(task)
        self.click_log.pop(task, None)
        return entries

    def standing_clicks(self, task: str) -> list[dict]:
        """What :meth:`take_click_log` would return, the log left as it is (the recovery
        journal keeps it beside the unsaved mask)."""
        entries = self.click_log.get(task, [])
        history = self.history[task]

        def stands(e: dict) -> bool:
            gone = e.get("gone")
            return history.stands(int(e.get("step", 0))) and (gone is None or not history.stands(int(gone)))

        return [{k: v for k, v in e.items() if k not in ("step", "gone")} for e in entries if stands(e)]

    def mark_saved(self, tasks: Iterable[str] | None = None) -> None:
        """The store now holds the masks of ``tasks`` (default: all); history is kept."""
        self.mark_clean(list(self.masks) if tasks is None else tasks)

    def mark_clean(self, tasks: Iterable[str]) -> None:
        """The masks of ``tasks`` as they are now leave nothing to save: what the store holds
        (:meth:`mark_saved`), or, never saved, what the image opened with (an empty mask, the
        model's start; marking the image done still saves those). Undoing or redoing back to
        this state makes the task clean again (:meth:`is_clean`)."""
        for task in tasks:
            self.unsaved.discard(task)
            self._clean_serial[task] = self.history[task].last_serial()
            self.history[task].mark()

    def task_history(self, task: str) -> TaskHistory:
        """``task``'s undo history, with its clean state, start and unsaved click log, to give
        to another document of this photo (:meth:`adopt_history`); an open stroke is ended
        first. This document should not be edited afterwards (the two would share steps); a
        mask not read yet (:class:`~.lazy_masks.LazyMasks`) is not read for it."""
        self._known(task)
        if task in self._strokes:
            self.end_stroke(task)
        return TaskHistory(self.history[task], self._clean_serial.get(task), self.starts.get(task),
                           list(self.click_log.get(task, [])), task in self.unsaved)  # fmt: skip

    def adopt_history(self, task: str, kept: TaskHistory) -> None:
        """Take ``kept`` (:meth:`task_history` of an earlier document of this photo) as
        ``task``'s history: Undo takes back the steps made before. The caller makes sure this
        document's ``task`` mask holds the pixels the earlier one held when it was taken (the
        same saved version, opened as the latest: :meth:`has_clean_state`); ``task`` is unsaved
        unless that is its clean state. A mask not read yet is not read for it; should its
        first read find the saved version damaged (an older one opens, :meth:`forget_clean`),
        the history adopted goes.

        Raises
        ------
        ValueError
            ``task`` has no clean state here (its mask opened at an older version than the
            latest saved one): the kept steps are not this mask's and its clean state is none.
        RuntimeError
            A stroke of ``task`` is open.
        """
        self._known(task)
        if task in self._strokes:
            raise RuntimeError(f"adopt_history({task!r}) while a stroke is open")
        if not self.has_clean_state(task):
            raise ValueError(
                f"image {self.image_id} task {task!r}: the mask did not open at the latest saved "
                "version; an earlier history is not its own"
            )
        self._adopted.add(task)  # first: a read of the mask below may find it damaged
        self.history[task] = kept.history
        if kept.clean_serial is None:
            self._clean_serial.pop(task, None)
        else:
            self._clean_serial[task] = kept.clean_serial
        if kept.start is None:
            self.starts.pop(task, None)
        else:
            self.starts[task] = kept.start
        if kept.click_log:
            self.click_log[task] = list(kept.click_log)
        else:
            self.click_log.pop(task, None)
        if self.masks.is_read(task):
            self._track_clean(task)
        elif kept.unsaved:  # the same pixels as the earlier mask: its answer holds, unread
            self.unsaved.add(task)
        else:
            self.unsaved.discard(task)

    def has_clean_state(self, task: str) -> bool:
        """Whether ``task``'s mask has a clean state (:meth:`mark_clean`), which
        :meth:`forget_clean` took away from a mask opened at an older version than the latest."""
        return task in self._clean_serial

    def forget_clean(self, task: str) -> None:
        """No state of ``task``'s mask is clean any more (the saved version it opened with was
        not the latest after all: a damaged file passed over); any edit, even undone, saves.
        A history adopted from an earlier document (:meth:`adopt_history`) goes with it: its
        steps were made on the latest version's pixels, which this mask does not hold."""
        self._clean_serial.pop(task, None)
        if task in self._adopted:
            self._adopted.discard(task)
            self.history[task] = History()
            self.starts.pop(task, None)
            self.click_log.pop(task, None)
            self.unsaved.discard(task)

    def is_clean(self, task: str) -> bool:
        """Whether ``task``'s mask is again what it was at the last :meth:`mark_clean`: nothing
        to save, a save would add an identical version. Every step since undone (or redone back
        to it: the history is linear, so its newest step's serial names the mask), or steps
        that put the same pixels back (a stroke erased again, a region click taken back by the
        opposite click: :meth:`History.at_mark` compares the box they changed, once per step)
        while no Smart click of them stands (its log is saved with the mask)."""
        if task in self._strokes or task not in self._clean_serial:
            return False
        if self._clean_serial[task] == self.history[task].last_serial():
            return True
        mask = self.masks[task]  # first read: an older version may open (:meth:`forget_clean`)
        if task not in self._clean_serial:
            return False
        return not self.standing_clicks(task) and self.history[task].at_mark(mask)


def _copy_into(mask: np.ndarray, source: np.ndarray) -> BBox | None:
    """Overwrite ``mask`` with ``source``; return the box of changed pixels."""
    box = BBox.of(mask != source)
    if box is not None:
        mask[box.slices] = source[box.slices]
    return box
