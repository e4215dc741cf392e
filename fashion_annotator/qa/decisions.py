"""QA decisions: approve a saved mask, or reject it with a reason category and free text.

The store records every decision (who, when, what, why) and moves the image's status to
``approved`` or ``rejected``; a rejected image goes back to the operators' queue, and
:func:`rejection_note` is what the image list's tooltip says of it (the banner's
instruction, :func:`operator_instruction`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.decisions import not_seen, seen_is_latest
from fashion_annotator.dataset.records import ProjectError

__all__ = [
    "CATEGORIES",
    "OPERATOR_REASONS",
    "REASONS",
    "approve",
    "current_decision",
    "decision_on_latest",
    "last_decisions",
    "latest_rejects",
    "operator_instruction",
    "reason_category",
    "reason_counts",
    "reason_label",
    "reject",
    "rejection_note",
]

#: The operator's kinds of bad ground truth: stored key -> label. Each counts as
#: ``bad_ground_truth`` where the reasons are grouped (:func:`reason_category`).
OPERATOR_REASONS: dict[str, str] = {
    "missed_area": "Missed area",
    "extra_area": "Extra area (background, mannequin)",
    "wrong_label": "Wrong label",
    "rough_edge": "Rough edge",
}

#: The reject categories the outlier analysis counts (the QA report's, the CSV's ``reason``):
#: stored key -> label. Projects keep these keys.
CATEGORIES: dict[str, str] = {
    "bad_ground_truth": "Bad ground truth",
    "rare_garment": "Rare garment",
    "low_contrast": "Low contrast",
    "complex_garment": "Complex garment",
    "model_error": "Model error",
    "other": "Other",
}

#: Every reject reason, as the Review tab lists them: the operator's kinds first, then the
#: categories. Stored key -> label shown to people.
REASONS: dict[str, str] = {**OPERATOR_REASONS, **CATEGORIES}

#: What the operator who opens a rejected mask is asked to do, per reason (the banner's words;
#: "other": QA's text says it).
_INSTRUCTIONS: dict[str, str] = {
    "missed_area": "Add the part of the garment the mask misses",
    "extra_area": "Remove the extra area (background, mannequin stand) from the mask",
    "wrong_label": "Give the wrongly labelled area its right label",
    "rough_edge": "Smooth the rough edge along the outline",
    "bad_ground_truth": "Correct the mask where it is wrong",
    "rare_garment": "Check the mask of this rare garment against the guidelines",
    "low_contrast": "Check the edges where the garment and the background look alike",
    "complex_garment": "Check every part of this complex garment",
    "model_error": "Correct what the model's proposal got wrong",
    "other": "",
}


def reason_label(reason: str | None) -> str:
    """The readable label of a reason key (unknown keys are shown as they are)."""
    if reason is None:
        return ""
    return REASONS.get(reason, reason)


def reason_category(reason: str | None) -> str:
    """The :data:`CATEGORIES` key ``reason`` counts as: an operator's kind of bad ground truth
    (:data:`OPERATOR_REASONS`) is ``"bad_ground_truth"``, no reason is ``"other"``, anything
    else stays itself."""
    if not reason:
        return "other"
    return "bad_ground_truth" if reason in OPERATOR_REASONS else reason


def operator_instruction(reason: str | None, text: str = "") -> str:
    """What the operator is asked to do about a reject for ``reason`` with QA's ``text``:
    ``"Remove the extra area (background, mannequin stand) from the mask — stand pole"``;
    "other" is QA's text alone; an unknown key is shown as its label."""
    if not reason:
        what = "no reason given"
    else:
        what = _INSTRUCTIONS.get(reason, reason_label(reason))
    if not text:
        return what or reason_label(reason)
    return f"{what} — {text}" if what else text


def _check_seen(project: ProjectStore, image_id: int, task: str, seen_version: int | None) -> None:
    """Refuse at once a decision on a mask version the reviewer has not seen (a save since the
    table was loaded: another reviewer's stale table would approve work nobody looked at); the
    store checks again where the decision is recorded (a save may land in between)."""
    if seen_version is None:
        return
    versions = project.mask_versions(image_id, task)
    latest = versions[-1] if versions else None
    if latest is not None and not seen_is_latest(seen_version, latest.version):
        raise ValueError(not_seen(project.image(image_id).name, latest.version, latest.user, seen_version))


def approve(
    project: ProjectStore, image_id: int, task: str, text: str = "", seen_version: int | None = None
) -> Any:
    """Approve the saved mask of ``image_id`` for ``task``; returns the DecisionRecord.

    ``seen_version``: the mask version the reviewer looked at; a newer one refuses the
    decision (``ValueError``), and so does a latest mask that cannot be read or a missing photo
    (nobody could have looked at it; a reject is still possible).
    """
    _check_seen(project, image_id, task, seen_version)
    try:
        project.load_mask(image_id, task)
    except (ValueError, OSError, ProjectError) as exc:
        raise ValueError(f"not approved: the saved mask cannot be read ({exc})") from exc
    try:
        photo = project.image_path(image_id)
    except (ValueError, OSError, ProjectError) as exc:
        raise ValueError(f"not approved: the photo cannot be read ({exc})") from exc
    if not photo.is_file():  # nobody saw the mask over its photo (one referenced in place, moved)
        raise ValueError(f"not approved: the photo {photo} is missing")
    return project.decisions.record(image_id, task, "approve", None, text, seen_version)


