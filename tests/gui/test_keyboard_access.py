"""Keyboard-only use of the window: Tab walks every control and leaves every table, each tab
has a key, and the Review tab's decisions are reachable without a mouse."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from fashion_annotator.ui.testing import copy_project, open_window, wait_ready

ALT = Qt.KeyboardModifier.AltModifier


def _walk(qtbot, start: QWidget, presses: int, backward: bool = False) -> list[QWidget]:
    """The widgets the focus visits from ``start`` over ``presses`` Tab (Shift+Tab) presses."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    key = Qt.Key.Key_Backtab if backward else Qt.Key.Key_Tab
    mods = Qt.KeyboardModifier.ShiftModifier if backward else Qt.KeyboardModifier.NoModifier
    seen = []
    for _ in range(presses):
        QTest.keyClick(QApplication.focusWidget(), key, mods)
        seen.append(QApplication.focusWidget())
    return seen


def _review(qtbot, masks_template, tmp_path, answers):
    root = copy_project(masks_template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.review is not None and window.review.proxy.rowCount() > 0)
    return window, project


def test_tab_reaches_the_review_decision_and_leaves_both_tables(
    qtbot, masks_template, tmp_path, answers
):
    window, project = _review(qtbot, masks_template, tmp_path, answers)
    review = window.review
    try:
        wanted = [review.reason, review.reason_text, review.approve_button,
                  review.reject_button, review.open_button]  # fmt: skip
        forward = _walk(qtbot, review.table, 40)
        assert all(w in forward for w in wanted), "Tab leaves the results table for the decision"
        assert forward.index(review.table) < 39
        # no instances saved here: the Instances panel is folded to its one line, its table out
        # of the Tab chain (it took a third of the left column at 1280x720)
        assert not window.instance_review.table.isVisible() and window.instance_review.table not in forward
        backward = _walk(qtbot, review.open_button, 40, backward=True)
        assert review.table in backward and review.reason in backward
        # a reject by keyboard alone: the reason box's mnemonic, a category, the Why text, Return
        review.select_proxy_row(0)
        image_id = review.selected_row().image_id
        review.table.setFocus()
        QTest.keyClick(review.table, Qt.Key.Key_J, ALT)
        assert review.reason.hasFocus(), "Alt+J (Re&ject:) gives the reason box the keyboard"
        QTest.keyClick(review.reason, Qt.Key.Key_Down)
        assert review.reason.currentIndex() >= 0
        QTest.keyClick(review.reason, Qt.Key.Key_Tab)
        assert review.reason_text.hasFocus()
        QTest.keyClicks(review.reason_text, "the collar is missing")
        QTest.keyClick(review.reason_text, Qt.Key.Key_Return)
        last = project.decisions.last(image_id, review.task)
        assert (
            last is not None and last.decision == "reject" and last.text == "the collar is missing"
        )
    finally:
        window.close()
        project.close()


def test_every_table_of_the_window_and_its_dialogs_lets_tab_leave(qtbot, opened):
    from PySide6.QtWidgets import QAbstractItemView

    from fashion_annotator.ui.preferences import PreferencesDialog
    from fashion_annotator.ui.train import loop_menu

    window, _ = opened
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.review is not None)
    preferences = PreferencesDialog(
        window.prefs, [], window, actions=list(window.actions_by_name.values())
    )
    dialogs = [
        window.show_help(),
        window.show_training(),
        loop_menu.show_history(window),
        preferences,
    ]
    views = [v for top in (window, *dialogs) for v in top.findChildren(QAbstractItemView)]
    assert len(views) >= 9
    trapped = [v for v in views if v.tabKeyNavigation()]
    assert trapped == [], f"Tab stays inside {[type(v).__name__ for v in trapped]}"
    for dialog in dialogs:
        dialog.close()
    wait_ready(qtbot, window)


