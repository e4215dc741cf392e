"""The Smart-click tool: model clicks and box prompts on the current label's mask (no Qt here).

- a left click adds a positive click ("this label here"), a right click or Shift+click a
  negative one ("not here"); the click model (:class:`~fashion_annotator.segmentation.clicks.
  ClickPredictor`) updates the area around the clicks, and each click is one undo step; the
  first positive click on an empty mask, over an object the proposal model proposed, takes
  that proposed object as it is
  (:func:`~fashion_annotator.segmentation.click_guide.proposed_object`);
- dragging a box (left button) fills it: GrabCut from the box, a virtual positive click, the
  model; one undo step, and it starts a new click session whose clicks inside the box also
  re-run GrabCut with the clicks as seeds where the backdrop is plain
  (:meth:`~fashion_annotator.segmentation.clicks.ClickPredictor.predict_in_box`); the status
  line says how many pixels it added and removed. A box may start on the canvas's margin
  beside the photo (a plain click there does nothing): it is clipped to the photo, as one
  dragged out of it is;
- Ctrl+click on a marker removes that click: the object is recomputed from the state before
  it with the remaining later clicks replayed, and written only on the pixels that click
  changed and where the replayed clicks act, never over another label (one undo step);
- a box thinner than :data:`MIN_BOX_PX` after clipping to the photo, or thinner than
  :data:`~fashion_annotator.segmentation.grabcut.MIN_SHRUNK_BOX_PX` on the shrunk photo GrabCut
  runs on (a drag of a few pixels across a wide photo), is refused with :data:`BOX_TOO_THIN`
  and the click session goes on;
- a box with nothing in it, plain backdrop only (:func:`~fashion_annotator.segmentation.grabcut.
  box_contrast` below :data:`~fashion_annotator.segmentation.grabcut.FLAT_BOX`), is refused with
  :data:`BOX_EMPTY` and the click session goes on: GrabCut and the model would fill a block of
  backdrop as the object;
- the object is ``mask == label`` (cutouts: the foreground; parsing: the clicked class); pixels
  a click takes out of it go to the class around them (:func:`~.click_write.refill`; background on a
  cutout); those of a click taken back get their labels from before it back. Brush, regions
  and polygon edits between clicks are kept: the model sees the current mask at every click;
- on a parsing mask the object takes background and the class most of its new pixels have
  (the thing being relabelled, perhaps a wrong class) and keeps the pixels of other classes
  it would paint over, hands or a bag in a box around a skirt
  (:func:`~fashion_annotator.annotate.tools.click_write.keep_others`); the status line says
  how many it kept (:func:`kept_message`); Alt with the click or the drag paints over them
  too. A cutout (two classes) has nothing to keep;
- background is no object: on a two-class (cutout) mask the clicks always add and remove the
  foreground (1), whatever label is chosen (a left click with background chosen says so,
  :data:`BACKGROUND_ADDS`); on a parsing mask with background chosen every
  click, box and marker removal is refused with a message (:data:`NO_CLASS`). No click is ever
  applied or logged with label 0.

While the click model runs (it blocks for up to seconds on a loaded machine) the new click is
one of :attr:`SmartClickTool.clicks` and a box stays :attr:`SmartClickTool.box`, inside the
view's :attr:`SmartClickTool.busy` (the canvas draws them at once and shows a busy cursor).

The clicks of a session (same document, task and object label) are the markers the canvas
draws, and they follow undo and redo exactly: each entry keeps the serial of the history step
that made it and of the step that took it away (a Ctrl+click removal, a box starting a new
session), and a marker is shown while the first stands and the second does not
(:meth:`~fashion_annotator.core.history.History.stands`, so an undo under another tool counts).
Each applied click or box is appended to ``document.click_log[task]`` (photo pixels, sign,
label, model version), saved with the mask.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from fashion_annotator.annotate.tools.base import NOTHING, Pointer, Tool, ToolContext, ToolResult
from fashion_annotator.annotate.tools.click_labels import label_replayed, unwind
from fashion_annotator.annotate.tools.click_model import network_lock, shared_click_predictor
from fashion_annotator.annotate.tools.click_write import (
    Labels,
    keep_others,
    labels_at,
    write_object,
    write_where,
)
from fashion_annotator.core.document import PIXELS_LOADING
from fashion_annotator.core.history import History
from fashion_annotator.core.masks import BBox
from fashion_annotator.segmentation.grabcut import (
    FLAT_BOX,
    MIN_SHRUNK_BOX_PX,
    box_contrast,
    shrunk_box_size,
)

if TYPE_CHECKING:  # the click model (torch) loads on first use
    from fashion_annotator.segmentation.clicks import Click

#: Pointer travel (image pixels) that turns a press into a box drag (at least; see
#: :data:`DRAG_SCREEN_PX`).
DRAG_PX = 6.0
#: Pointer travel in screen pixels below which a press stays a click: a hand's jitter of a
#: pixel or two is 7-14 photo pixels on a large photo shown whole.
DRAG_SCREEN_PX = 6.0
#: Marker hit radius for Ctrl+click removal, in image pixels (at least; see
#: :data:`MARKER_HIT_SCREEN_PX`).
MARKER_HIT_PX = 12.0
#: Marker hit radius in screen pixels: a marker is drawn 5 screen pixels wide at any zoom, so on
#: a large photo shown whole (12 photo pixels are 1-3 screen pixels there) a Ctrl+click on the
#: drawn dot still takes the click back.
MARKER_HIT_SCREEN_PX = 8.0
#: A box thinner than this (image pixels, after clipping to the photo) is refused.
MIN_BOX_PX = 3.0
#: Why a box prompt is refused: too thin, here or where GrabCut runs, or outside the photo.
BOX_TOO_THIN = "Box too thin or outside the photo: drag a box around the object"
#: Why a box over plain backdrop or plain fabric, with nothing in it, is refused.
BOX_EMPTY = "Box: nothing stands out in it, nothing changed: drag the box around the object"
#: Why a click on a parsing mask with background chosen is refused.
NO_CLASS = "Smart click adds or removes the chosen class: choose a class, not background"
#: Status text of a click on a pixel the mask has right already (a positive click inside it).
CLICK_ON_RIGHT = "Nothing changed: the mask is right here; click where it is wrong"
#: Status text of a left click on a cutout with background selected: it adds to the cutout, as
#: every left click does (a newcomer took background for "remove" and saw the mask grow).
BACKGROUND_ADDS = "With background selected, a left click still adds to the cutout; right-click removes"
#: Status text of a box around what the mask already has (most of GrabCut's object in it, see
#: :data:`~fashion_annotator.segmentation.clicks.BOX_KEEPS_MASK`): part of the object may still
#: be missing, so it says how to redo the object from the box (the whole line is in the status
#: bar's tooltip where a 1280 px window cuts it off).
BOX_UNCHANGED = ("Box: nothing changed, the mask has most of what it found; click to correct, "
                 "or Refine > Clear the mask and draw the box again")


@dataclass(eq=False)
class _Entry:
    """One applied click: the click, the serial of the history step it made (or the newest
    step before it when it changed nothing; see :meth:`History.stands`), the object before it
    (bits), for a box prompt's virtual click the box ``(y0, x0, y1, x1)``, and the area its
    update covered."""

    click: Click
    step: int
    before: np.ndarray
    shape: tuple[int, int]
    box: tuple[float, float, float, float] | None = None
    #: The object right after the click (bits), when known.
    after: np.ndarray | None = None
    #: The serial of the step that took the click away (a marker removal, a new box), if any.
    gone: int | None = None
    #: The labels of the pixels the click changed (:meth:`changed_mask`, row-major) before and
    #: after it, when known: a click taken back gives them back (:func:`~.click_write.write_where`).
    was: np.ndarray | None = None
    gave: np.ndarray | None = None

    def shown(self, history: History) -> bool:
        """Whether the click's marker is drawn: its step stands and the one that took it away
        (if any) does not."""
        return (self.gone is None or not history.stands(self.gone)) and history.stands(self.step)

    def before_mask(self) -> np.ndarray:
        return _unpack(self.before, self.shape)

    def changed_mask(self) -> np.ndarray:
        """``(H, W) bool``: the pixels the click itself changed (all, when unknown)."""
        if self.after is None:
            return np.ones(self.shape, bool)
        return self.before_mask() != _unpack(self.after, self.shape)

    def labels(self) -> Labels | None:
        """The click's changed pixels and their labels before and after it, when known."""
        if self.was is None or self.gave is None:
            return None
        changed = self.changed_mask()
        if not self.was.size == self.gave.size == int(changed.sum()):
            return None
        return changed, self.was, self.gave


