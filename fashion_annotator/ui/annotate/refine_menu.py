"""Refine menu: one-shot operator refinements of the shown mask (segmentation/refine.py).

Each command computes a refined copy of the mask and applies it as one undo step, so a
refinement the operator dislikes is one Ctrl+Z away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from fashion_annotator.annotate.session import OpenImage, replace_mask
from fashion_annotator.annotate.tools.smartclick import SmartClickTool
from fashion_annotator.core.document import PIXELS_LOADING
from fashion_annotator.core.masks import BBox
from fashion_annotator.core.metrics import dice
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.mask_agreement import cleared_outside, compared_cutouts
from fashion_annotator.segmentation import refine
from fashion_annotator.segmentation.consistency import compatibility
from fashion_annotator.ui.annotate.flash import flash
from fashion_annotator.ui.icons import icon
from fashion_annotator.ui.shortcuts import describe, key_name

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

Refinement = Callable[[OpenImage, str, np.ndarray], "np.ndarray | str"]


def _regions(cur: OpenImage) -> np.ndarray | None:
    return None if cur.hierarchy is None else cur.hierarchy.levels[0]


def _probs(cur: OpenImage, task: str) -> np.ndarray | None:
    proposal = cur.probs.get(task)
    return None if proposal is None else proposal.probs


def snap(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Snap label edges to the finest superpixel boundaries.

    The model's probabilities weigh the votes only while the mask is still the model's
    proposal; once the operator edited it, the mask's own pixels vote (the probabilities
    would put every region the model is sure of back to the model's label).
    """
    regions = _regions(cur)
    if regions is None:
        return "Superpixels are still being computed"
    proposal = cur.doc.proposal(task)
    untouched = proposal is not None and np.array_equal(proposal, mask)
    return refine.snap_to_regions(mask, regions, probs=_probs(cur, task) if untouched else None)


