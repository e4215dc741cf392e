"""The Retrain dialog sized itself while it counted its masks (one line: "Counting the saved
Garment cutout masks… N / M") and kept that size once they were counted (the sentence then
takes three lines): on a 1600x1000 screen the counted dialog scrolled, its log cut off at the
bottom, with room to spare on the screen. It grows to show all of it where the screen allows.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QScrollArea

from fashion_annotator.ui import screen_fit
from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog


@pytest.mark.parametrize("screen", [QRect(0, 0, 1600, 1000), QRect(0, 0, 1280, 720)])
def test_the_counted_dialog_shows_all_of_it_where_the_screen_allows(qtbot, loop_project, monkeypatch, screen):
    monkeypatch.setattr(screen_fit, "screen_area", lambda _w: screen)
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    wait_counted(qtbot, dialog)
    qtbot.waitUntil(lambda: "corrected Garment cutout masks" in dialog.masks_label.text())
    area = dialog.findChild(QScrollArea)
    body = area.widget()
    for _ in range(3):  # the layout settles (posted layout requests)
        QApplication.processEvents()
    if screen.height() >= 1000:  # room for all of it (about 800 px)
        assert not area.verticalScrollBar().isVisible()
        assert body.height() >= body.sizeHint().height()
    else:  # it scrolls, and stays on the screen
        assert dialog.height() <= screen.height()
