"""The Instances panel's buttons: each is live only when it has something to act on, and a
greyed one says why in its tooltip.

Greyed, Split by line, Split parts, Merge, Delete, Undo and Redo gave no reason: an operator
with no instance selected, or one where Merge wants two, saw a dead button and nothing more.
The reasons' wording is the window's (:data:`~fashion_annotator.ui.shortcuts.WHY_DISABLED`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QAbstractButton

from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.ui.shortcuts import why_disabled


def button_reasons(ids: Sequence[int], doc: InstanceDocument | None) -> dict[str, str]:
    """Why each greyable button of the panel is greyed now, ``""`` for a live one.

    Parameters
    ----------
    ids : sequence of int
        The selected instances.
    doc : InstanceDocument or None
        The open image's instances (None: no photo open).

    Returns
    -------
    dict of str to str
        Button name (``split``, ``parts``, ``merge``, ``delete``, ``undo``, ``redo``) -> reason.
    """
    one = "" if len(ids) == 1 else why_disabled("one_instance")
    reasons = {"split": one, "parts": one,
               "merge": "" if len(ids) >= 2 else why_disabled("two_instances"),
               "delete": "" if ids else why_disabled("an_instance")}  # fmt: skip
    steps = {"undo": doc is not None and doc.can_undo, "redo": doc is not None and doc.can_redo}
    for which, can in steps.items():
        nothing = why_disabled("no_photo") if doc is None else why_disabled("nothing_in_instances", which=which)
        reasons[which] = "" if can else nothing
    return reasons


def show_reasons(buttons: Mapping[str, QAbstractButton], reasons: Mapping[str, str]) -> None:
    """Grey each of ``buttons`` that has a reason (:func:`button_reasons`), its tooltip saying
    it ("Merge: select two instances or more"); a live one has no tooltip."""
    for name, reason in reasons.items():
        button = buttons[name]
        button.setEnabled(not reason)
        button.setToolTip(f"{button.text().replace('&', '')}: {reason}" if reason else "")