def reject(
    project: ProjectStore, image_id: int, task: str, reason: str | None, text: str = "",
    seen_version: int | None = None,
) -> Any:  # fmt: skip
    """Reject the saved mask with a reason from :data:`REASONS` and optional free text.

    Raises
    ------
    ValueError
        ``reason`` is None or empty (nobody chose one: the Review tab's box starts empty), not
        a known category, or ``"other"`` without any text, or a version newer than
        ``seen_version`` was saved (see :func:`approve`).
    """
    if not reason:
        raise ValueError("A reject needs a reason category: choose a reason in the box beside "
                         "the Why field.")  # fmt: skip
    if reason not in REASONS:
        raise ValueError(f"Unknown reject reason {reason!r}; expected one of {', '.join(REASONS)}.")
    if reason == "other" and not text.strip():
        raise ValueError(f"A reject with reason '{reason_label(reason)}' needs a text saying why: "
                         "type it in the Why field.")
    _check_seen(project, image_id, task, seen_version)
    return project.decisions.record(image_id, task, "reject", reason, text.strip(), seen_version)


def current_decision(
    project: ProjectStore, image_id: int, task: str, versions: Sequence[Any] | None = None
) -> Any | None:
    """The latest decision on ``task``'s latest saved mask, or None when a version was saved
    since it (the new version waits for review; the Review table showed the old "rejected" or
    "approved" beside work nobody had looked at). A decision names the mask version it was made
    on; only decisions older than that record compare times (a colleague's clock behind made a
    later save inherit an approval). The history still lists every decision.
    The store's status uses the same rule (``dataset.decisions.CURRENT_PER_TASK``).

    ``versions``: the task's mask versions when the caller has read them (else read here).
    """
    last = project.decisions.last(image_id, task)
    if last is None:
        return None
    versions = project.mask_versions(image_id, task) if versions is None else versions
    return decision_on_latest(last, versions)


def decision_on_latest(last: Any | None, versions: Sequence[Any]) -> Any | None:
    """:func:`current_decision` of the image's latest decision ``last`` on a task (None: none)
    and the task's mask ``versions``, both already read."""
    if last is None:
        return None
    if last.mask_version is not None:  # the version it was made on (clocks do not decide)
        return last if (versions[-1].version if versions else 0) == last.mask_version else None
    return None if versions and versions[-1].created > last.created else last


def last_decisions(project: ProjectStore, task: str) -> dict[int, Any]:
    """Each image's latest decision on ``task`` (``project.decisions.last`` of every image at
    once, one query): image id -> DecisionRecord, for images with a decision."""
    return {d.image_id: d for d in project.decisions(task=task)}


def latest_rejects(project: ProjectStore, image_id: int, task: str | None = None) -> list[Any]:
    """Each task's latest decision on the image where it is a reject (``task``: that task only).

    One task's approval does not hide another task's reject: the queue's note read the latest
    decision on any task, and a rejected image whose parsing mask was then approved showed no
    reason.
    """
    latest: dict[str, Any] = {}
    for decision in project.decisions(image_id, task):
        latest[decision.task] = decision
    return [d for d in latest.values() if d.decision == "reject"]


def rejection_note(project: ProjectStore, image_id: int, task: str | None = None) -> str | None:
    """What to tell the operator who opens a rejected image, or None when it is not rejected:
    a line per task whose latest decision is a reject (:func:`latest_rejects`), the reason as
    the banner words it, an instruction (:func:`operator_instruction`), not QA's category.

    Example: ``"Rejected by qa on 2026-11-21 09:12: Check the edges where the garment and the
    background look alike — sleeve edge lost"``; with ``task`` None (the queue's tooltip) each
    line names its task, as the banner does: ``"Rejected by qa (Garment cutout) on ..."``.
    """
    lines = []
    for last in latest_rejects(project, image_id, task):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.created))
        who = last.user if task is not None else f"{last.user} ({task_title(last.task)})"
        lines.append(f"Rejected by {who} on {when}: {operator_instruction(last.reason, last.text)}")
    return "\n".join(lines) or None


def reason_counts(
    project: ProjectStore, task: str | None = None, latest_only: bool = True, grouped: bool = True
) -> Counter:
    """Count reject reasons: by category (keys of :data:`CATEGORIES`; an operator's kind of bad
    ground truth counts as ``bad_ground_truth``, :func:`reason_category`), or with ``grouped``
    False by the reason chosen (keys of :data:`REASONS`).

    With ``latest_only`` only each image's current decision counts (:func:`current_decision`):
    an image rejected and later approved no longer appears, nor one whose operator saved a new
    version since the reject (the report counted rejects already fixed).
    """
    records = project.decisions(task=task)
    if latest_only:
        latest: dict[tuple[int, str], Any] = {}
        for rec in records:
            latest[(rec.image_id, rec.task)] = rec
        records = [r for r in latest.values() if current_decision(project, r.image_id, r.task) is not None]
    rejects = [r for r in records if r.decision == "reject"]
    if grouped:
        return Counter(reason_category(r.reason) for r in rejects)
    return Counter(r.reason or "other" for r in rejects)
