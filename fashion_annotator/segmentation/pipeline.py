"""The one proposal pipeline: a task's model, then the task's refinements.

``propose(rgb, predictor)`` is what the annotation window shows as the starting mask, what the
effort benchmark starts its simulated operator from, what ``bench refine`` scores as
``default`` and what QA's "vs current model" scores against, so every figure describes the
masks operators actually see. The refinements are the model's (:func:`model_refinements`: those
a project retrain chose on its own val photos, else the task spec's,
:attr:`fashion_annotator.core.tasks.TaskSpec.refinements`); those that need superpixels use
the default level of the photo's hierarchy, read from (or written to) the project cache when
a project is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_annotator.core.labels import available_taxonomies, load_taxonomy
from fashion_annotator.core.masks import remove_islands
from fashion_annotator.core.tasks import task_spec
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.cache import write_entry
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.segmentation import large_photos as large
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.consistency import compatibility, disagreeing, make_consistent
from fashion_annotator.segmentation.photo_regions import PhotoRegions, read_regions
from fashion_annotator.segmentation.refine import (
    REFINEMENTS,
    apply_refinements,
    default_refinements,
)
from fashion_annotator.segmentation.superpixel_cache import (
    cached_superpixels,
    project_superpixels,
    store_superpixels,
    superpixel_cache_paths,
)

if TYPE_CHECKING:  # the pipeline runs a predictor but never imports torch itself
    from fashion_annotator.segmentation.proposals import Predictor

#: After :func:`with_cutouts`, components (of any label) smaller than this share of the photo
#: take the label around them (:func:`~fashion_annotator.core.masks.remove_islands`). Chosen on
#: the first 40 CCP *train* photos, re-framed (``bench generalize`` framings; pooled parsing7
#: mIoU, shipped models; none / 0.0001 / 0.0003 / 0.001 / 0.003 of the photo): upper body 0.548 /
#: 0.549 / 0.550 / 0.643 / 0.643 (stray shoe pixels where the crop shows no shoes), knees-up
#: 0.608 / 0.609 / 0.609 / 0.611 / 0.609, studio knees-up 0.622 / 0.622 / 0.623 / 0.623 / 0.618,
#: studio upper body 0.583 / 0.584 / 0.584 / 0.586 / 0.588, as shot 0.708 / 0.709 / 0.709 /
#: 0.710 / 0.705, head and shoulders 0.446 / 0.446 / 0.446 / 0.447 / 0.448. Before the
#: agreement instead of after it: upper body 0.550, as shot 0.710 (the slivers are the
#: agreement's own).
AGREEMENT_MIN_FRAGMENT = 0.001

#: Refinements that work on superpixel regions.
NEEDS_REGIONS: frozenset[str] = frozenset({"snap", "consensus"})

#: Superpixels of the default level ``(H, W) int32``, what gives them when called (read only
#: when a refinement needs them), or None (the refinements that need them are left out).
Regions = np.ndarray | Callable[[], np.ndarray] | None

__all__ = [
    "AGREEMENT_MIN_FRAGMENT",
    "NEEDS_REGIONS",
    "AgreeingPredictor",
    "agreeing_cutouts",
    "Proposal",
    "Regions",
    "cached_superpixels",
    "enlarged",
    "model_refinements",
    "project_superpixels",
    "propose",
    "propose_for_image",
    "store_superpixels",
    "superpixel_cache_paths",
    "compute_superpixels_cached",
    "refine_proposal",
    "with_cutouts",
]


class Proposal:
    """A model's proposal for one photo.

    Attributes
    ----------
    mask : (H, W) uint8
        Class index per pixel in the task's taxonomy (0 is background).
    probs : (K, H, W) float32
        Class probabilities at full resolution, ``K = 2`` for binary tasks (``[1 - p, p]``).
        Computed on first access when the proposal was built from logits, since it weighs
        ``4 K H W`` bytes and most callers only want the mask.
    task : str
        The task (taxonomy name) the model was trained for.
    model_version : str or None
        The model's ``version`` from its metadata.
    raw_mask : (H, W) uint8
        The network's own mask, before refinements (``mask`` itself when none were applied).
    refinements : tuple of str
        The refinements that turned ``raw_mask`` into ``mask``, in order; ``"cutouts"`` last
        when :func:`with_cutouts` made a parsing mask agree with the photo's cutouts.
    coarse_probs : (K, h, w) float32
        Class probabilities at the network's resolution, covering the whole photo: cheap where
        a summary per region is all a caller needs (instance categories). ``probs`` itself
        when the proposal was given none.

    shrunk : Proposal or None
        For a photo longer than :data:`~.large_photos.PROPOSE_MAX_SIDE`, the proposal of the
        copy it was computed on (this one is it enlarged, :func:`enlarged`; after
        :func:`with_cutouts`, then made to agree with the photo's own cutouts); else None.

    :meth:`scores_at` gives the class scores of some pixels without the full ``probs``.
    """

    __slots__ = (
        "mask",
        "task",
        "model_version",
        "raw_mask",
        "refinements",
        "_probs",
        "_make_probs",
        "_coarse",
        "_scores_at",
        "shrunk",
    )

    def __init__(
        self,
        mask: np.ndarray,
        probs: np.ndarray | Callable[[], np.ndarray],
        task: str,
        model_version: str | None = None,
        *,
        raw_mask: np.ndarray | None = None,
        refinements: tuple[str, ...] = (),
        coarse_probs: np.ndarray | Callable[[], np.ndarray] | None = None,
        scores_at: Callable[[np.ndarray], np.ndarray] | None = None,
        shrunk: Proposal | None = None,
    ) -> None:
        self.mask = mask
        self.shrunk = shrunk
        self._coarse = coarse_probs
        self._scores_at = scores_at
        self.task = task
        self.model_version = model_version
        self.raw_mask = mask if raw_mask is None else raw_mask
        self.refinements = refinements
        self._probs: np.ndarray | None = None
        self._make_probs: Callable[[], np.ndarray] | None = None
        if callable(probs):
            self._make_probs = probs
        else:
            self._probs = probs

    @property
    def probs(self) -> np.ndarray:
        """``(K, H, W) float32`` class probabilities (computed on first access)."""
        if self._probs is None:
            assert self._make_probs is not None
            self._probs = self._make_probs()
            self._make_probs = None
        return self._probs

    @property
    def coarse_probs(self) -> np.ndarray:
        """``(K, h, w) float32`` probabilities at the network's resolution (computed on first
        access; :attr:`probs` when none were given)."""
        if self._coarse is None:
            return self.probs
        if callable(self._coarse):
            self._coarse = self._coarse()
        return self._coarse

    def scores_at(self, where: np.ndarray) -> np.ndarray:
        """Class scores ``(K, n) float32`` of the ``n`` pixels of ``where`` ``(H, W) bool``, in
        row-major order: ordered per pixel like :attr:`probs` (the predictor's enlarged logits,
        sampled at those pixels alone; ``probs`` itself once computed or when there is no
        sampler)."""
        if self._probs is None and self._scores_at is not None:
            return self._scores_at(where)
        return self.probs[:, where]

    def __repr__(self) -> str:
        h, w = self.mask.shape
        return (
            f"Proposal(task={self.task!r}, model_version={self.model_version!r}, shape=({h}, {w}))"
        )


def model_refinements(predictor: Predictor | AgreeingPredictor) -> tuple[str, ...]:
    """The refinements a model's proposals get: those a project retrain chose for it on the
    project's own val photos (metadata ``refinements``, ``training.runner``), else its task's
    (:func:`~fashion_annotator.segmentation.refine.default_refinements`).

    A metadata list naming a refinement this version does not know is ignored (the task's
    serve), so a model file from a newer version still proposes.
    """
    chosen = (getattr(predictor, "meta", None) or {}).get("refinements")  # stand-ins may have none
    if isinstance(chosen, list) and all(isinstance(n, str) and n in REFINEMENTS for n in chosen):
        return tuple(chosen)
    return default_refinements(predictor.task)


def refine_proposal(
    proposal: Proposal,
    rgb: np.ndarray,
    regions: Regions,
    refinements: Sequence[str] | None = None,
) -> Proposal:
    """Apply the task's refinements to a proposal; return the refined :class:`Proposal`.

    Parameters
    ----------
    proposal : Proposal
        The network's output (mask and lazily computed probabilities), or one already made to
        agree with the cutouts (:class:`AgreeingPredictor`): the refinements start from its
        ``mask`` and are appended to its ``refinements``; ``raw_mask`` stays the network's.
    rgb : (H, W, 3) uint8
        The photo.
    regions : (H, W) int32, callable or None
        Superpixels of the default level, or what gives them (``() -> (H, W) int32``, called
        only when a refinement needs them, e.g. a
        :class:`~fashion_annotator.segmentation.photo_regions.PhotoRegions`). None leaves out
        the refinements that need them, as does a callable that raises (logged).
    refinements : sequence of str, optional
        Default: the task spec's.
    """
    names = tuple(default_refinements(proposal.task) if refinements is None else refinements)
    if regions is None:
        names = tuple(n for n in names if n not in NEEDS_REGIONS)
    elif callable(regions):  # failing to compute them leaves out those that need them
        regions = read_regions(regions) if NEEDS_REGIONS & set(names) else None
        names = names if regions is not None else tuple(n for n in names if n not in NEEDS_REGIONS)
    probs = proposal.probs if NEEDS_REGIONS & set(names) else None
    mask = apply_refinements(names, proposal.mask, rgb=rgb, probs=probs, regions=regions)
    return Proposal(mask, lambda: proposal.probs, proposal.task, proposal.model_version,
                    raw_mask=proposal.raw_mask, refinements=(*proposal.refinements, *names),
                    coarse_probs=lambda: proposal.coarse_probs,
                    scores_at=proposal.scores_at)  # fmt: skip


def propose(
    rgb: np.ndarray,
    predictor: Predictor | AgreeingPredictor,
    *,
    regions: Regions = None,
    compute_regions: bool = True,
    refinements: Sequence[str] | None = None,
    network: contextlib.AbstractContextManager[Any] | None = None,
) -> Proposal:
    """Run the task's model on a photo, then its refinements.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    predictor : Predictor or AgreeingPredictor
        The task's model (see :func:`~fashion_annotator.segmentation.proposals.load_predictor`),
        or a parsing model with its cutout models (``load_shown_predictor``): then as the window
        (:meth:`AgreeingPredictor.propose`).
    regions : (H, W) int32 or callable, optional
        Superpixels of the default level, when the caller has them, or what gives them
        (``() -> (H, W) int32``, called after the network ran, when a refinement needs them:
        the window's :class:`~fashion_annotator.segmentation.photo_regions.PhotoRegions`).
        A photo longer than :data:`~.large_photos.PROPOSE_MAX_SIDE` is proposed on a copy with
        the copy's own superpixels instead (these are never read).
    compute_regions : bool
        Without ``regions``: compute the superpixels (True) or leave out the refinements that
        need them (False).
    refinements : sequence of str, optional
        Default: the model's (:func:`model_refinements`).
    network : context manager, optional
        Held around the network's run alone, not the refinements (nor their wait for the
        superpixels): the window's predictor lock. Not for an :class:`AgreeingPredictor`.

    Returns
    -------
    Proposal
        ``mask`` refined, ``raw_mask`` the network's.
    """
    names = tuple(model_refinements(predictor) if refinements is None else refinements)
    small = large.working_shape(rgb.shape[:2])
    if small is not None:  # a very large photo: on a copy, then enlarged (see large_photos)
        copy, copy_regions = _on_copy(rgb, small, regions)
        proposal = propose(copy, predictor, regions=copy_regions, compute_regions=compute_regions,
                           refinements=names, network=network)  # fmt: skip
        return enlarged(proposal, rgb.shape[:2])
    if regions is None and compute_regions and needs_regions(predictor, names):
        regions = sp.compute_superpixels(rgb).levels[sp.DEFAULT_LEVEL]
    if isinstance(predictor, AgreeingPredictor):
        return predictor.propose(rgb, regions, names)
    with contextlib.nullcontext() if network is None else network:
        predictor.set_image(rgb)
        raw = predictor.predict()
    return refine_proposal(raw, rgb, regions, names)


def _on_copy(rgb: np.ndarray, shape: tuple[int, int], regions: Regions) -> tuple[np.ndarray, Regions]:
    """The ``(h, w, 3) uint8`` copy of ``shape`` a very large photo is proposed on, and what gives
    its regions: the copy's own superpixels (:meth:`PhotoRegions.shrunk`, shared by the photo's
    proposals), never the photo's ``regions`` shrunk, so the proposal is the same whether those
    were known, and never waits for them. None when ``regions`` is None."""
    if isinstance(regions, PhotoRegions):
        shared = regions.shrunk(shape)
        return shared.rgb, shared
    copy = large.shrink_photo(rgb, shape)
    return copy, None if regions is None else PhotoRegions(copy)


def enlarged(small: Proposal, shape: tuple[int, int]) -> Proposal:
    """The proposal ``small`` of a photo's copy, as the photo's of ``shape`` ``(H, W)``: masks
    enlarged by nearest, ``probs`` bilinearly on first access, scores read on the copy
    (:mod:`~fashion_annotator.segmentation.large_photos`); ``shrunk`` is ``small``."""
    size = small.mask.shape
    mask = large.resize_labels(small.mask, shape)
    raw = mask if small.raw_mask is small.mask else large.resize_labels(small.raw_mask, shape)
    return Proposal(mask, lambda: large.enlarge_probs(small.probs, shape), small.task,
                    small.model_version, raw_mask=raw, refinements=small.refinements,
                    coarse_probs=lambda: small.coarse_probs,
                    scores_at=large.enlarged_scores(small.scores_at, size, shape),
                    shrunk=small)  # fmt: skip


def needs_regions(predictor: Predictor | AgreeingPredictor, names: Sequence[str]) -> bool:
    """Whether :func:`propose` with refinements ``names`` needs the superpixels (for them, or for
    the refinements of an :class:`AgreeingPredictor`'s cutouts)."""
    chains = [names, *(model_refinements(c) for c in getattr(predictor, "cutouts", {}).values())]
    return any(NEEDS_REGIONS & set(chain) for chain in chains)


def with_cutouts(proposal: Proposal, cutouts: Mapping[str, np.ndarray]) -> Proposal:
    """A parsing proposal made to agree with the photo's cutout masks (the window's proposals).

    Parameters
    ----------
    proposal : Proposal
        A parsing task's proposal (its ``probs`` are read where a pixel has a choice).
    cutouts : mapping of str to (H, W) bool
        Cutout task name -> its foreground (the cutout proposals of the same photo). Tasks
        without a :func:`~fashion_annotator.segmentation.consistency.compatibility` table with
        the parsing task are ignored.

    Returns
    -------
    Proposal
        ``proposal`` itself when nothing applies, else a new one whose ``mask`` is
        :func:`~fashion_annotator.segmentation.consistency.make_consistent`'s with fragments
        under :data:`AGREEMENT_MIN_FRAGMENT` of the photo relabelled, and whose ``refinements``
        end with ``"cutouts"``.
    """
    if proposal.shrunk is not None:  # a very large photo's: agreed on its copy, then enlarged
        size = proposal.shrunk.mask.shape
        small = {name: large.resize_labels(np.asarray(m, bool), size) for name, m in cutouts.items()}
        agreed = with_cutouts(proposal.shrunk, small)
        if agreed is proposal.shrunk:
            return proposal
        big = enlarged(agreed, proposal.mask.shape)
        big.mask = _agreed_at_full_size(big, _agreement_pairs(proposal.shrunk, cutouts), small)
        return big
    pairs = list(_agreement_pairs(proposal, cutouts).values())
    if not pairs:
        return proposal
    mask = make_consistent(proposal.mask, pairs, proposal.scores_at)
    # Relabelling along the cutouts' edges leaves slivers (a few shoe pixels at the bottom edge
    # of a knees-up photo); each small one takes the label around it, where the cutouts allow.
    before = mask.copy()
    box = remove_islands(mask, int(round(AGREEMENT_MIN_FRAGMENT * mask.size)))
    if box is not None:
        sl = box.slices
        undo = disagreeing(mask[sl], [(m[sl], table) for m, table in pairs])
        mask[sl][undo] = before[sl][undo]
    return Proposal(mask, lambda: proposal.probs, proposal.task, proposal.model_version,
                    raw_mask=proposal.raw_mask, refinements=(*proposal.refinements, "cutouts"),
                    coarse_probs=lambda: proposal.coarse_probs,
                    scores_at=proposal.scores_at)  # fmt: skip


def _agreement_pairs(
    proposal: Proposal, cutouts: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Cutout name -> its ``(H, W) bool`` mask and ``(2, K) bool`` compatibility table, for the
    cutouts of ``cutouts`` with a table for the proposal's task covering its classes."""
    pairs = {}
    for name, mask in cutouts.items():
        table = compatibility(proposal.task, name)
        if table is not None and table.shape[1] > int(proposal.mask.max()):
            pairs[name] = (np.asarray(mask, bool), table)
    return pairs


def _agreed_at_full_size(
    big: Proposal,
    pairs: Mapping[str, tuple[np.ndarray, np.ndarray]],
    small: Mapping[str, np.ndarray],
) -> np.ndarray:
    """The mask of ``big`` (a copy's agreed proposal, enlarged) made to agree with the photo's
    own cutouts: :func:`~.consistency.make_consistent` at full size.

    The copy's cutouts enlarged are not the photo's (a curved edge moves by up to a copy pixel),
    so person classes would lie in a band outside the photo's person cutout. A pixel can
    disagree only where a cutout differs from its copy enlarged (elsewhere its class and cutout
    values are those of its copy pixel, which agree), so only those pixels are passed: the
    result is that of ``make_consistent(big.mask, pairs, big.scores_at)``, without that
    function's passes over every pixel of the photo. The small fragments are not looked for
    again at full size (:data:`AGREEMENT_MIN_FRAGMENT`, done on the copy).

    Parameters
    ----------
    big : Proposal
        ``(H, W)``: :func:`enlarged` of the copy's proposal agreed with ``small``.
    pairs : mapping of str to ((H, W) bool, (2, K) bool)
        The photo's cutouts and their tables (:func:`_agreement_pairs`, as the copy's).
    small : mapping of str to (h, w) bool
        Every cutout of ``pairs`` (by name) shrunk to the copy, as the copy agreed with them.

    Returns
    -------
    (H, W) uint8
        ``big.mask`` itself when nothing disagrees, else a new mask.
    """
    shape = big.mask.shape
    band = np.zeros(shape, bool)
    for name, (mask, _) in pairs.items():
        band |= mask != large.resize_labels(small[name], shape)
    at = np.flatnonzero(band)  # row-major, as make_consistent and scores_at order pixels
    if at.size == 0:
        return big.mask

    def scores(where: np.ndarray) -> np.ndarray:
        full = np.zeros(band.size, bool)
        full[at[where[0]]] = True
        return big.scores_at(full.reshape(shape))

    cut = [(m.ravel()[at][None], table) for m, table in pairs.values()]
    mask = big.mask.copy()
    flat = mask.reshape(-1)
    flat[at] = make_consistent(flat[at][None], cut, scores)[0]
    return mask


def agreeing_cutouts(project: ProjectStore, task: str) -> tuple[str, ...]:
    """The cutout tasks of ``project`` that ``task``'s proposals agree with.

    Those its spec names (``agrees_with``) that the project has, with a compatibility table;
    only for shipped taxonomies (the tables are read from the shipped mappings). Reads the
    project's task list and taxonomies (the GUI thread in the window).
    """

    def shipped(name: str) -> bool:
        return name in available_taxonomies() and project.taxonomy(name).names == load_taxonomy(name).names

    if not shipped(task):
        return ()
    return tuple(
        other for other in task_spec(task).agrees_with
        if other in project.tasks and shipped(other) and compatibility(task, other) is not None
    )  # fmt: skip


class AgreeingPredictor:
    """A parsing predictor whose proposals agree with its cutout predictors' masks of the photo.

    For the callers that run one predictor per photo (QA's "vs current model" re-scoring and its
    overlays, through :func:`propose`): :meth:`propose` is what the window shows (each model's
    proposal after its refinements, the parsing one made to agree with the cutouts);
    :meth:`predict` the networks' masks alone made to agree. Every other attribute is the parsing
    predictor's. (The window reuses its cutout proposals instead, :class:`ProposalSource`.)

    Parameters
    ----------
    predictor : Predictor
        The parsing task's predictor.
    cutouts : mapping of str to Predictor
        Cutout task name -> its predictor.
    """

    def __init__(self, predictor: Predictor, cutouts: Mapping[str, Predictor]) -> None:
        self.base = predictor
        self.cutouts = dict(cutouts)
        self._rgb: np.ndarray | None = None

    def set_image(self, rgb: np.ndarray) -> None:
        """Use ``rgb`` ``(H, W, 3) uint8`` for the next :meth:`predict`."""
        self.base.set_image(rgb)
        self._rgb = rgb

    def predict(self) -> Proposal:
        """The parsing proposal, agreeing with the cutouts of the same photo."""
        if self._rgb is None:
            raise RuntimeError("AgreeingPredictor.set_image must be called before predict")
        proposal = self.base.predict()
        masks = {}
        for name, cutout in self.cutouts.items():
            cutout.set_image(self._rgb)
            masks[name] = cutout.predict().mask == 1
        return with_cutouts(proposal, masks)

    def propose(self, rgb: np.ndarray, regions: Regions, refinements: Sequence[str]) -> Proposal:
        """The proposal the window shows (``ui/annotate/proposal_source``): the parsing proposal
        after ``refinements``, made to agree with each cutout model's proposal after that model's
        own refinements (:func:`propose`); ``regions`` as :func:`propose`'s, never computed here."""
        self.base.set_image(rgb)
        proposal = refine_proposal(self.base.predict(), rgb, regions, refinements)
        masks = {
            name: propose(rgb, cutout, regions=regions, compute_regions=False).mask == 1
            for name, cutout in self.cutouts.items()
        }
        return with_cutouts(proposal, masks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


def propose_for_image(
    project: ProjectStore,
    image_id: int,
    predictor: Predictor | AgreeingPredictor,
    rgb: np.ndarray | None = None,
) -> Proposal:
    """The proposal the window shows for a project image: :func:`propose` with the photo's
    superpixels from the project cache (computed and cached when absent).

    ``rgb`` is the decoded photo when the caller has it (else it is loaded, and a file that is
    not the photo added raises :class:`ProjectError`: a re-score compares the proposal with
    masks drawn on the photo as it was added).
    """
    if rgb is None:
        changed = referenced_photo_changed(project.image(image_id), Path(project.root))
        if changed:
            raise ProjectError(changed)
        rgb = project.load_photo(image_id).rgb
    names = model_refinements(predictor)
    regions = None  # a very large photo's proposal computes its copy's (see propose)
    if needs_regions(predictor, names) and large.working_shape(rgb.shape[:2]) is None:
        regions = project_superpixels(project, image_id, rgb).levels[sp.DEFAULT_LEVEL]
    return propose(rgb, predictor, regions=regions, refinements=names)








def compute_superpixels_cached(
    rgb: np.ndarray,
    paths: Mapping[str, Path],
    writing: Callable[[], contextlib.AbstractContextManager[bool]] | None = None,
    hierarchy: Callable[[], sp.SuperpixelHierarchy] | None = None,
) -> tuple[sp.SuperpixelHierarchy, str | None]:
    """Compute a photo's hierarchy and write it to the cache ``paths``
    (:func:`superpixel_cache_paths`); files only, so it runs in a worker thread.

    ``writing``: entered around the writes, which happen only when it yields True (the window's
    :meth:`~fashion_annotator.ui.workers.ImageJobs.writing`: nothing written once it closed).
    ``hierarchy``: gives the hierarchy instead of computing it here (the window's
    :meth:`~fashion_annotator.segmentation.photo_regions.PhotoRegions.hierarchy`, shared with
    the photo's proposals).

    Returns
    -------
    (SuperpixelHierarchy, str or None)
        The hierarchy, and why it could not be cached (None: cached).
    """
    computed = sp.compute_superpixels(rgb) if hierarchy is None else hierarchy()
    with contextlib.nullcontext(True) if writing is None else writing() as allowed:
        if not allowed:
            return computed, "the window closed"
        try:
            for name, array in sp.superpixels_to_arrays(computed).items():
                write_entry(paths[name], array)
        except ProjectError as exc:
            return computed, str(exc)
    return computed, None

