"""Why an export wrote no image, in words a QA lead can act on.

``export --status approved`` on a project whose garment masks were approved and whose
parsing masks were not printed "0 images exported" and exited 0: a script got an empty folder
and no reason (a QA hand test). The command line and the window's File > Export both say
:func:`nothing_exported`'s reason; the command exits 1 with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.formats.common import ExportSummary
from fashion_annotator.dataset.schema import STATUSES

__all__ = ["nothing_exported"]


def _of(n: int, noun: str) -> str:
    """``counted`` with "none" for 0 (``"none"``, ``"1 image"``, ``"3 images"``)."""
    return "none" if n == 0 else counted(n, noun)


def _approved_tasks(project: ProjectStore) -> str:
    """How many images each task's latest mask is approved on, when some are and the project
    has more than one task: ``"; an image is approved once the latest mask of every task is,
    and so far Garment cutout is approved on 1 image, Parsing (18 classes) on none"``; else
    ``""``."""
    if len(project.tasks) < 2:
        return ""
    approved = project.decisions.approved_counts()
    if not any(approved.get(task) for task in project.tasks):
        return ""
    per_task = [f"{task_title(task)}{' is approved' if i == 0 else ''} on {_of(approved.get(task, 0), 'image')}"
                for i, task in enumerate(project.tasks)]  # fmt: skip
    return f"; an image is approved once the latest mask of every task is, and so far {', '.join(per_task)}"


def nothing_exported(project: ProjectStore, summary: ExportSummary, statuses: Collection[str] | None = None) -> str:
    """Why ``summary``'s export wrote no image, or ``""`` when it wrote one or listed images
    that failed (those say why themselves).

    Parameters
    ----------
    project : ProjectStore
        The project exported.
    summary : ExportSummary
        The export's summary.
    statuses : collection of str, optional
        The statuses asked for (``export --status``); None: every image.

    Returns
    -------
    str
        ``"no image has status approved (the project's 30 images: 11 done, 19 new); an image is
        approved once ..."``, ``"all 3 images are without a mask for the task"``, ...
    """
    if summary.count or summary.errors:
        return ""
    records = project.images()
    if not records:
        return "the project has no images"
    if statuses is not None and summary.left_out_by_status >= len(records):
        held = Counter(r.status for r in records)
        listing = ", ".join(f"{held[s]} {s.replace('_', ' ')}" for s in STATUSES if held[s])
        asked = " or ".join(s.replace("_", " ") for s in statuses)
        why = f"no image has status {asked} (the project's {counted(len(records), 'image')}: {listing})"
        return why + (_approved_tasks(project) if "approved" in statuses else "")
    if summary.skipped:
        chosen = "" if statuses is None else f" with status {' or '.join(s.replace('_', ' ') for s in statuses)}"
        n = len(summary.skipped)
        which = f"the only image{chosen} is" if n == 1 else f"all {n} images{chosen} are"
        return f"{which} without {summary.missing}"
    return "no image was written"
