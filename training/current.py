"""The current model of a retrain: the one it starts from, leaves the photos of out of
validation first, and is compared with.

It is the model the window proposes with: the project's active version when its file loads
as a model of the task, else the shipped default
(:class:`~fashion_annotator.ui.annotate.proposal_source.ProposalSource` falls back the same
way). A hand test: with a parsing7 model's files in place of the active garment version, the
window proposed with the shipped garment model while a retrain compared its new model with the
parsing7 network scored as a garment model (median Dice 0.008): "better on 5 of 5" against a
model nobody used, promoted by ``--promote-if-better`` over the much better shipped one; with
garbage in place of the weights, every retrain failed, ``--init scratch`` only after all its
epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.segmentation.proposals import active_model_problem, model_path


def current_model(
    task: str, project: ProjectStore | None, emit: Callable[[dict], None] | None = None
) -> tuple[Path | None, int | None]:
    """The current model of ``task`` and its registry version (None: a shipped model, or none).

    An active version that cannot be used gives way to the shipped model; ``emit`` (when given)
    gets an ``info`` event that names its file and the reason.
    """
    if project is None:
        return model_path(task, None), None
    problem = active_model_problem(project, task)
    if problem is not None:
        shipped = model_path(task, None)
        instead = f"the shipped {task} model" if shipped is not None else "no current model"
        if emit is not None:
            emit({"event": "info", "message": f"{problem}; this retrain starts from and is compared "
                  f"with {instead}, as the window proposes with it"})  # fmt: skip
        return shipped, None
    active = project.models.active(task)
    return model_path(task, project), None if active is None else active.version
