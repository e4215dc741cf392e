"""The Instances panel's buttons and boxes: each is live only when it has something to act on,
and a greyed one says why in its tooltip.

Greyed, Split by line, Split parts, Merge, Delete, Undo and Redo gave no reason: an operator
with no instance selected, or one where Merge wants two, saw a dead button and nothing more.
The Category and attribute boxes were greyed the same way, with no tooltip at all: a greyed box
now says why ("Category: select one instance"), a live one names its choice (a narrow panel
shows only the start of it). The reasons' wording is the window's
(:data:`~fashion_annotator.ui.shortcuts.WHY_DISABLED`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QAbstractButton, QComboBox

from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.ui.shortcuts import why_disabled

_REASON = "instanceBoxReason"  # a box's greyed reason ("": live), its tooltip kept in step


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


def show_boxes(category: QComboBox, attributes: Mapping[str, QComboBox], ids: Sequence[int], one: bool) -> None:
    """Grey the ``category`` box unless ``one`` instance is selected and the ``attributes`` boxes
    (group name -> box) unless some are (``ids``), a greyed box's tooltip saying why ("fabric:
    select an instance"); a live box's tooltip is its choice, following it."""
    _show_box(category, "Category", "" if one else why_disabled("one_instance"))
    for name, box in attributes.items():
        _show_box(box, name, "" if ids else why_disabled("an_instance"))


def _show_box(box: QComboBox, name: str, reason: str) -> None:
    if box.property(_REASON) is None:
        box.currentIndexChanged.connect(lambda _i: _box_tip(box, name))
    box.setProperty(_REASON, reason)
    box.setEnabled(not reason)
    _box_tip(box, name)


def _box_tip(box: QComboBox, name: str) -> None:
    reason = box.property(_REASON)
    box.setToolTip(f"{name}: {reason}" if reason else box.currentText())
