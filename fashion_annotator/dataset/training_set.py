"""Which saved masks a retrain uses, and the deterministic, stratified validation share.

A mask **counts as corrected** when its image is ``done`` or ``approved``, or when it is
``in_progress`` and the operator's latest saved mask differs from the model's latest proposal
(an edit that was saved but not yet marked done). A ``done`` / ``approved`` mask identical to
the proposal is an **unchanged accepted proposal**: it is counted apart, because training on the
model's own output teaches it nothing new; the Retrain dialog lets the ML lead exclude them.
A mask with no proposal shown and nothing but background is **blank**: the empty start of a
task no model proposes for (a project's own label set) that Mark done saved with every task
while the operator worked on another; it is left out, as nobody chose it.
Rejected images (status or latest QA decision) never count.

Identity is decided on the decoded label maps of the latest mask and the latest proposal.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.label_images import decode_mask_png
from fashion_annotator.core.png_scanlines import png_all_background, png_same_pixels
from fashion_annotator.dataset import mask_files
from fashion_annotator.dataset.records import ImageRecord, MaskStart, ProjectError
from fashion_annotator.dataset.storeio import referenced_photo_changed

#: Statuses of images a person finished (``done``) or QA accepted (``approved``).
FINISHED_STATUSES: tuple[str, ...] = ("done", "approved")
#: The smallest validation share: figures on fewer images are noise.
MIN_VAL = 5
#: The smallest training share left after the validation share is taken.
MIN_TRAIN = 3
#: The fewest labelled instances on the training images attribute heads learn from (a head
#: fitted to a handful of garments only repeats them; with one the standardisation is undefined).
MIN_ATTRIBUTE_TRAIN = 8
#: The fewest labelled instances on the held-out images that new attribute heads must be scored
#: on to be promoted: on a handful, heads trained on random labels beat equally random ones.
MIN_ATTRIBUTE_VAL = 20
#: Epochs of an attribute retrain (small heads on fixed features: the command line's default too).
ATTRIBUTE_EPOCHS = 40
#: Share of the masks held for validation (before the minimum applies); attribute training
#: holds the same share of its labelled images.
VAL_FRACTION = 0.2
#: Strata of the validation split: quantile bins of the labelled (non-background) area.
STRATA = 3


@dataclass(frozen=True)
class TrainingItem:
    """One usable mask: the image, its photo, the latest mask PNG and why it counts."""

    image_id: int
    name: str
    photo: Path
    mask: Path
    status: str
    kind: str  # "corrected" or "unchanged"


@dataclass
class TrainingSelection:
    """The masks of one task a retrain would use, by kind.

    Attributes
    ----------
    corrected : list of TrainingItem
        Done / approved masks that differ from the proposal, and edited in-progress masks.
    unchanged : list of TrainingItem
        Done / approved masks identical to the model's proposal.
    blank : list of TrainingItem
        Done / approved masks of background only with no proposal shown: never trained on.
    by_status : dict
        ``status -> count`` over ``corrected`` (for the dialog's sentence).
    unreadable : list of (str, str)
        Masks left out because their file (or their proposal's) could not be read.
    """

    corrected: list[TrainingItem] = field(default_factory=list)
    unchanged: list[TrainingItem] = field(default_factory=list)
    blank: list[TrainingItem] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    #: ``(file, problem)`` of saved masks or proposals that could not be read: left out.
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    def items(self, include_unchanged: bool = True) -> list[TrainingItem]:
        """The masks to train on, in image order."""
        chosen = self.corrected + (self.unchanged if include_unchanged else [])
        return sorted(chosen, key=lambda it: it.image_id)


Memo = dict[int, tuple[tuple[Any, ...], str]]
"""``image_id -> (identity of its latest mask and proposal, its kind)``: what
:func:`select_training_masks` decoded before, reused while neither file changed."""


def _start_kind(
    project: Any,
    task: str,
    record: Any,
    mask: Path,
    start: MaskStart,
    memo: Memo | None,
    scanlines: bool = True,
) -> str:
    """``"unchanged"`` when the mask file ``mask`` (the latest version) holds exactly the proposal
    shown before it was first saved (``start.shown``, :func:`~.records.started_from`; the latest
    proposal, recorded after a promotion or a restart, made an accepted proposal count as a
    correction), ``"blank"`` when no proposal was shown and it holds only background, else
    ``"corrected"``. ``start``: the image's versions and proposal shown, as the store's
    ``mask_starts`` read them for every image at once.

    The file is checked first as the store reads a saved version (its bytes against the SHA-256
    the index recorded), so a file changed behind the index raises :class:`ProjectError` and is
    left out, not trained on. It is decoded (the photo's size and the task's labels checked) when
    its row has no usable hash or its scanlines cannot tell; otherwise blankness and sameness
    with the proposal are read from its scanlines, stopping at the first that settles it
    (:mod:`~fashion_annotator.core.png_scanlines`: a fraction of a decode).
    """
    saved = next((v for v in reversed(start.versions) if Path(v.path) == Path(mask)), None)
    shown = start.shown
    stat = mask.stat()
    key = (str(mask), stat.st_mtime_ns, stat.st_size, None if shown is None else shown.version)
    known = None if memo is None else memo.get(record.id)
    if known is not None and known[0] == key:
        return known[1]
    taxonomy = project.taxonomy(task)
    data = mask.read_bytes()
    hashed = mask_files.check_bytes(data, None if saved is None else saved.sha256, mask)
    # The bytes the store wrote and hashed were checked when it wrote them: blankness, or
    # sameness with the proposal, is read from the scanlines where they can tell it.
    proposal_bytes = None if shown is None else Path(shown.path).read_bytes()
    if not hashed or not scanlines:
        answer = None
    elif proposal_bytes is None:
        answer = png_all_background(data)
    else:
        answer = png_same_pixels(data, proposal_bytes)
    if answer is not None and proposal_bytes is None:
        kind = "blank" if answer else "corrected"
    elif answer is not None:
        kind = "unchanged" if answer else "corrected"
    else:
        decoded = mask_files.check_decoded(decode_mask_png(data, source=mask), mask, record.shape, taxonomy)
        if shown is not None and proposal_bytes is not None:
            proposal = decode_mask_png(proposal_bytes, source=shown.path)
            same = np.array_equal(mask_files.check_decoded(proposal, shown.path, record.shape, taxonomy), decoded)
            kind = "unchanged" if same else "corrected"
        else:
            kind = "corrected" if decoded.any() else "blank"
    if memo is not None:
        memo[record.id] = (key, kind)
    return kind


def _item(
    project: Any,
    task: str,
    record: Any,
    photo: Path,
    mask: Path,
    start: MaskStart,
    memo: Memo | None = None,
    scanlines: bool = True,
) -> TrainingItem | None:
    """The record's latest mask (local file ``mask``; its versions and the proposal shown:
    ``start``) as a training item, or None when it does not count."""
    kind = _start_kind(project, task, record, mask, start, memo, scanlines)
    if record.status in ("in_progress", "rejected") and kind != "corrected":
        return None
    return TrainingItem(record.id, record.name, photo, mask, record.status, kind)


def select_training_masks(
    project: Any,
    task: str,
    memo: Memo | None = None,
    progress: Callable[[int, int], None] | None = None,
    scanlines: bool = True,
    copying: Callable[[int, int], None] | None = None,
) -> TrainingSelection:
    """Sort a project's saved masks for ``task`` into corrected and unchanged ones.

    Parameters
    ----------
    project : Project
        An open project store (SQLite or PostgreSQL: the store's ``training_items`` puts the
        photos and mask PNGs in local files).
    task : str
        One of the project's tasks.
    memo : dict, optional
        Kept by a caller that asks again and again (the background retrainer after each save):
        a mask is compared with its proposal (two PNG decodes) only when either file changed
        since the last call, instead of every mask every time.
    progress : callable, optional
        ``progress(done, total)`` after each saved mask (``total``: the masks to sort); an
        exception it raises (a cancel) ends the call.
    scanlines : bool
        Tell blank and unchanged masks from their PNG scanlines where they can (default); False
        decodes every mask and proposal (``bench selection``'s baseline).
    copying : callable, optional
        ``copying(done, total)`` before each image a team project copies into its working
        folder first (tens of seconds on a desktop's first retrain), then before each proposal
        shown that it copies: one count over both, the proposals counted on from the images
        (``total`` grows by the proposals when they are known; ``done`` never goes back, and
        each run of copies ends at ``total / total``); it may raise as ``progress``.

    The mask versions and the proposal shown of every image come from one call of the store's
    ``mask_starts`` (a few queries on a team project, not two per image).
    """
    # "rejected": a fix saved since the reject (the store leaves out masks whose current
    # decision is a reject, i.e. the rejected version itself) counts as an edit in progress
    statuses = (*FINISHED_STATUSES, "in_progress", "rejected")
    usable = {
        image_id: (photo, mask)
        for image_id, photo, mask in project.training_items(task, statuses=statuses, progress=copying)
    }
    starts = project.mask_starts(task, list(usable), progress=_counted_on(copying, len(usable)))
    selection = TrainingSelection()
    done = 0
    # one image list for every status (a team project read one per status), sorted as before:
    # status by status, each in import order; training_items copied the photos that train, a
    # team project's others stay on the server
    of_status: dict[str, list[ImageRecord]] = {status: [] for status in statuses}
    for record in project.images(fetch_photos=False):
        if record.id in usable and record.status in of_status:
            of_status[record.status].append(record)
    for status, records in of_status.items():
        for record in records:
            if progress is not None:
                progress(done, len(usable))
            done += 1
            photo = usable[record.id][0]
            changed = referenced_photo_changed(record, Path(project.root))
            if changed is None and not Path(photo).is_file():  # moved or deleted since it was added
                changed = "the photo file does not exist (moved or deleted since it was added)"
            if changed is not None:
                selection.unreadable.append((record.name, changed))
                continue
            try:
                item = _item(project, task, record, *usable[record.id], starts[record.id].checked(), memo, scanlines)
            except (ValueError, OSError, ProjectError) as exc:  # a damaged file: leave it out, say so
                selection.unreadable.append((record.name, str(exc)))
                continue
            if item is None:
                continue
            if item.kind in ("unchanged", "blank"):
                (selection.unchanged if item.kind == "unchanged" else selection.blank).append(item)
            else:
                selection.corrected.append(item)
                selection.by_status[status] = selection.by_status.get(status, 0) + 1
    return selection


def _counted_on(
    copying: Callable[[int, int], None] | None, before: int
) -> Callable[[int, int], None] | None:
    """``copying`` for a second run of copies, counted on from the ``before`` already counted
    (a count that started again from 0 read as the copying starting over)."""
    if copying is None:
        return None
    return lambda done, total: copying(before + done, before + total)


def val_count(n: int) -> int:
    """How many of ``n`` masks are held for validation (0 when too few to split).

    ``max(MIN_VAL, round(VAL_FRACTION * n))``, leaving at least :data:`MIN_TRAIN` to train on;
    never a single image.
    """
    if n < MIN_VAL + MIN_TRAIN:
        return 0
    return min(max(MIN_VAL, round(VAL_FRACTION * n)), n - MIN_TRAIN)


def _bucket(name: str) -> float:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 16**8


def stratified_split(
    names: Sequence[str],
    areas: Sequence[float],
    n_val: int | None = None,
    seen: Collection[str] = (),
) -> tuple[list[int], list[int]]:
    """Split indices into (train, val), deterministically and stratified by labelled area.

    The masks are binned into :data:`STRATA` quantile bins of ``areas`` (the labelled share of
    each photo, so small and large garments are both validated); each bin gives its share of
    ``n_val`` (largest remainders first), taking first the images the current model has not
    seen (``seen``), then those whose SHA-1 of the name is lowest, so the choice does not depend
    on the order of ``names``.

    Parameters
    ----------
    names : sequence of str
        Unique image names.
    areas : sequence of float
        The labelled (non-background) share of each mask, 0..1.
    n_val : int, optional
        Validation images; default :func:`val_count`.
    seen : collection of str, optional
        Names the current model trained on (after a refit: every earlier mask), held for
        validation last, so that the new and the current model are compared on photos neither
        trained on.

    Returns
    -------
    train, val : list of int
        Indices into ``names``, each sorted.
    """
    n = len(names)
    if len(areas) != n:
        raise ValueError(f"{n} names but {len(areas)} areas")
    n_val = val_count(n) if n_val is None else n_val
    if n_val <= 0:
        return list(range(n)), []
    order = np.argsort(np.asarray(areas, dtype=np.float64), kind="stable")
    bins = np.array_split(order, min(STRATA, n))
    quotas = [n_val * len(b) / n for b in bins]
    take = [math.floor(q) for q in quotas]
    for i in sorted(range(len(bins)), key=lambda i: quotas[i] - take[i], reverse=True):
        if sum(take) >= n_val:
            break
        take[i] += 1
    val: list[int] = []
    for b, k in zip(bins, take, strict=True):
        val.extend(sorted(b.tolist(), key=lambda i: (names[i] in seen, _bucket(names[i])))[:k])
    chosen = set(val)
    return [i for i in range(n) if i not in chosen], sorted(val)


def labelled_share(mask: np.ndarray) -> float:
    """The share of non-background pixels of an ``(H, W) uint8`` label mask."""
    return float(np.count_nonzero(mask)) / max(mask.size, 1)
