"""Model proposals for the window: one lazily loaded predictor per task.

:meth:`ProposalSource.propose` runs in the proposal worker thread (one thread, so the torch
predictors are never used concurrently): it loads the task's predictor on first use, refines
the proposal with the task's default refinements, and returns None when the task has no model,
so the tool keeps working with superpixels and brushes only.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.segmentation import proposals as prop


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
        Fall back to the shipped default model of a task when the project has no active model
        (False: such a task has no model, which tests use to get a known starting mask).
    """

    def __init__(
        self, project: ProjectStore, device: str = "auto", use_shipped: bool = True
    ) -> None:
        self.project = project
        self.device = device
        self.use_shipped = use_shipped
        self._lock = threading.Lock()
        self._predictors: dict[str, prop.Predictor | None] = {}
        self._active_paths: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.device_name = "CPU"

    def prepare(self, task: str) -> None:
        """Read the task's active model from the project (GUI thread: SQLite is thread-bound)."""
        record = self.project.models.active(task)
        self._active_paths[task] = None if record is None else record.path

    def reload(self, task: str | None = None) -> None:
        """Forget loaded predictors (all, or one task's) so the next call loads the active model."""
        with self._lock:
            for name in [task] if task else list(self._predictors):
                self._predictors.pop(name, None)
                self.errors.pop(name, None)
        for name in [task] if task else list(self._active_paths):
            self.prepare(name)

    def predictor(self, task: str) -> prop.Predictor | None:
        """The task's predictor, loading it on first use; None when there is no usable model."""
        with self._lock:
            if task not in self._predictors:
                path = self._active_paths.get(task)
                try:
                    if path is None and not self.use_shipped:
                        raise prop.ModelLoadError(task, "no active model in this project")
                    loaded = prop.load_predictor(path or task, None, self.device)
                    if loaded.task != task:
                        raise prop.ModelLoadError(loaded.path, f"model is for {loaded.task!r}")
                    self.device_name = loaded.device_name
                except prop.ModelLoadError as exc:
                    self.errors[task] = str(exc)
                    loaded = None
                self._predictors[task] = loaded
            return self._predictors[task]

    def predict(self, task: str, rgb: np.ndarray) -> prop.Proposal | None:
        """Run the task's model on ``rgb`` ((H, W, 3) uint8); None without a model."""
        predictor = self.predictor(task)
        if predictor is None:
            return None
        with self._lock:
            predictor.set_image(rgb)
            return predictor.predict()

    def propose(
        self, task: str, rgb: np.ndarray, regions: np.ndarray | None
    ) -> tuple[prop.Proposal, np.ndarray] | None:
        """Predict and refine in one go (worker thread): ``(proposal, refined mask)`` or None."""
        proposal = self.predict(task, rgb)
        if proposal is None:
            return None
        return proposal, refine_proposal(proposal, task, rgb, regions)


def refine_proposal(
    proposal: prop.Proposal, task: str, rgb: np.ndarray, regions: np.ndarray | None
) -> np.ndarray:
    """Return the proposal's mask after the task's default refinements, ``(H, W) uint8``.

    Parameters
    ----------
    proposal : Proposal
        The model output (mask and lazily computed probabilities).
    task : str
        Selects ``refine.default_refinements(task)``.
    rgb : (H, W, 3) uint8
        The photo.
    regions : (H, W) int32 or None
        Superpixels of the default level; refinements that need them are left out while the
        superpixels are still being computed.
    """
    from fashion_annotator.segmentation import refine

    names = refine.default_refinements(task)
    if regions is None:
        names = tuple(n for n in names if n not in ("snap", "consensus"))
    probs = proposal.probs if "consensus" in names or "snap" in names else None
    return refine.apply_refinements(names, proposal.mask, rgb=rgb, probs=probs, regions=regions)
