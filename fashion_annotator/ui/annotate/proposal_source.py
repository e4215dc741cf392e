"""Model proposals for the window: one lazily loaded predictor per task.

:meth:`ProposalSource.propose` runs in the proposal worker thread (one thread, so the torch
predictors are never used concurrently): it loads the task's predictor on first use, refines
the proposal with the task's default refinements, and returns None when the task has no model,
so the tool keeps working with superpixels and brushes only. A project's active model that cannot
be used (its file gone, damaged or of another task) gives way to the shipped one, and
:attr:`ProposalSource.warnings` says so for the window to show. A parsing task's proposal is made
to agree with the project's cutout tasks' proposals of the same photo (those its task spec
names in ``agrees_with``, through :func:`~fashion_annotator.segmentation.pipeline.with_cutouts`);
a cutout proposal computed for that is kept and is the cutout task's own proposal, so no model
runs twice for one photo. :meth:`ProposalSource.cancel` (the window closes) stops the proposal
computing at its next network layer or step (:class:`Abandoned`): the close never waits for it.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_annotator.core.wording import model_label
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation.photo_regions import PhotoRegions

if TYPE_CHECKING:  # imported by the first proposal, in the worker: torch comes with it
    from fashion_annotator.segmentation import proposals as prop


class Abandoned(Exception):
    """Raised in the proposal worker once :meth:`ProposalSource.cancel` was called."""


def _check(cancelled: threading.Event, *_hook_args: object) -> None:
    """Raise :class:`Abandoned` once ``cancelled`` is set (also a network layer's forward
    pre-hook: it holds the event, not the source, so no reference cycle keeps a model alive)."""
    if cancelled.is_set():
        raise Abandoned("the proposals were cancelled")


class ProposalSource:
    """Predictors of a project's tasks: its active models, else the shipped defaults.

    Parameters
    ----------
    project : Project
        The open project (only :meth:`Project.models.active` is read, from the loading thread,
        through :func:`~fashion_annotator.segmentation.proposals.load_predictor`).
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``...
    use_shipped : bool
        Fall back to the shipped default model of a task when the project has no active model,
        or when its active model's file is missing, unloadable or of another task (then
        :attr:`warnings` says so). False: such a task has no model, which tests use to get a
        known starting mask.
    one_pass : bool
        The "fast proposals" preference: each model runs one plain pass at its training
        resolution (see :class:`~fashion_annotator.segmentation.proposals.Predictor`).
    """

    def __init__(
        self,
        project: ProjectStore,
        device: str = "auto",
        use_shipped: bool = True,
        one_pass: bool = False,
    ) -> None:
        self.project = project
        self.device = device
        self.use_shipped = use_shipped
        self.one_pass = one_pass
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._predictors: dict[str, prop.Predictor | None] = {}
        self._active_paths: dict[str, Any] = {}
        self._active_versions: dict[str, int | None] = {}
        self.errors: dict[str, str] = {}
        #: task -> what the window must show: its active model cannot be used, and what proposes
        self.warnings: dict[str, str] = {}
        self.device_name = "CPU"
        self._cutout_tasks: dict[str, tuple[str, ...]] = {}
        # task -> (photo, regions, proposal) of the latest cutout proposal, reused by identity
        self._recent: dict[str, tuple[np.ndarray, pipeline.Regions, prop.Proposal]] = {}

    def prepare(self, task: str) -> None:
        """Read the task's active model from the project (GUI thread: SQLite is thread-bound)."""
        record = self.project.models.active(task)
        self._active_paths[task] = None if record is None else record.path
        self._active_versions[task] = None if record is None else record.version
        self._cutout_tasks[task] = pipeline.agreeing_cutouts(self.project, task)

    def follow_promotions(self) -> list[str]:
        """Reload the tasks whose active model changed since they were prepared (a colleague
        promoted one in another window); return them. GUI thread, as :meth:`prepare`."""
        changed: list[str] = []
        for task, path in list(self._active_paths.items()):
            try:
                record = self.project.models.active(task)
            except ProjectError:  # the store is unreachable: keep proposing with what is loaded
                return changed
            if (None if record is None else record.path) != path:
                self.reload(task)
                changed.append(task)
        return changed

    def model_label(self, task: str, meta_version: object) -> str:
        """The task's proposal model as people read it: ``v2 (20261205-054523)`` for the
        project's active model, ``shipped (...)`` for the default (:func:`.wording.model_label`)."""
        return model_label(meta_version, None if task in self.warnings else self._active_versions.get(task))

    def state_label(self, task: str) -> str | None:
        """``task``'s model as the status bar names it where no proposal says so (no photo open,
        the photo or its proposal failed): the loaded predictor's :meth:`model_label`, None when
        none could load (or there is none), else the one that loads with the first proposal,
        e.g. ``"v2 (loads with the first photo)"``. Reads nothing from the project."""
        from fashion_annotator.segmentation.proposals import default_model_path

        if task in self._predictors:  # no lock: a model loading holds it for seconds (GUI thread)
            loaded = self._predictors.get(task)
            return None if loaded is None else self.model_label(task, loaded.model_version)
        version = self._active_versions.get(task)
        if version is None and not (self.use_shipped and default_model_path(task).is_file()):
            return None
        return f"{'shipped' if version is None else f'v{version}'} (loads with the first photo)"

    def reload(self, task: str | None = None) -> None:
        """Forget loaded predictors (all, or one task's) so the next call loads the active model."""
        with self._lock:
            for name in [task] if task else list(self._predictors):
                self._predictors.pop(name, None)
                self.errors.pop(name, None)
                self.warnings.pop(name, None)
                self._recent.pop(name, None)
        for name in [task] if task else list(self._active_paths):
            self.prepare(name)

    def cancel(self) -> None:
        """Stop the proposal computing now at its next network layer or step, and every later
        one at its start, with :class:`Abandoned` (any thread; for good: the window closes)."""
        self._cancelled.set()

    def _check_open(self) -> None:
        """Raise :class:`Abandoned` once cancelled."""
        _check(self._cancelled)

    def set_one_pass(self, one_pass: bool) -> None:
        """Switch the "fast proposals" preference; loaded predictors reload on next use."""
        if one_pass != self.one_pass:
            self.one_pass = one_pass
            self.reload()

    def predictor(self, task: str) -> prop.Predictor | None:
        """The task's predictor, loading it on first use; None when there is no usable model.

        An active project model that cannot be used (its file missing, damaged or of another
        task) gives way to the shipped one when there is one, and :attr:`warnings` says so for
        the window to show (:attr:`errors` alone was never shown: it proposed nothing, silently).
        """
        from fashion_annotator.segmentation import proposals as prop

        with self._lock:
            if task not in self._predictors:
                self._check_open()
                path = self._active_paths.get(task)
                loaded: prop.Predictor | None
                try:
                    if path is None and not self.use_shipped:
                        raise prop.ModelLoadError(Path(task), "no active model in this project")
                    loaded = self._load(path or task, task)
                except prop.ModelLoadError as exc:
                    self.errors[task] = str(exc)
                    loaded = None if path is None else self._instead_of_active(task, exc)
                self._predictors[task] = loaded
            return self._predictors[task]

    def _load(self, model: str | Path, task: str) -> prop.Predictor:
        """Load ``model`` (a file, or a task name: its shipped default) as ``task``'s predictor."""
        from fashion_annotator.segmentation import proposals as prop

        loaded = prop.load_predictor(model, None, self.device, one_pass=self.one_pass)
        if loaded.task != task:
            raise prop.ModelLoadError(
                loaded.path, f"the file is a model of task {loaded.task!r}, not of {task!r}"
            )
        self.device_name = loaded.device_name
        for layer in loaded.module.modules():  # a cancel stops the network between two layers
            layer.register_forward_pre_hook(functools.partial(_check, self._cancelled))
        return loaded

    def _instead_of_active(self, task: str, problem: prop.ModelLoadError) -> prop.Predictor | None:
        """The shipped predictor of ``task`` (None without one) when its active model failed to
        load with ``problem``; the warning naming both is kept in :attr:`warnings`."""
        from fashion_annotator.segmentation import proposals as prop

        loaded = None
        if self.use_shipped:
            with contextlib.suppress(prop.ModelLoadError):
                loaded = self._load(task, task)
        if loaded is not None:
            instead = f"proposing with the shipped {task} model instead"
        else:
            instead = f"no {task} proposals" + (f": no usable shipped {task} model" if self.use_shipped else "")
        self.warnings[task] = (
            f"The active {task} model v{self._active_versions.get(task)} cannot be used "
            f"({problem}); {instead}. Train > Model history makes another version active."
        )
        return loaded

    def propose(
        self, task: str, rgb: np.ndarray, regions: pipeline.Regions
    ) -> tuple[prop.Proposal, np.ndarray] | None:
        """The task's proposal through :func:`~fashion_annotator.segmentation.pipeline.propose`
        (worker thread): ``(proposal, refined mask)``, or None without a model.

        ``regions`` are the default superpixel level, or what gives them (the window's
        :class:`~fashion_annotator.segmentation.photo_regions.PhotoRegions`, read once the
        network ran, waiting for the superpixel job when it computes them), or None (computed
        here when a refinement needs them). The refinements are always the model's whole chain,
        so a photo gets the same proposal whether its superpixels were cached or not. A parsing
        task's mask agrees with the project's cutout tasks' proposals
        (:func:`.pipeline.with_cutouts`; a cutout task without a model is left out). Raises
        :class:`Abandoned` once :meth:`cancel` was called.
        """
        self._check_open()
        predictor = self.predictor(task)
        if predictor is None:
            return None
        recent = self._recent.get(task)
        if recent is not None and recent[0] is rgb and recent[1] is regions:
            return recent[2], recent[2].mask
        cutouts = {}
        for other in self._cutout_tasks.get(task, ()):
            result = self.propose(other, rgb, regions)
            if result is not None:
                cutouts[other] = result[1] == 1
        given = PhotoRegions(rgb) if regions is None else regions
        # The lock is held for the network alone: the refinements (and their wait for the
        # superpixels, seconds on a large photo) never keep reload() waiting on the GUI thread.
        proposal = pipeline.propose(rgb, predictor, regions=given, compute_regions=False, network=self._lock)
        self._check_open()
        if cutouts:
            proposal = pipeline.with_cutouts(proposal, cutouts)
        elif predictor.is_binary:
            with self._lock:  # not kept when the task was reloaded meanwhile (another model)
                if self._predictors.get(task) is predictor:
                    self._recent[task] = (rgb, regions, proposal)
        return proposal, proposal.mask
