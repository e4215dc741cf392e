"""A dialog that fits itself to the screen (``screen_fit.fit_on_show``) opens over its window.

Where the window system reports a window's frame before it is shown (Windows; the offscreen
platform), the fit moved a dialog shown for the first time to its not-yet-placed corner, the
screen's top-left, before Qt placed it over its window: Preferences, Help, Retrain and Model
history opened in the corner of the screen, on the first screen when the window was on another.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget

from fashion_annotator.ui.screen_fit import fit_on_show, screen_area


def test_a_dialog_shown_the_first_time_opens_over_its_window(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    area = screen_area(window)
    window.setGeometry(area.x() + area.width() // 3, area.y() + area.height() // 4,
                       area.width() // 2, area.height() // 2)  # fmt: skip
    window.show()
    qtbot.waitExposed(window)
    dialog = QDialog(window)
    dialog.resize(area.width() // 5, area.height() // 5)
    fit_on_show(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    centre, over = dialog.frameGeometry().center(), window.frameGeometry().center()
    assert abs(centre.x() - over.x()) <= 10 and abs(centre.y() - over.y()) <= 40, (
        f"the dialog opened at {dialog.frameGeometry()}, its window at {window.frameGeometry()}"
    )
    assert area.contains(dialog.frameGeometry())


def test_a_dialog_taller_than_the_screen_still_shrinks_to_it(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dialog = QDialog(window)
    area = screen_area(window)
    dialog.resize(area.width() // 2, area.height() * 2)
    fit_on_show(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert area.contains(dialog.frameGeometry()), f"{dialog.frameGeometry()} is not within {area}"
