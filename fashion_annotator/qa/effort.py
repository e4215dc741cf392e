"""Each saved mask version's own share of the effort spent on its image.

A mask version stores the image's running totals when it was saved (the window's clock starts
from the newest saved version's totals over every task, :func:`~fashion_annotator.annotate.
session.effort_so_far`), so a version's own work is what it adds to the totals saved before it.
"""

from __future__ import annotations

from collections.abc import Iterable

from fashion_annotator.dataset.records import MaskVersion

__all__ = ["EFFORT_SOURCES", "effort_contributions", "image_effort"]

EFFORT_SOURCES = frozenset({"operator", "recovered"})
"""Sources of versions that log an operator's effort: the window's saves and the edits of a
crashed window restored from its journal. Imports and models log none."""


def image_effort(versions: Iterable[MaskVersion]) -> tuple[float, int]:
    """``(seconds, actions)`` spent on the image up to the newest of ``versions``: the largest
    running totals they stored (the newest version's, unless an import or a journal entry
    restored after a colleague's save stored less). ``(0.0, 0)`` without versions."""
    seconds, actions = 0.0, 0
    for v in versions:
        seconds, actions = max(seconds, float(v.seconds)), max(actions, int(v.actions))
    return seconds, actions


def effort_contributions(versions: Iterable[MaskVersion]) -> dict[tuple[str, int], tuple[float, int]]:
    """The effort each operator version of one image added: ``(task, version) -> (seconds,
    actions)``.

    Parameters
    ----------
    versions : iterable of MaskVersion
        The versions of every task of one image, in any order; those of :data:`EFFORT_SOURCES`
        are kept and taken in save order (``created``, then ``version``).

    Returns
    -------
    dict
        A version's seconds (and, apart, actions) less the largest stored by the kept versions
        saved before it, never below 0. The versions one save wrote (consecutive, the same
        user, the same totals, one per task: a save of several tasks at once) each get the
        whole contribution of that save: the time was spent on the image their tasks share.
    """
    kept = sorted((v for v in versions if v.source in EFFORT_SOURCES),
                  key=lambda v: (v.created, v.version, v.task))  # fmt: skip
    out: dict[tuple[str, int], tuple[float, int]] = {}
    top_seconds, top_actions = 0.0, 0
    group: list[MaskVersion] = []
    for v in kept:
        first = group[0] if group else None
        same_save = (first is not None and v.user == first.user and v.seconds == first.seconds
                     and v.actions == first.actions and v.task not in {g.task for g in group})  # fmt: skip
        if not same_save:
            if first is not None:
                top_seconds = max(top_seconds, float(first.seconds))
                top_actions = max(top_actions, int(first.actions))
            group = []
        group.append(v)
        out[(v.task, v.version)] = (max(0.0, float(v.seconds) - top_seconds),
                                    max(0, int(v.actions) - top_actions))  # fmt: skip
    return out
