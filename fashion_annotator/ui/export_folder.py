"""The Export dialog's folder: one an export would refuse (an unfinished export's, marked by
:data:`~fashion_annotator.dataset.formats.common.UNFINISHED_EXPORT`, or one holding files) is
replaced by a free one beside it, ``NAME-2``, and the dialog says why, before OK.

After a cancelled export the dialog offered that same folder again, and OK then failed with
"holds an export that did not finish" (:func:`~.formats.common.prepare_export_folder`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit

from fashion_annotator.dataset.formats.common import UNFINISHED_EXPORT

#: The most ``NAME-N`` folders tried for a free one.
MAX_TRIES = 999


def refusal(out: Path) -> str | None:
    """Why an export into ``out`` would be refused, in words; None: it would not (missing,
    empty, or unreadable: the export itself then says what is wrong)."""
    try:
        entries = os.listdir(out)
    except OSError:
        return None
    if UNFINISHED_EXPORT in entries:
        return f"holds an export that did not finish ({UNFINISHED_EXPORT})"
    if entries:
        return "is not empty (an earlier export?)"
    return None


def free_folder(out: Path) -> Path | None:
    """The first folder beside ``out`` an export would take: ``NAME-2``, ``NAME-3``... (from
    ``NAME-3`` for ``NAME-2``); None when none of :data:`MAX_TRIES` is free."""
    match = re.fullmatch(r"(.+)-(\d+)", out.name)
    stem, first = (match[1], int(match[2]) + 1) if match else (out.name, 2)
    for number in range(first, first + MAX_TRIES):
        candidate = out.with_name(f"{stem}-{number}")
        if not os.path.lexists(candidate) or (candidate.is_dir() and refusal(candidate) is None):
            return candidate
    return None


def offer_free_folder(edit: QLineEdit, note: QLabel, typed: Path) -> bool:
    """Put a free folder in ``edit`` where its folder (``typed``, as the export reads it) would
    be refused, saying why in ``note``; whether OK must wait.

    Parameters
    ----------
    edit : QLineEdit
        The dialog's Folder field.
    note : QLabel
        The dialog's note under its fields.
    typed : Path
        ``edit``'s folder as the export reads it (``~`` expanded...).

    Returns
    -------
    bool
        True when the folder was replaced (the next OK exports into the new one) or would be
        refused with none free beside it (the note says so).
    """
    if not str(edit.text()).strip():
        return False
    why = refusal(typed)
    if why is None:
        return False
    free = free_folder(typed)
    if free is None:
        note.setText(f"{typed.name} {why}: an export there is refused; delete it or pick another folder.")
        return True
    edit.setText(str(free))
    note.setText(
        f"{typed.name} {why}, so an export there is refused: Folder is now {free.name} (OK exports "
        f"there). To export into {typed.name} again, delete it first."
    )
    return True
