"""Mark done's word on a parsing mask that disagrees with the photo's cutout.

A cutout operator took a mannequin's stand base out of the garment cutout and marked the photo
done; the parsing mask still called the base "shoes", the Instances panel kept a "shoes"
instance there and the export wrote it (a studio hand test). Mark done now compares the two
masks as the window holds them (:func:`~fashion_annotator.qa.mask_agreement.open_disagreement`,
only when it saves either of them) and, when they disagree beyond
:data:`~fashion_annotator.qa.mask_agreement.DISAGREEMENT_SHARE`, does not mark the photo done
the first time: the status bar and the banner say what disagrees and the way out. Refine >
Clear parsing outside the cutout fixes it as one undo step, seen on the canvas before the
photo is marked; pressing Mark done again keeps the masks as they are. The operator is told
once per opened photo; nothing is changed without the operator's own command.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from fashion_annotator.annotate.session import tasks_to_save
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.mask_agreement import OpenDisagreement, open_disagreement
from fashion_annotator.ui.shortcuts import key_name

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

#: The documents whose disagreement the operator was told of: their next Mark done goes on.
_told: weakref.WeakKeyDictionary[object, bool] = weakref.WeakKeyDictionary()


def _pixels(classes: tuple[tuple[str, int], ...]) -> str:
    """``"2,049 px of shoes and 310 px of bag"`` (three classes named, the rest summed)."""
    parts = [f"{n:,} px of {name}" for name, n in classes[:3]]
    rest = sum(n for _, n in classes[3:])
    if rest:
        parts.append(f"{rest:,} px of other classes")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def message(found: OpenDisagreement) -> str:
    """What the status bar and the banner say about ``found``: ``"Not marked done: Parsing has
    2,049 px of shoes outside the Garment cutout. Refine > Clear parsing outside the cutout
    (Ctrl+Shift+O) clears them; Mark done (Ctrl+D) again keeps the masks as they are."``."""
    agreement = found.agreement
    cutout = task_title(agreement.cutout_task)
    cutout = cutout if cutout.lower().endswith("cutout") else f"{cutout} cutout"
    where = []
    if found.outside_classes:
        where.append(f"{_pixels(found.outside_classes)} outside the {cutout}")
    if found.inside_classes:
        inside = _pixels(found.inside_classes)
        where.append(f"{inside} inside it" if where else f"{inside} inside the {cutout}")
    text = f"Not marked done: {task_title(agreement.parsing_task)} has {' and '.join(where)}."
    if found.outside_classes:
        clear = key_name("refine_outside_cutout", "Ctrl+Shift+O")
        text += f" Refine > Clear parsing outside the cutout ({clear}) clears what lies outside;"
    else:
        text += " Correct the mask that is wrong;"
    return f"{text} Mark done ({key_name('done', 'Ctrl+D')}) again keeps the masks as they are."


def go_on(window: MainWindow) -> bool:
    """Whether Mark done goes on for the window's open photo: False, having said why
    (:func:`message`), the first time its parsing mask and cutout disagree; True otherwise
    (they agree, neither is saved by this Mark done, or the operator was told already).

    Parameters
    ----------
    window : MainWindow

    Returns
    -------
    bool
    """
    cur = window.session.current
    if cur is None or cur.read_only or _told.pop(cur.doc, False):
        return True
    try:
        found = open_disagreement(window.project, cur.doc.masks, tasks_to_save(cur, "done"))
    except (ProjectError, ValueError, OSError):  # a mask that cannot be read: the save says so
        return True
    if found is None:
        return True
    _told[cur.doc] = True
    window._show_error(message(found))
    return False
