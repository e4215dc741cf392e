"""Agreement between model proposals and saved masks, per image and task.

Binary tasks (garment, person) score with Dice; parsing tasks with the mean IoU over the
foreground classes present in either mask (background is left out: it covers most of a
fashion photo and would hide a swapped garment class) and pixel accuracy.

The reference is either the proposal the operator's masks were made from (the latest
proposal recorded before the first save, see :func:`shown_proposal`) or, on demand, a fresh
prediction of the current model (:func:`rescore_with_model`). A mask is never scored against a
proposal recorded after its first version (an imported mask and a model's later proposal, made
by a model perhaps refit on that very mask): such an image is listed unscored, its
:attr:`ImageScore.unscored` saying why (Model history leaves these proposals out too).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fashion_annotator import __version__
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.metrics import (
    confusion_matrix,
    dice,
    per_class_iou,
    pixel_accuracy,
)
from fashion_annotator.core.tasks import uses_dice
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.display import display_name
from fashion_annotator.dataset.records import (
    DecisionRecord,
    ImageRecord,
    MaskStart,
    MaskVersion,
    ProjectError,
    started_from,
)
from fashion_annotator.qa.decisions import decision_on_latest, last_decisions
from fashion_annotator.qa.effort import EFFORT_SOURCES, image_effort
from fashion_annotator.segmentation.pipeline import propose_for_image

log = logging.getLogger(__name__)

__all__ = [
    "LATER_ONLY",
    "MODEL",
    "NONE_SHOWN",
    "PROPOSAL",
    "ImageScore",
    "PairScore",
    "ScoreMemo",
    "TaskVersions",
    "metric_name",
    "prediction_cache_key",
    "predictor_cache_key",
    "reference_mask",
    "rescore_with_model",
    "saved_by",
    "score_masks",
    "score_project",
    "shown_proposal",
    "worst_first",
]

#: What the saved mask was compared with.
PROPOSAL = "proposal"
MODEL = "model"

#: Why a row is unscored (:attr:`ImageScore.unscored`): no proposal came before the mask.
NONE_SHOWN = "no proposal was shown before the mask was first saved"
#: Why a row is unscored: its proposals all came after the mask (an import's, mostly).
LATER_ONLY = ("its proposals were all recorded after the mask was first saved (an imported "
              "mask, or one drawn before any proposal): none was shown to the operator")  # fmt: skip


@dataclass(frozen=True)
class PairScore:
    """Agreement of a reference mask with a saved mask.

    ``score`` is Dice (binary tasks) or foreground mean IoU (parsing), in ``0..1``;
    ``per_class_iou`` is ``(K,) float64`` with NaN for classes absent from both masks.
    """

    score: float
    pixel_accuracy: float
    per_class_iou: np.ndarray


@dataclass(frozen=True)
class ImageScore:
    """One row of the review table: an image with a saved mask for ``task``.

    ``score`` is NaN when there is nothing to compare with (no proposal recorded).
    ``seconds`` and ``actions`` are the image's effort up to the task's latest save (the running
    totals its versions store, :func:`~fashion_annotator.qa.effort.image_effort`: the work on
    every task of the image until then); ``operator`` is the user of the latest version, with its
    source when no person's work wrote it (``"carol (import)"``); ``saved_at`` is when the latest
    version was saved. ``effort_logged`` is False when no version logged a person's effort (an
    import's masks): ``seconds`` and ``actions`` are then unknown, shown blank, never 0 s.
    """

    image_id: int
    name: str
    task: str
    status: str
    operator: str
    seconds: float
    actions: int
    versions: int
    saved_at: float
    score: float = float("nan")
    pixel_accuracy: float = float("nan")
    reference: str | None = None
    decision: str | None = None
    reason: str | None = None
    reason_text: str = ""
    per_class_iou: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: Why the row has no score although masks are saved (a file that cannot be read), or "".
    problem: str = ""
    effort_logged: bool = True
    #: Why a row whose files read has no score against the proposal shown (:data:`NONE_SHOWN`,
    #: :data:`LATER_ONLY`), or "".
    unscored: str = ""
    #: Which versions a score against a rejected version compares (``qa.since_reject``), or "".
    compared: str = ""

    @property
    def effort_text(self) -> str:
        """The effort as the Review tab and the report's cards word it: ``"30 s, 10 actions"``,
        or ``"no effort logged"`` (:attr:`effort_logged` False)."""
        if not self.effort_logged:
            return "no effort logged"
        return f"{self.seconds:.0f} s, {counted(self.actions, 'action')}"


def metric_name(taxonomy: Taxonomy) -> str:
    """The per-image score of a task: ``"Dice"`` or ``"mIoU"`` (its task spec's metric)."""
    return "Dice" if uses_dice(taxonomy) else "mIoU"


def score_masks(reference: np.ndarray, saved: np.ndarray, taxonomy: Taxonomy) -> PairScore:
    """Compare a reference (proposal or prediction) with the saved mask.

    Parameters
    ----------
    reference, saved : (H, W) uint8
        Label ids of ``taxonomy``; the saved mask plays the ground truth.
    taxonomy : Taxonomy
        Decides the metric through its task spec (:func:`metric_name`): Dice, or the mean IoU
        of the foreground classes.
    """
    reference = np.asarray(reference)
    saved = np.asarray(saved)
    if reference.shape != saved.shape:
        raise ValueError(
            f"reference mask shape {reference.shape} differs from the saved mask's {saved.shape}"
        )
    k = taxonomy.num_classes
    conf = confusion_matrix(reference, saved, k)
    ious = per_class_iou(conf)
    if uses_dice(taxonomy):
        score = dice(reference, saved)
    else:
        fg = ious[1:]
        fg = fg[np.isfinite(fg)]
        score = float(fg.mean()) if fg.size else 1.0
    return PairScore(float(score), float(pixel_accuracy(reference, saved)), ious)


TaskVersions = Mapping[int, Sequence[MaskVersion]]
"""``image_id -> mask versions`` of one task, oldest first (``mask_versions_of_task``)."""


def _shown_record(project: ProjectStore, image_id: int, task: str,
                  versions: Sequence[MaskVersion] | None = None) -> Any | None:  # fmt: skip
    """The shown proposal's record; ``versions``: the image's ``task`` versions, when read."""
    saved = project.mask_versions(image_id, task) if versions is None else versions
    return started_from(project.proposals(image_id, task), saved)


def shown_proposal(project: ProjectStore, image_id: int, task: str) -> np.ndarray | None:
    """The proposal the operator's masks were made from (:func:`~fashion_annotator.dataset.
    records.started_from`: shown before the first save), or None: no proposal, or only ones
    recorded after the first mask version (a mask drawn by hand, or imported)."""
    chosen = _shown_record(project, image_id, task)
    return None if chosen is None else load_mask(chosen.path)


def _base_row(project: ProjectStore, record: ImageRecord, task: str, versions: Sequence[MaskVersion],
              last_decision: DecisionRecord | None) -> ImageScore:  # fmt: skip
    """The unscored row of an image with saved ``versions`` of ``task`` (and its latest
    decision on the task)."""
    last = versions[-1]
    decision = decision_on_latest(last_decision, versions)
    name = display_name(record.name, project.root)
    # a photo referenced in place and since moved: nobody can review the mask over it
    missing = "" if record.in_store or record.path.is_file() else f"{name}: the photo {record.path} is missing"
    return ImageScore(
        image_id=record.id,
        name=name,
        task=task,
        status=record.status,
        versions=len(versions),
        saved_at=last.created,
        decision=None if decision is None else decision.decision,
        reason=None if decision is None else decision.reason,
        reason_text="" if decision is None else decision.text,
        problem=missing,
        **saved_by(versions),
    )


def saved_by(versions: Sequence[MaskVersion]) -> dict[str, Any]:
    """The fields of a row that follow the task's saved ``versions`` (oldest first, at least
    one): ``operator`` (the latest version's user, with its source when no person's work wrote
    it: ``"carol (import)"``), ``seconds``, ``actions`` and ``effort_logged``
    (:class:`ImageScore`)."""
    last = versions[-1]
    seconds, actions = image_effort(versions)
    return {
        "operator": last.user if last.source in EFFORT_SOURCES else f"{last.user} ({last.source})",
        "seconds": seconds,
        "actions": actions,
        "effort_logged": any(v.source in EFFORT_SOURCES for v in versions),
    }


def _scored(row: ImageScore, reference: np.ndarray | None, saved: np.ndarray | None,
            taxonomy: Taxonomy, kind: str) -> ImageScore:  # fmt: skip
    if reference is None or saved is None:
        return row
    pair = score_masks(reference, saved, taxonomy)
    return replace(row, score=pair.score, pixel_accuracy=pair.pixel_accuracy, reference=kind,
                   per_class_iou=pair.per_class_iou)  # fmt: skip


def _saved_rows(
    project: ProjectStore, task: str, image_ids: Iterable[int] | None,
    records: Sequence[ImageRecord] | None = None, saved: TaskVersions | None = None,
    decided: Mapping[int, Any] | None = None,
) -> list[ImageScore]:  # fmt: skip
    """A row per image with a saved ``task`` mask, in import order: the image list, the task's
    versions and decisions each read in one query (``records``, ``saved``, ``decided``: already
    read)."""
    records = project.images(fetch_photos=False) if records is None else records
    saved = project.mask_versions_of_task(task) if saved is None else saved
    if image_ids is not None:
        wanted = set(int(i) for i in image_ids)
        records = [r for r in records if r.id in wanted]
    decided = last_decisions(project, task) if decided is None else decided
    return [_base_row(project, r, task, saved[r.id], decided.get(r.id)) for r in records if saved.get(r.id)]


ScoreMemo = dict[tuple[int, str], tuple[tuple[Any, ...], ImageScore]]
"""``(image_id, task) -> (identity of the saved version and shown proposal, and whether later
proposals exist; scored row)``: scores :func:`score_project` computed before, reused while none
of these changed."""


def score_project(
    project: ProjectStore,
    task: str,
    image_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    memo: ScoreMemo | None = None,
    *,
    records: Sequence[ImageRecord] | None = None,
    saved: TaskVersions | None = None,
    decided: Mapping[int, Any] | None = None,
    read_mask: Callable[[int, np.ndarray], None] | None = None,
) -> list[ImageScore]:
    """Score every image with a saved ``task`` mask against the proposal shown when opened.

    Parameters
    ----------
    project : fashion_annotator.dataset.store.Project
    task : str
        One of the project's tasks.
    image_ids : iterable of int, optional
        Restrict to these images.
    progress : callable(done, total), optional
        Called after each scored image (and with ``done`` 0 before each shown proposal a team
        project copies to this desktop); it may raise to stop the scoring (a cancel).
    memo : dict, optional
        Kept by a caller that scores again and again (the Review tab at every visit): an image
        is decoded and scored again only when a new mask version was saved or another proposal
        is the shown one; status, operator and decisions are always read afresh.
    records : sequence of ImageRecord, optional
        ``project.images()`` when the caller has just read it (else read here).
    saved : mapping, optional
        ``project.mask_versions_of_task(task)`` when the caller has just read it.
    decided : mapping, optional
        The latest decision on ``task`` of each image of ``records`` that has one, when the
        caller has just read them (else every image's are read, in one query).
    read_mask : callable(image_id, mask), optional
        Receives each latest saved mask read for scoring (the QA report compares it with the
        image's cutout or parsing mask, :class:`~fashion_annotator.qa.mask_agreement.
        ReportAgreements`); it must not raise.

    Returns
    -------
    list of ImageScore
        In import order; images without a proposal shown before their first mask version have
        a NaN score and the reason in ``unscored``.
    """
    taxonomy = project.taxonomy(task)
    saved = project.mask_versions_of_task(task) if saved is None else saved
    rows = _saved_rows(project, task, image_ids, records, saved, decided)
    scorable = [r for r in rows if not r.problem]  # a row whose photo is missing is listed, not scored
    # every shown proposal and saved mask read in a few queries (a team project made two per image)
    copying = None if progress is None else lambda _done, _total: progress(0, len(rows))
    starts = project.mask_starts(task, [r.image_id for r in scorable], copying)
    rows = [_with_problem(r, starts.get(r.image_id)) for r in rows]  # a damaged row: its row's problem
    scorable = [r for r in rows if not r.problem]
    shown = {r.image_id: starts[r.image_id].shown for r in scorable}
    later = {r.image_id for r in scorable if starts[r.image_id].later}
    keys = {r.image_id: _memo_key(r, shown[r.image_id], r.image_id in later) for r in scorable}
    known = {r.image_id: _known(memo, r, task, keys[r.image_id]) for r in scorable}
    latest = [(r.image_id, saved[r.image_id][-1].version) for r in scorable if known[r.image_id] is None]
    masks = project.load_masks(task, latest)
    out = []
    for row in rows:
        if row.problem:
            out.append(row)
            continue
        scored = known[row.image_id]
        if scored is None:
            _, read = next(masks)  # the masks come in the rows' order
            scored = _score_row(row, taxonomy, read, shown[row.image_id], row.image_id in later, read_mask)
            if memo is not None and not scored.problem:
                memo[(row.image_id, task)] = (keys[row.image_id], scored)
        out.append(scored)
        if progress is not None:
            progress(len(out), len(rows))
    return out


def _with_problem(row: ImageScore, start: MaskStart | None) -> ImageScore:
    """``row``, listed with the problem of its ``start`` (an index row that could not be read)."""
    return row if start is None or not start.problem else replace(row, problem=f"{row.name}: {start.problem}")


def _memo_key(row: ImageScore, shown: Any | None, later: bool) -> tuple[Any, ...]:
    """What a :data:`ScoreMemo` entry holds the row's score for: its saved versions, the shown
    proposal and whether proposals recorded after its first mask exist (``later``: the reason
    an unscored row gives, :data:`LATER_ONLY` or :data:`NONE_SHOWN`)."""
    return (row.versions, row.saved_at, None if shown is None else (shown.version, str(shown.path)), later)


def _known(memo: ScoreMemo | None, row: ImageScore, task: str, key: tuple[Any, ...]) -> ImageScore | None:
    """``row`` with the score ``memo`` holds for ``key``, or None (score it)."""
    known = None if memo is None else memo.get((row.image_id, task))
    if known is None or known[0] != key:
        return None
    scored = known[1]
    return replace(row, score=scored.score, pixel_accuracy=scored.pixel_accuracy, reference=scored.reference,
                   per_class_iou=scored.per_class_iou, unscored=scored.unscored)  # fmt: skip


def _score_row(row: ImageScore, taxonomy: Taxonomy, read: Callable[[], np.ndarray | None],
               shown: Any | None, later: bool = False,
               read_mask: Callable[[int, np.ndarray], None] | None = None) -> ImageScore:  # fmt: skip
    """``row`` scored: its saved mask (``read()``, handed to ``read_mask``) against the ``shown``
    proposal's file; a file that cannot be read is the row's problem, not the table's. Without a
    proposal shown the row is unscored, saying why (``later``: the image's proposals all came
    after its first mask)."""
    try:
        saved = read()
        if read_mask is not None and saved is not None:
            read_mask(row.image_id, saved)
        if shown is None:
            return replace(row, unscored=LATER_ONLY if later else NONE_SHOWN)
        return _scored(row, load_mask(shown.path), saved, taxonomy, PROPOSAL)
    except (ValueError, OSError, ProjectError) as exc:
        return replace(row, problem=f"{row.name}: {exc}")


def rescore_with_model(
    project: ProjectStore,
    task: str,
    predictor: Any,
    *,
    batch_size: int = 8,
    image_ids: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    keep: Callable[[int, np.ndarray], None] | None = None,
    cached: Callable[[int], np.ndarray | None] | None = None,
    read_mask: Callable[[int, np.ndarray], None] | None = None,
) -> list[ImageScore]:
    """Score every saved ``task`` mask against a fresh proposal of ``predictor``.

    Each photo goes through the window's proposal pipeline
    (:func:`~fashion_annotator.segmentation.pipeline.propose_for_image`: the model, then the
    task's refinements on the cached superpixels), so "vs current model" scores the masks an
    operator would be shown. ``batch_size`` photos are handled between progress reports; a
    cancel is heard between any two photos.

    Parameters
    ----------
    predictor : fashion_annotator.segmentation.proposals.Predictor
        Usually ``load_predictor(task, project)``: the project's active model.
    progress : callable(done, total), optional
        Called after each batch with the number of images scored so far.
    cancelled : callable() -> bool, optional
        Polled before each image (a model run in hand ends first); when it returns True the
        images scored so far are returned, and the others unscored with the problem
        "not re-scored".
    keep : callable(image_id, mask), optional
        Receives each prediction, e.g. to cache it for drawing overlays later
        (see :func:`prediction_cache_key`). The cache is optional: when ``keep`` raises
        :class:`OSError` or :class:`ProjectError` (a full disk) the failure is logged once, the
        re-score goes on and keeps nothing more.
    cached : callable(image_id) -> mask or None, optional
        A prediction kept by an earlier re-score of the same model (``keep``'s): used instead
        of running the model again when it has the saved mask's shape.
    read_mask : callable(image_id, mask), optional
        Receives each saved mask read (as :func:`score_project`'s).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    taxonomy = project.taxonomy(task)
    rows = _saved_rows(project, task, image_ids)
    out: list[ImageScore] = []
    total = len(rows)
    if progress is not None:
        progress(0, total)
    for index, row in enumerate(rows):
        if cancelled is not None and cancelled():  # between images: at most one model run later
            # every image stays listed: the table, its statistics and the exports of a partial
            # re-score read as the whole project otherwise
            out.extend(replace(r, problem=f"{r.name}: not re-scored (the re-score was cancelled)")
                       for r in rows[index:])  # fmt: skip
            break
        if row.problem:
            out.append(row)
        else:
            try:
                saved = project.load_mask(row.image_id, task)
                if read_mask is not None and saved is not None:
                    read_mask(row.image_id, saved)
                kept = None if cached is None else cached(row.image_id)
                fresh = kept is None or saved is None or kept.shape != saved.shape
                mask = propose_for_image(project, row.image_id, predictor).mask if fresh or kept is None else kept
                out.append(_scored(row, mask, saved, taxonomy, MODEL))
            except (ValueError, OSError, ProjectError) as exc:
                out.append(replace(row, problem=f"{row.name}: {exc}"))
            else:
                if keep is not None and fresh:
                    try:
                        keep(row.image_id, mask)
                    except (OSError, ProjectError) as exc:
                        log.warning("re-score predictions not cached (recomputed when needed): %s", exc)
                        keep = None
        if progress is not None and (len(out) % batch_size == 0 or len(out) == total):
            progress(len(out), total)
    return out


def prediction_cache_key(task: str, model_version: str | None, cutouts: Mapping[str, str | None] | None = None) -> str:
    """Project cache key of a re-score prediction (one per task, model version and program
    version: a later program may refine proposals otherwise; for a parsing task that agrees with
    cutout models, their versions too: a promoted garment model changes its proposals)."""
    version = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{model_version or 'default'}-{__version__}")
    if cutouts:
        named = ",".join(f"{name}={v or 'default'}" for name, v in sorted(cutouts.items()))
        version += "-c" + hashlib.sha1(named.encode()).hexdigest()[:10]
    return f"qa-pred-{task}-{version}"[:100]


def predictor_cache_key(task: str, predictor: Any) -> str:
    """:func:`prediction_cache_key` of ``predictor`` (a parsing one's cutout models included)."""
    cutouts = getattr(predictor, "cutouts", None) or {}
    return prediction_cache_key(task, predictor.model_version,
                                {name: p.model_version for name, p in cutouts.items()})  # fmt: skip


def worst_first(scores: Iterable[ImageScore]) -> list[ImageScore]:
    """Sort by score, lowest first; unscored rows (NaN) go last."""
    return sorted(scores, key=lambda s: (not np.isfinite(s.score), s.score, s.image_id))


def reference_mask(
    project: ProjectStore, row: ImageScore, predictor: Any = None, rgb: np.ndarray | None = None
) -> np.ndarray | None:
    """The mask ``row`` was scored against, for drawing its agreement overlay.

    A row scored against the version QA rejected gets that version's mask. A row scored
    against the current model needs ``predictor`` (its proposal is recomputed
    through the same pipeline, from ``rgb`` when given, else from the photo); without one the
    shown proposal is used.
    """
    if row.reference == MODEL and predictor is not None:
        return propose_for_image(project, row.image_id, predictor, rgb).mask
    if row.reference == "rejected":  # the version QA rejected (qa.since_reject, which imports this)
        from fashion_annotator.qa.since_reject import rejected_mask

        found = rejected_mask(project, row.image_id, row.task)
        return None if found is None else found[0]
    return shown_proposal(project, row.image_id, row.task)
