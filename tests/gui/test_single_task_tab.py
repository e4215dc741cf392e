"""Tab on the photo of a project with one task: nothing to switch to, so the focus moves on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import open_window


def test_tab_on_the_photo_of_a_one_task_project_moves_the_focus_on(qtbot, ccp_dir, tmp_path, answers):
    """A keyboard hand test: on a cutout-only project Tab on the photo did nothing (Switch task
    took it, with no other task to show), so Tab never left the photo."""
    with Project.create(tmp_path / "cutout", tasks=("garment",)) as project:
        project.add_image(ccp_dir / "images" / "0014.jpg")
    window, project = open_window(qtbot, tmp_path / "cutout", tmp_path / "settings.ini", answers)
    try:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        window.canvas.setFocus()
        qtbot.waitUntil(window.canvas.hasFocus)
        QTest.keyClick(window.canvas, Qt.Key.Key_Tab)
        assert window.task == "garment"
        assert not window.canvas.hasFocus(), "Tab stayed on the photo"
    finally:
        window.close()
        project.close()
