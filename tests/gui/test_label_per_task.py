"""Each task keeps the label the operator chose last, on Tab and across restarts: after a
restart the parsing label went back to skin, and her next Smart click added skin. A hand test."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import copy_project, open_window, press_key


def _label(window) -> str:
    """The name of the class the window paints, as the canvas and the Labels panel have it."""
    taxonomy = window.taxonomies[window.task]
    assert window.palette_dock.current == window.canvas.label
    return taxonomy.classes[window.canvas.label].name


def test_each_task_keeps_its_last_label_on_tab_and_after_a_restart(qtbot, template, tmp_path, answers):
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "settings.ini"
    window, project = open_window(qtbot, root, settings, answers)
    cutout, parsing = project.tasks[0], next(t for t in project.tasks if t.startswith("parsing"))
    hair_key = next(c.shortcut for c in window.taxonomies[parsing].classes if c.name == "hair")
    press_key(qtbot, window, Qt.Key.Key_2)
    assert window.task == cutout and _label(window) == "garment"
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == parsing
    press_key(qtbot, window, getattr(Qt.Key, f"Key_{hair_key}"))
    assert _label(window) == "hair"
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == cutout and _label(window) == "garment"
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == parsing and _label(window) == "hair"
    press_key(qtbot, window, Qt.Key.Key_1)  # background, then back to the cutout task to quit
    press_key(qtbot, window, Qt.Key.Key_Tab)
    window.close()
    project.close()
    window, project = open_window(qtbot, root, settings, answers)
    try:
        assert window.task == cutout and _label(window) == "garment"
        press_key(qtbot, window, Qt.Key.Key_Tab)
        assert window.task == parsing and _label(window) == "background"
        press_key(qtbot, window, getattr(Qt.Key, f"Key_{hair_key}"))
        window.close()
        project.close()
        window, project = open_window(qtbot, root, settings, answers)
        assert window.task == parsing and _label(window) == "hair", "shown first: its label too"
    finally:
        window.close()
        project.close()