def _unpack(bits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return np.unpackbits(bits, count=shape[0] * shape[1]).reshape(shape) > 0


def _clip(box: tuple[float, float, float, float], shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """``box`` ``(y0, x0, y1, x1)`` (photo pixels) clipped to a photo of ``shape`` ``(H, W)``."""
    h, w = shape
    return max(box[0], 0.0), max(box[1], 0.0), min(box[2], float(h)), min(box[3], float(w))


def _too_thin(box: tuple[float, float, float, float], shape: tuple[int, int]) -> bool:
    """Whether ``box`` (photo pixels) is thinner than GrabCut can use once its surroundings are
    shrunk (:func:`~fashion_annotator.segmentation.grabcut.shrunk_box_size`)."""
    return min(shrunk_box_size(box, shape)) < MIN_SHRUNK_BOX_PX


def _take_back(ctx: ToolContext, removed: _Entry, step: int) -> None:
    """Mark the logged click of ``removed`` as taken back by the step ``step`` (Ctrl+click on
    its marker): not saved as training data while that step stands. Called as the step is
    recorded, so the recovery journal written then leaves the click out. The log holds the
    click's position as :meth:`Click.as_dict` rounds it, so that is what is compared."""
    where = removed.click.as_dict()
    for logged in ctx.document.click_log.get(ctx.task, []):
        if logged.get("step") == removed.step and (logged["y"], logged["x"]) == (where["y"], where["x"]):
            logged["gone"] = step


def kept_message(counts: dict[int, int], names: list[str] | None) -> str:
    """The status text for pixels of other classes a click or box kept (``counts``: per class
    id), naming the classes (``names`` by id; ids without): "" when none were kept."""
    if not counts:
        return ""
    named = [names[c] if names is not None and c < len(names) else f"class {c}" for c in sorted(counts)]
    return f"kept {sum(counts.values()):,} px of {', '.join(named)}: Alt+drag paints over them"


class SmartClickTool(Tool):
    """Positive / negative model clicks and box prompts; see the module docstring.

    Parameters
    ----------
    predictor : ClickPredictor, optional
        The click model; the shared shipped one by default (loaded on first use).

    Attributes
    ----------
    num_classes : int or None
        The shown task's class count, background included, set by the canvas: 2 makes every
        click act on the foreground (see the module docstring); None (unknown) refuses
        background as a parsing mask does.
    names : list of str or None
        The shown task's class names by id, set with ``num_classes`` (:meth:`set_taxonomy`):
        the status line names the classes a click kept.
    """

    name = "smartclick"
    accepts_secondary = True

    #: Click sessions per document and (task, label): they outlive the tool object, so
    #: switching to the brush and back keeps the markers.
    _sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, predictor=None) -> None:
        self._predictor = predictor
        #: The click model file to use (a project's active one; None: the shipped one), set by
        #: the view that owns the tool.
        self.model_path: str | None = None
        self.num_classes: int | None = None
        self.names: list[str] | None = None
        #: Whether Alt was held at the press: the object paints over every class.
        self._force = False
        #: Every entry of the session, shown or not (an undone click may be redone).
        self._session: list[_Entry] = []
        #: The entries whose markers are shown, oldest first.
        self._entries: list[_Entry] = []
        #: What the view does while the click model runs: a context entered before the model
        #: starts (the canvas draws the new click or the box and shows a busy cursor) and left
        #: when it returns or fails.
        self.busy: Callable[[], AbstractContextManager[object]] = nullcontext
        #: The view's zoom (screen pixels per image pixel), asked at a Ctrl+click and a drag.
        self.zoom: Callable[[], float] = lambda: 1.0
        #: The click the model is computing, shown as a marker meanwhile.
        self._pending: Click | None = None
        self._press_at: Pointer | None = None
        #: Whether the press was off the photo (on the canvas's margin): only a box may follow.
        self._outside = False
        self._negative = False
        self.box: tuple[float, float, float, float] | None = None
        self.last_ms: float | None = None

    def set_taxonomy(self, taxonomy) -> None:
        """Take the shown task's class count and names from ``taxonomy`` (None: unknown)."""
        self.num_classes = None if taxonomy is None else taxonomy.num_classes
        self.names = None if taxonomy is None else list(taxonomy.names)

    # ---- state ----------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._press_at is not None

    @property
    def clicks(self) -> list:
        """The session's clicks (markers), oldest first, and the one the model is computing."""
        return [e.click for e in self._entries] + ([] if self._pending is None else [self._pending])

    def predictor(self):
        """The click predictor, or None when no click model is available.

        Without a predictor given to the tool, the one of :attr:`model_path`, looked up on every
        click so a promoted model takes over.
        """
        return self._predictor if self._predictor is not None else shared_click_predictor(self.model_path)

    def loader(self) -> Callable[[], object]:
        """A callable giving :meth:`predictor` that keeps neither the tool nor its view alive (the
        warm-up thread's: a view freed there would be destroyed outside the GUI thread)."""
        given, path = self._predictor, self.model_path
        return lambda: given if given is not None else shared_click_predictor(path)

    def target(self, ctx: ToolContext) -> ToolContext | None:
        """``ctx`` with the label the clicks add and remove, or None when there is none.

        On a two-class (cutout) mask that is the foreground (1) whatever label is chosen; else
        the chosen label, unless it is background (0).
        """
        if self.num_classes == 2:
            return ctx if ctx.label == 1 else replace(ctx, label=1)
        return None if ctx.label == 0 else ctx

    def sync(self, ctx: ToolContext | None) -> None:
        """Show the markers of the clicks that stand now (after any undo or redo); start a new
        session on another photo, task or object label.

        Parameters
        ----------
        ctx : ToolContext or None
            The canvas's context as it is (the chosen label), None without a document.
        """
        target = None if ctx is None else self.target(ctx)
        if target is None:
            self._session, self._entries = [], []
            return
        sessions = self._sessions.setdefault(target.document, {})
        self._session = sessions.setdefault((target.task, target.label), [])
        history = target.document.history[target.task]
        if not history.can_redo:  # an undone click's step can no longer come back
            self._session[:] = [e for e in self._session if history.stands(e.step)]
        # an undone step no longer stands, whatever happened since (other tools, other
        # labels, new steps at the same depth); a redone one stands again
        self._entries = [e for e in self._session if e.shown(history)]

    @classmethod
    def end_sessions(cls, document, task: str) -> None:
        """End the click sessions of ``document``'s ``task`` at its newest step (Refine > Clear
        the mask starts from nothing): their markers go and they no longer steer a later click;
        undoing that step brings them back, as undoing a box does."""
        history = document.history[task]
        step = history.last_serial()
        for (session_task, _label), session in cls._sessions.get(document, {}).items():
            if session_task == task:
                for entry in session:
                    if entry.shown(history):
                        entry.gone = step

    # ---- events ---------------------------------------------------------------------
    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        self.sync(ctx)
        outside = not ctx.inside(p)
        if outside and (p.ctrl or p.shift or p.secondary):
            return NOTHING  # off the photo only a box may start
        target = self.target(ctx)
        if target is None:
            return NOTHING if outside else ToolResult(message=NO_CLASS)
        if p.ctrl:
            return self._remove_near(target, p)
        self._press_at = p
        self._outside = outside
        self._negative = p.shift or p.secondary
        self._force = p.alt
        self.box = None
        return NOTHING

    def move(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        start = self._press_at
        if start is None or self._negative:
            return NOTHING
        reach = max(DRAG_PX, DRAG_SCREEN_PX / max(self.zoom(), 1e-6))
        if self.box is not None or max(abs(p.x - start.x), abs(p.y - start.y)) >= reach:
            box = (min(start.y, p.y), min(start.x, p.x), max(start.y, p.y), max(start.x, p.x))
            self.box = _clip(box, ctx.mask.shape)
        return NOTHING

    def release(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        start, box = self._press_at, self.box
        self._press_at, self.box = None, None
        target = self.target(ctx)
        if start is None or target is None or (box is None and self._outside):
            return NOTHING
        background, ctx = ctx.label == 0 and not self._negative, target
        predictor = self.predictor()
        if predictor is None:
            return ToolResult(message="Smart click needs a click model (resources/models/click.*)")
        if not ctx.document.photo_ready:
            return ToolResult(message=PIXELS_LOADING)
        if box is not None:
            box = _clip(box, ctx.mask.shape)
            if box[2] - box[0] < MIN_BOX_PX or box[3] - box[1] < MIN_BOX_PX or _too_thin(box, ctx.mask.shape):
                return ToolResult(message=BOX_TOO_THIN)
            if box_contrast(ctx.document.rgb, box) < FLAT_BOX:
                return ToolResult(message=BOX_EMPTY)
        from fashion_annotator.segmentation.clicks import Click

        click = None if box is not None else Click(start.y, start.x, not self._negative)
        self._pending, self.box = click, box  # shown while the model runs
        try:  # a warm-up's network run in progress ends first, then the click has the cores
            with self.busy(), network_lock(predictor):
                predictor.set_image(ctx.document.rgb)
                if box is not None:
                    return self._apply_box(ctx, predictor, box)
                result = self._apply_click(ctx, predictor, click)
                return replace(result, message=BACKGROUND_ADDS) if background else result
        finally:
            self._pending, self.box = None, None

    def cancel(self, ctx: ToolContext | None) -> ToolResult:
        self._press_at, self.box = None, None
        return NOTHING

    # ---- edits ----------------------------------------------------------------------
    def _commit(self, ctx: ToolContext, obj: np.ndarray, bounds, kind: str, clicks: list,
                box: tuple[float, float, float, float] | None = None) -> BBox | None:  # fmt: skip
        """Write ``obj`` into the mask as one step and log its clicks (a box prompt's virtual
        click with the box ``(y0, x0, y1, x1)``, photo pixels, for the click trainer), logged
        as the step is recorded, before the recovery journal takes the mask."""
        version = getattr(self.predictor(), "version", None)
        extra = {} if box is None else {"box": [round(float(v), 1) for v in box]}

        def log(step: int) -> None:
            logged = ctx.document.click_log.setdefault(ctx.task, [])
            for c in clicks:
                logged.append({"kind": kind, **c.as_dict(), **extra, "label": ctx.label, "model": version,
                               "t": round(time.time(), 3), "step": step})  # fmt: skip

        return ctx.document.apply(ctx.task, write_object, obj, bounds, ctx.label, on_step=log)

    def _correct(self, predictor, mask: np.ndarray, clicks: list, entries: list[_Entry],
                 guide: np.ndarray | None = None):  # fmt: skip
        """One correction click: inside the box of a session that began with one, the
        box-aware update (:meth:`ClickPredictor.predict_in_box`), else a plain click whose
        spread the proposal's mask of the object (``guide``) vetoes where it is sure, unless,
        on a parsing mask, the click contradicts the proposal
        (:func:`~fashion_annotator.segmentation.click_guide.contradicts`)."""
        from fashion_annotator.segmentation.click_guide import contradicts

        box = entries[0].box if entries else None
        if box is not None:
            return predictor.predict_in_box(mask, clicks, box)
        if guide is not None and (self.num_classes or 2) > 2 and contradicts(guide, clicks[-1]):
            guide = None
        return predictor.predict(mask, clicks, guide=guide)

    @staticmethod
    def _guide(ctx: ToolContext) -> np.ndarray | None:
        """The proposal model's mask of the clicked class, or None without a proposal."""
        proposal = ctx.document.proposal(ctx.task)
        return None if proposal is None else proposal == ctx.label

    def _apply_click(self, ctx: ToolContext, predictor, click) -> ToolResult:
        from fashion_annotator.segmentation.click_guide import proposed_object

        before = ctx.mask == ctx.label
        clicks = [*(e.click for e in self._entries), click]
        guide = self._guide(ctx)
        proposed = proposed_object(guide, before, clicks)
        if proposed is not None:  # a first click on a proposed object: take it
            update = predictor.take(before, proposed)
        else:
            update = self._correct(predictor, before, clicks, self._entries, guide)
        self.last_ms = update.elapsed_ms
        obj, kept = self._keep(ctx, update.mask, update.bounds)
        was = labels_at(ctx.mask, before, obj, update.bounds)
        bbox = self._commit(ctx, obj, update.bounds, "click", [click])
        step = ctx.document.history[ctx.task].last_serial()
        entry = _Entry(click, step, np.packbits(before), before.shape, None, np.packbits(obj))
        entry.was, entry.gave = was, labels_at(ctx.mask, before, obj, update.bounds)
        self._session.append(entry)
        self._entries.append(entry)
        if bbox is None:
            return ToolResult(message=kept or CLICK_ON_RIGHT)
        return ToolResult(bbox, committed=True, message=kept or None)

    def _apply_box(self, ctx: ToolContext, predictor, box) -> ToolResult:
        before = ctx.mask == ctx.label
        update, virtual = predictor.predict_box(box, before)
        self.last_ms = update.elapsed_ms
        obj, kept = self._keep(ctx, update.mask, update.bounds)
        was = labels_at(ctx.mask, before, obj, update.bounds)
        bbox = self._commit(ctx, obj, update.bounds, "box", [virtual], box)
        if bbox is None:  # nothing changed, no undo step: the click session so far stays
            return ToolResult(message=kept or BOX_UNCHANGED)
        after = ctx.mask == ctx.label
        added, removed = int((after & ~before).sum()), int((before & ~after).sum())
        said = f"Box: {added:,} px added" + (f", {removed:,} px removed" if removed else "")
        step = ctx.document.history[ctx.task].last_serial()
        for earlier in self._entries:  # a new session: undoing the box brings them back
            earlier.gone = step
        frame = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        entry = _Entry(virtual, step, np.packbits(before), before.shape, frame, np.packbits(obj))
        entry.was, entry.gave = was, labels_at(ctx.mask, before, obj, update.bounds)
        self._session.append(entry)
        self._entries = [entry]
        return ToolResult(bbox, committed=True, message=f"{said}{'; ' + kept if kept else ''} (Ctrl+Z undoes)")

    def _keep(self, ctx: ToolContext, obj: np.ndarray, bounds) -> tuple[np.ndarray, str]:
        """The object to write and the status text saying what it kept: on a parsing mask,
        without Alt, ``obj`` ``(H, W) bool`` less other classes' pixels
        (:func:`~fashion_annotator.annotate.tools.click_write.keep_others`); else ``obj``."""
        if self.num_classes == 2 or self._force:
            return obj, ""
        kept = keep_others(ctx.mask, obj, bounds, ctx.label)
        return kept.obj, kept_message(kept.counts, self.names)

    def _remove_near(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        """Ctrl+click: remove the nearest marker within :data:`MARKER_HIT_PX` image pixels or
        :data:`MARKER_HIT_SCREEN_PX` screen pixels (:attr:`zoom`), replay the rest.

        The replayed object is written only on the pixels the removed click changed and where
        the replayed clicks act, never over another label's pixels: other edits (a brush
        stroke away from the clicks) stay as they are."""
        if not self._entries:
            return NOTHING
        dist = [np.hypot(e.click.y - p.y, e.click.x - p.x) for e in self._entries]
        i = int(np.argmin(dist))
        if dist[i] > max(MARKER_HIT_PX, MARKER_HIT_SCREEN_PX / max(self.zoom(), 1e-6)):
            return NOTHING
        predictor = self.predictor()
        if predictor is None:
            return NOTHING
        with self.busy(), network_lock(predictor):
            return self._replay_without(ctx, predictor, i)

    def _replay_without(self, ctx: ToolContext, predictor, i: int) -> ToolResult:
        """:meth:`_remove_near` of the ``i``-th shown click, the model loaded."""
        predictor.set_image(ctx.document.rgb)
        removed = self._entries[i]
        obj = removed.before_mask()
        kept = [e.click for e in self._entries[:i]]
        kept_entries = [e for j, e in enumerate(self._entries) if j != i]
        guide = self._guide(ctx)
        where = removed.changed_mask()  # the removed click's own pixels...
        replayed = []
        for entry in self._entries[i + 1 :]:
            kept.append(entry.click)
            update = self._correct(predictor, obj, kept, kept_entries, guide)
            where |= update.mask != obj  # ...and wherever the replayed clicks now act
            replayed.append((entry, np.packbits(obj), np.packbits(update.mask)))
            obj = update.mask
        under = unwind(ctx.mask, self._entries[i:])  # the labels from before the clicks taken back
        bbox = ctx.document.apply(ctx.task, write_where, obj, where, ctx.label, removed.labels(),
                                  on_step=lambda step: _take_back(ctx, removed, step))  # fmt: skip
        # Undoing the removal brings back the removed and the replayed clicks as they were and
        # takes back the replayed ones' new markers; redoing it swaps them again.
        step = ctx.document.history[ctx.task].last_serial()
        later = [_Entry(e.click, step, before, e.shape, e.box, after) for e, before, after in replayed]
        label_replayed(later, under, ctx.mask)
        for entry in self._entries[i:]:
            if bbox is None:  # no undo step: the click is gone for good
                self._session.remove(entry)
            else:
                entry.gone = step
        if bbox is None:  # no step: the click is gone for good
            _take_back(ctx, removed, removed.step)
        self._session.extend(later)
        self._entries[i:] = later
        return ToolResult(bbox, committed=bbox is not None)
