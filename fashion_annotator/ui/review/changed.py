"""The Review tab's rows of a few images read again: the window's poll found that another
session (a colleague, or the same operator on another desktop) changed them.

A full refresh reads the whole image list, every task's mask versions and every decision; the
poll knows which images changed (:meth:`~fashion_annotator.dataset.api.ProjectStore.
changed_images`) and reads only theirs, keeping the versions the last refresh read for the
others (the throughput figures are made from them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fashion_annotator.qa.scores import MODEL, ImageScore, score_project
from fashion_annotator.qa.since_reject import REJECTED

if TYPE_CHECKING:
    from fashion_annotator.ui.review.view import ReviewView

PATCH_MAX = 50
"""Most changed images whose rows are read one by one (a query per task and image); more are
read by a full refresh, one query per task."""


def reread_rows(view: ReviewView, image_ids: Sequence[int]) -> list[ImageScore] | None:
    """The table's rows with those of ``image_ids`` read again (their status, mask versions
    and latest decision; a mask saved since is scored, the others come from the memo), or None
    when only a full refresh can make them: too many images, no full refresh read the versions
    yet, the first scoring still runs, or the rows against the current model are not made.

    Emits ``view.refreshed(records, False)`` with the images' records (the instance panel
    reads their figures again).
    """
    saved: dict[str, dict[int, Any]] | None = view.saved_versions
    if view.reference.currentData() == REJECTED:  # a few rejected masks: a full refresh reads them
        return None
    use_model = view.reference.currentData() == MODEL
    ready = view.task in view._model_rows if use_model else view.task in view._scored_tasks
    project = view.project
    if (saved is None or set(saved) != set(project.tasks) or len(image_ids) > PATCH_MAX or not ready
            or view.score_thread is not None):  # fmt: skip
        return None
    ids = sorted({int(i) for i in image_ids})
    records = project.images(ids=ids, fetch_photos=False) if ids else []
    view.refreshed.emit(records, False)
    for task in project.tasks:
        for image_id in ids:
            versions = project.mask_versions(image_id, task)
            if versions:
                saved[task][image_id] = versions
            else:
                saved[task].pop(image_id, None)
    decided = {i: d for i in ids if (d := project.decisions.last(i, view.task)) is not None}
    kept = [r for r in view.model.rows() if r.image_id not in set(ids)]
    if use_model:
        statuses = {r.id: r.status for r in records}
        fresh = [view._reread(r, (saved[view.task].get(r.image_id, []), decided.get(r.image_id),
                                  statuses[r.image_id]))
                 for r in view._model_rows[view.task][0] if r.image_id in statuses]  # fmt: skip
    else:
        fresh = score_project(project, view.task, memo=view._scores, records=records,
                              saved=saved[view.task], decided=decided)  # fmt: skip
    return kept + fresh


def refresh_key(view: ReviewView) -> tuple | None:
    """What a refresh of ``view`` would read differently when it changes: the project's
    :meth:`~fashion_annotator.dataset.api.ProjectStore.change_token` (a commit of another
    session, or an image row this window changed: a save, a decision), its
    :meth:`~fashion_annotator.dataset.api.ProjectStore.proposal_token` (a proposal recorded,
    as this window does on opening a photo: the scores and the unscored reasons depend on
    them, and the change token does not move), the task, the reference and the re-score shown;
    None when the store has no token (always read again)."""
    token = view.project.change_token()
    if token is None:
        return None
    reference = view.reference.currentData()
    model_rows = view._model_rows.get(view.task) if reference == MODEL else None
    return (token, view.project.proposal_token(), view.task, reference,
            None if model_rows is None else model_rows[1:], view.score_thread is None)  # fmt: skip