def test_tab_switches_the_task_only_on_the_photo_and_moves_the_focus_elsewhere(qtbot, opened):
    from fashion_annotator.ui.testing import press_key

    window, _ = opened
    first = window.task
    for start in (window.queue.view, window.palette_dock.list, window.view_bar.boundaries):
        moved = _walk(qtbot, start, 1)
        assert window.task == first, f"Tab in {type(start).__name__} switched the task"
        assert moved[0] is not start, f"Tab did not move the focus out of {type(start).__name__}"
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task != first and window.canvas.hasFocus(), "on the photo Tab switches the task"
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == first
    window.actions_by_name["switch_task"].trigger()  # View > Switch task, from anywhere
    assert window.task != first
    help_dialog = window.show_help()
    table = help_dialog.table
    keys = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert "photo" in keys["Switch task"], "F1 says where Tab switches the task"
    help_dialog.close()


def test_a_key_shows_each_tab_and_gives_its_main_view_the_keyboard(qtbot, opened):
    from fashion_annotator.ui.testing import press_key

    window, _ = opened
    press_key(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1 and window.review is not None
    qtbot.waitUntil(window.review.table.hasFocus)
    QTest.keyClick(window.review.table, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.waitUntil(window.canvas.hasFocus)
    names = {a.text().replace("&", ""): a for a in window.view_menu.actions()}
    assert {"Annotate tab", "Review tab"} <= set(names), "View menu items, customisable keys"


SMALL_SCREEN_SCRIPT = """
import json, sys
from PySide6.QtWidgets import QApplication, QLabel
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, PreferencesDialog, settings_file
from fashion_annotator.ui.train import loop_menu

app = QApplication([])
project = Project.open(sys.argv[1], user="alice")
window = MainWindow(project, Preferences(settings_file(sys.argv[2])))
window.show()
prefs = PreferencesDialog(window.prefs, [project.taxonomy(t) for t in window.taxonomies], window,
                          actions=list(window.actions_by_name.values()))
background = loop_menu.background_dialog(window)
dialogs = {"help": window.show_help(), "retrain": window.show_training(),
           "attributes": window.show_training("instance_attributes"),
           "history": loop_menu.show_history(window), "preferences": prefs, "background": background}
out = {"screen": window.screen().availableGeometry().getRect()}
for name, dialog in dialogs.items():
    dialog.show()
    app.processEvents()
    out[name] = dialog.frameGeometry().getRect()
    dialog.close()
print(json.dumps(out))
window.close()
project.close()
"""


def test_every_dialog_fits_a_1280x720_screen_at_125_percent(template, tmp_path):
    """1280x720 at 125 %: 1024x576 logical pixels (a QPA offscreen screen of that size)."""
    import json
    import os
    import subprocess
    import sys

    root = copy_project(template, tmp_path / "project")
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "width": 1280, "height": 720}]}))
    script = tmp_path / "dialogs.py"
    script.write_text(SMALL_SCREEN_SCRIPT)
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR="1.25")
    done = subprocess.run(
        [sys.executable, str(script), str(root), str(tmp_path / "s.ini")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    sx, sy, sw, sh = shown.pop("screen")
    assert (sw, sh) == (1024, 576)
    off = {name: (x, y, w, h) for name, (x, y, w, h) in shown.items()
           if x < sx or y < sy or x + w > sx + sw or y + h > sy + sh}  # fmt: skip
    assert off == {}, f"dialogs past the screen's edge (x, y, w, h): {off}"


def test_a_screen_reader_names_every_list_field_and_box_and_dialogs_start_on_the_empty_field(qtbot, opened):
    from fashion_annotator.ui.file_menu import ExportDialog

    window, _ = opened
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.review is not None)
    review = window.review
    widgets = [review.task_combo, review.reference, review.reason, review.reason_text, review.search,
               window.queue.search, window.queue.view, window.palette_dock.list, window.instances.list,
               review.table, window.instance_review.table]  # fmt: skip
    unnamed = [type(w).__name__ for w in widgets if not w.accessibleName()]
    assert unnamed == [], f"no accessible name: {unnamed}"
    dialog = window.show_training("instance_attributes")
    assert dialog.windowTitle() == "Retrain Instance attributes", "the task's display name"
    dialog.close()
    export = ExportDialog(["garment"], "garment", window)
    export.show()
    assert export.focusWidget() is export.out, "the empty Folder has the keyboard, not OK"
    export.close()
