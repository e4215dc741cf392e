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


#: Two screens side by side, the smaller one left of the first (at negative x).
SCREENS = (
    '{"screens": [{"name": "main", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96},'
    ' {"name": "left", "x": -1280, "y": 0, "width": 1280, "height": 720, "logicalDpi": 96}]}'
)
#: A window on the left screen shows a dialog taller than that screen; prints the left screen's
#: free area and the dialog's frame, as ``x y w h`` each.
TALL_DIALOG = """
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from fashion_annotator.ui.screen_fit import fit_on_show
app = QApplication([])
window = QWidget()
window.setGeometry(-1200, 50, 1000, 600)
window.show()
app.processEvents()
dialog = QDialog(window)
dialog.resize(900, 1000)
fit_on_show(dialog)
dialog.show()
app.processEvents()
for r in (window.screen().availableGeometry(), dialog.frameGeometry()):
    print(r.x(), r.y(), r.width(), r.height())
"""


def test_a_dialog_over_a_window_on_a_smaller_screen_left_of_the_first_fits_that_screen(tmp_path):
    """Shrunk to the first screen's height (the dialog's own screen before Qt places it), a
    dialog over a window on a smaller second screen ran past its bottom, its buttons out of reach."""
    import os
    import subprocess
    import sys

    from PySide6.QtCore import QRect

    (tmp_path / "screens.json").write_text(SCREENS)
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={tmp_path / 'screens.json'}"}
    done = subprocess.run([sys.executable, "-c", TALL_DIALOG], env=env, capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    area, frame = (QRect(*map(int, line.split())) for line in done.stdout.split("\n")[:2])
    assert area == QRect(-1280, 0, 1280, 720), done.stdout
    assert area.contains(frame), f"the dialog at {frame} runs off the screen {area}"