def consensus(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Give every region the class the model's probabilities agree on, where the mask is still
    the model's proposal: the operator's edits stay (they were all put back to the model's)."""
    regions, probs = _regions(cur), _probs(cur, task)
    if regions is None or probs is None:
        return "Needs both the model proposal and the superpixels"
    relabelled = refine.consensus_relabel(probs, regions)
    proposal = cur.doc.proposal(task)
    if proposal is None or proposal.shape != mask.shape:
        return relabelled
    return np.where(mask == proposal, relabelled, mask).astype(mask.dtype)


def _on_cutout(what: str, edges: Callable[[np.ndarray, np.ndarray], np.ndarray], doc: str) -> Refinement:
    """A refinement that re-decides a binary mask's edge from the photo: ``edges(rgb, mask)``.

    Refused (with a message) on parsing masks and while the photo's pixels are still loading.
    """

    def refinement(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
        if mask.max() > 1:
            return f"{what} works on binary (cutout) masks only"
        if not cur.doc.photo_ready:
            return PIXELS_LOADING
        return edges(cur.doc.rgb, mask)

    refinement.__doc__ = doc
    return refinement


grabcut = _on_cutout("GrabCut", refine.grabcut_band,
                     "Re-decide a thin band along the edge of a binary mask with GrabCut.")  # fmt: skip


def guided(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Let the mask's edges (a cutout's, or every class edge of a parsing mask) follow the
    photo's colour edges (guided filter)."""
    if not cur.doc.photo_ready:
        return PIXELS_LOADING
    return refine.guided_mask(cur.doc.rgb, mask)


def clean(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Remove small islands and fill holes."""
    return refine.clean_mask(mask)


def clear(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Start from nothing: every pixel background (the proposal an image opens with is the
    base of the history, which Ctrl+Z does not take away)."""
    return np.zeros_like(mask)


def use_proposal(cur: OpenImage, task: str, mask: np.ndarray) -> np.ndarray | str:
    """Replace the mask with the model's proposal (one that came after the operator's first
    edit is not applied on its own)."""
    proposal = cur.doc.proposal(task)
    if proposal is None or proposal.shape != mask.shape:
        return "No proposal for this image yet"
    return proposal.copy()


def _paired_cutout(cur: OpenImage, task: str, project: ProjectStore) -> tuple[str, np.ndarray] | None:
    """The cutout task :func:`clear_outside_cutout` pairs ``task`` with and its compatibility
    table, or None: the first cutout the image holds that ``task`` is checked against in
    ``project`` (:func:`~fashion_annotator.qa.mask_agreement.compared_cutouts`, the pairing the
    Review's agreement check uses: shipped taxonomies only, the garment cutout before the
    person cutout)."""
    for cutout in compared_cutouts(project, task):
        table = compatibility(task, cutout)
        if cutout in cur.doc.masks and table is not None:
            return cutout, table
    return None


def outside_cutout_title(cur: OpenImage, task: str, project: ProjectStore) -> str:
    """The status line's name of Clear parsing outside the cutout on ``task``: the cutout it
    pairs with and what it keeps outside it (``Clear parsing outside the Garment cutout (skin
    and hair kept)``; ``... outside the Person cutout (every class)``)."""
    paired = _paired_cutout(cur, task, project)
    if paired is None:
        return "Clear parsing outside the cutout"
    cutout, table = paired
    title = task_title(cutout)
    title = title if title.lower().endswith("cutout") else f"{title} cutout"
    names = project.taxonomy(task).names
    kept = [names[k] for k in np.flatnonzero(table[0]) if k != 0]  # background aside
    listed = f"{', '.join(kept[:-1])} and {kept[-1]}" if len(kept) > 1 else "".join(kept)
    what = f"{listed} kept" if kept else "every class"
    return f"Clear parsing outside the {title} ({what})"


def clear_outside_cutout(cur: OpenImage, task: str, mask: np.ndarray, project: ProjectStore) -> np.ndarray | str:
    """Make background the parsing pixels outside the image's cutout (as this window holds it)
    of a class that belongs inside it: a mannequin stand removed from the cutout stayed "shoes"
    in the parsing mask (a QA hand test).

    Which classes belong inside is the cutout's compatibility table
    (:func:`~fashion_annotator.segmentation.consistency.compatibility`): outside a garment
    cutout the garment classes are cleared and skin and hair stay; outside a person cutout
    (a project without a garment cutout) every class is cleared, skin and hair too, as the
    Review's agreement check counts them. The cutout is :func:`_paired_cutout`'s; the status
    line names it and what stays (:func:`outside_cutout_title`). A cutout whose saved file
    cannot be read is said, not raised.
    """
    paired = _paired_cutout(cur, task, project)
    if paired is None:
        return "Show a parsing mask to clear it outside the cutout (Labels panel)"
    cutout, table = paired
    title = task_title(cutout)
    try:
        mask_of_cutout = cur.doc.masks[cutout]  # a large photo's is read now, from its file
    except (ProjectError, ValueError, OSError) as exc:
        return f"Not cleared: the {title} cannot be read: {exc}"
    if not mask_of_cutout.any():
        return f"The {title} is empty: draw it first, then clear the parsing outside it"
    try:
        return cleared_outside(mask_of_cutout, mask, table)
    except ValueError as exc:  # a cutout of another size, a class the table lacks
        return f"Not cleared: {exc}"


COMMANDS: tuple[tuple[str, str, str, Callable[..., np.ndarray | str]], ...] = (
    ("refine_snap", "&Snap edges to regions", "Ctrl+Shift+S", snap),
    ("refine_consensus", "Relabel regions by model &consensus", "Ctrl+Shift+C", consensus),
    ("refine_grabcut", "&GrabCut edge band (cutout)", "Ctrl+Shift+G", grabcut),
    ("refine_guided", "Follow photo edges (guided &filter)", "Ctrl+Shift+F", guided),
    ("refine_clean", "Clean &islands and holes", "Ctrl+Shift+I", clean),
    ("refine_clear", "C&lear the mask (start from nothing)", "", clear),
    ("refine_proposal", "Use the &proposal (replace the mask)", "", use_proposal),
    ("refine_outside_cutout", "Clear parsing &outside the cutout", "Ctrl+Shift+O", clear_outside_cutout),
)

#: Command name -> what it does, in plain words: its tooltip and status tip say it after its
#: name and key ("GrabCut edge band", "model consensus" and "guided filter" say nothing to a
#: studio).
TIPS = {
    "refine_snap": "move the label edges onto the nearest region boundaries of the photo",
    "refine_consensus": "give each region the label the model gives most of it; your edits stay",
    "refine_grabcut": "cutouts only: decide a thin strip along the mask's edge again from the photo's colours",
    "refine_guided": "let the mask's edges follow the colour edges of the photo",
    "refine_clean": "remove small specks and fill small holes",
    "refine_clear": "make every pixel background (undo takes it back)",
    "refine_proposal": "put the model's proposal in place of the mask",
    "refine_outside_cutout": "make background the parsing pixels outside the cutout that belong inside it",
}


def change_dice(before: np.ndarray, after: np.ndarray) -> float:
    """Mean Dice, over the non-background labels in either mask, of ``after`` vs ``before``."""
    labels = np.union1d(np.unique(before), np.unique(after))
    scores = [dice(after == k, before == k) for k in labels if k != 0]
    return float(np.mean(scores)) if scores else 1.0


def run(window: MainWindow, refinement: Refinement, title: str = "Refine") -> bool:
    """Apply ``refinement`` to the window's shown mask; False (with a message) when it cannot.

    The change is one undo step; the status bar says how many pixels changed and the overlap
    (Dice, as a percentage) of the new mask with the one before, and the changed area flashes on the canvas.
    """
    cur = window.session.current
    if cur is None or cur.read_only:
        return False
    before = cur.doc.masks[window.task].copy()
    result = refinement(cur, window.task, before.copy())
    if isinstance(result, str):
        window.status.showMessage(result, 4000)
        return False
    after = np.asarray(result, dtype=np.uint8)
    changed = before != after
    if not changed.any():
        window.status.showMessage(f"{title}: no change", 5000)
        return True
    window.apply_mask_edit(replace_mask, after)
    if refinement is clear:  # a fresh start: the Smart clicks so far neither show nor steer
        SmartClickTool.end_sessions(cur.doc, window.task)
        window.canvas.refresh_markers()
    window.status.showMessage(
        f"{title}: {int(changed.sum()):,} px changed, overlap with the mask before "
        f"{change_dice(before, after):.1%} ({key_name('undo', 'Ctrl+Z')} undoes)",
        10000,
    )
    box = BBox.of(changed)
    if box is not None:
        flash(window.canvas, box)
    return True


def _refinement(fn: Callable[..., np.ndarray | str], window: MainWindow) -> Refinement:
    """``fn`` of :data:`COMMANDS` as :func:`run` calls it: :func:`clear_outside_cutout` given
    the window's project (it reads the project's tasks and taxonomies)."""
    if fn is clear_outside_cutout:
        return lambda cur, task, mask: clear_outside_cutout(cur, task, mask, window.project)
    return fn


def _title(fn: Callable[..., np.ndarray | str], title: str, window: MainWindow) -> str:
    """The status line's name of ``fn``'s command: the menu's, or for
    :func:`clear_outside_cutout` the cutout it pairs with and what it keeps
    (:func:`outside_cutout_title`)."""
    cur = window.session.current
    if fn is not clear_outside_cutout or cur is None:
        return title
    return outside_cutout_title(cur, window.task, window.project)


def populate(menu: QMenu, window: MainWindow) -> list[QAction]:
    """Add the refinement commands to ``menu`` (and the window's action table)."""
    actions = []
    for name, text, key, fn in COMMANDS:
        title = text.replace("&", "").split(" (")[0]  # the status line is short at 1280 px
        action = window._action(name, text, key, lambda f=fn, t=title: run(window, _refinement(f, window), _title(f, t, window)), None)
        action.setIcon(icon("refine"))
        describe(action, TIPS[name])
        menu.addAction(action)
        actions.append(action)
    return actions
