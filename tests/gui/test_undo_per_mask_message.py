"""Undo is per mask: back at the opened parsing mask, the status bar said "nothing to save"
while the cutout's edit was still unsaved (the corner said Unsaved). A hand test."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import CTRL, drag, press_key


def test_undo_back_to_the_opened_mask_names_the_other_mask_still_unsaved(qtbot, opened):
    window, project = opened
    cutout, parsing = project.tasks[0], next(t for t in project.tasks if t.startswith("parsing"))
    assert window.task == cutout
    press_key(qtbot, window, Qt.Key.Key_B)
    drag(window, [(100, 200), (200, 200)])  # a cutout stroke, never saved
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == parsing
    drag(window, [(100, 300), (200, 300)])
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the parsing stroke undone
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # nothing more on the parsing mask
    name = window.display_name(window.open_record)
    assert window.status.saved.text().endswith("Unsaved")
    assert window.status.currentMessage() == (
        "Undid a step of the Parsing mask: it is as the photo opened again; the Garment cutout "
        f"mask of {name} still has unsaved edits (Tab shows it)"
    )
    assert "nothing to save" not in window.status.currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Tab)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the cutout stroke: now nothing is unsaved
    assert window.status.saved.text() == "Saved"
    assert window.status.currentMessage() == (
        "Undid a step of the Garment cutout mask: it is as the photo opened again, nothing to save"
    )
