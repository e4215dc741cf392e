"""The window's keys and looks: every shortcut listed and customisable, panels, the dark theme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from fashion_annotator.ui.help_dialog import shortcut_rows
from fashion_annotator.ui.icons import icon
from fashion_annotator.ui.preferences import PreferencesDialog
from fashion_annotator.ui.review.view import REVIEW_KEYS
from fashion_annotator.ui.shortcuts import KeyField, conflicts, key_text
from fashion_annotator.ui.testing import (
    copy_project,
    open_window,
)
from fashion_annotator.ui.theme import apply_theme, is_dark


def test_f1_lists_every_key_of_every_tab_and_no_key_means_two_things(qtbot, opened):
    window, _ = opened
    dialog = window.show_help()
    listed = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    for action in window.actions_by_name.values():
        if action.shortcuts():
            assert action.text().replace("&", "") in listed
    for _key, what in REVIEW_KEYS:
        assert f"Review: {what}" in listed
    intro = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("after 30 s of unsaved edits" in text for text in intro)
    dialog.close()
    assignment = {a.objectName(): key_text(a.shortcuts()) for a in window.actions_by_name.values()}
    assert conflicts(assignment, {k: w for k, w in REVIEW_KEYS}) == {}
    assert len(shortcut_rows(window.actions_by_name.values())) > 40


def test_shortcuts_are_customised_in_preferences_and_conflicts_refused(
    qtbot, template, tmp_path, answers
):
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "settings.ini"
    window, project = open_window(qtbot, root, settings, answers)
    dialog = PreferencesDialog(window.prefs, [], window, actions=list(window.actions_by_name.values()),
                               reserved={k: w for k, w in REVIEW_KEYS})  # fmt: skip
    editor = dialog.keys
    assert editor.assign("tool_brush", "E") == "E is already the key of “Eraser”"
    assert (
        editor.assign("tool_brush", "R")
        == "R is already the key of “Review: " + REVIEW_KEYS[1][1] + "”"
    )
    dialog.pages.setCurrentIndex(1)  # the Keyboard page
    eraser = editor._rows["tool_eraser"]  # pressing a taken key in the table itself
    eraser.setKeySequence(QKeySequence("B"))
    eraser.editingFinished.emit()
    assert dialog.key_message.isVisibleTo(dialog)
    assert dialog.key_message.text() == "B is already the key of “Brush”: the key was not changed."
    assert eraser.keySequence() == QKeySequence("E")
    # an action with a second key (Ctrl+Enter beside Ctrl+Return) keeps it when its key is
    # looked at and left as it was, and says so in the key's tooltip
    multi = next(name for name, keys in editor.keys.items() if len(keys) > 1)
    both = list(editor.keys[multi])
    editor._rows[multi].editingFinished.emit()
    assert editor.keys[multi] == both and editor._rows[multi].toolTip() == f"Also: {both[1]}"
    editor._rows["tool_brush"].setKeySequence(QKeySequence("Y"))
    editor._rows["tool_brush"].editingFinished.emit()  # "Y" is taken: the message goes away
    assert editor.keys["tool_brush"] == ["Y"]
    assert not dialog.key_message.isVisibleTo(dialog)
    assert editor.assign("refine_snap", "Ctrl+Alt+S") is None  # a Refine menu command
    dialog.theme.setCurrentIndex(2)
    dialog.accept()
    assert window.actions_by_name["tool_brush"].shortcuts() == [QKeySequence("Y")]
    assert key_text(window.actions_by_name[multi].shortcuts()) == both
    assert "(Y)" in window.actions_by_name["tool_brush"].toolTip()
    window.close()
    project.close()
    window, project = open_window(qtbot, root, settings, answers)
    try:
        assert window.actions_by_name["tool_brush"].shortcuts() == [QKeySequence("Y")]
        # the Refine menu is built after the other actions: its key is the operator's too
        assert window.actions_by_name["refine_snap"].shortcuts() == [QKeySequence("Ctrl+Alt+S")]
        assert window.prefs.theme == "dark"
    finally:
        window.close()
        project.close()
        apply_theme(QApplication.instance(), "system")


def test_a_closed_panel_comes_back_from_the_view_menu(qtbot, opened):
    window, _project = opened
    panels = {a.text(): a for a in window.panels_menu.actions()}
    assert list(panels) == ["Images", "Labels", "Instances", "Tool bar"]
    window.queue.close()  # the dock's own close button
    qtbot.waitUntil(lambda: not window.queue.isVisible())
    assert not panels["Images"].isChecked()
    panels["Images"].trigger()
    qtbot.waitUntil(window.queue.isVisible)
    assert panels["Images"].isChecked()
    panels["Tool bar"].trigger()
    assert not window.tools_toolbar.isVisible()
    panels["Tool bar"].trigger()
    assert window.tools_toolbar.isVisible()
    window.tabs.setCurrentIndex(1)  # Review has the whole width: its docks cannot be shown
    assert not window.queue.isVisible() and not panels["Images"].isEnabled()
    window.tabs.setCurrentIndex(0)
    assert window.queue.isVisible() and panels["Images"].isEnabled()


def test_dark_theme_recolours_icons_and_palette(qtbot, opened):
    window, _ = opened
    app = QApplication.instance()

    def ink(name: str) -> int:
        image = icon(name).pixmap(24, 24).toImage()
        values = [image.pixelColor(x, y) for x in range(24) for y in range(24)]
        return max(c.lightness() for c in values if c.alpha() > 200)

    try:
        apply_theme(app, "light")
        assert not is_dark(app.palette()) and ink("brush") < 100
        apply_theme(app, "dark")
        assert is_dark(app.palette()) and ink("brush") > 180
        qtbot.waitUntil(lambda: _action_ink(window) > 180)
    finally:
        apply_theme(app, "system")
    assert app.palette().color(QPalette.ColorRole.Window).isValid()


def _action_ink(window) -> int:
    image = window.actions_by_name["tool_brush"].icon().pixmap(24, 24).toImage()
    return max(
        (
            image.pixelColor(x, y).lightness()
            for x in range(24)
            for y in range(24)
            if image.pixelColor(x, y).alpha() > 200
        ),  # fmt: skip
        default=0,
    )


def test_esc_in_the_image_search_gives_the_keyboard_back_and_a_second_esc_clears(qtbot, opened):
    """A hand test: "00" typed into Search by name, Esc, then E made the filter "00e"."""
    window, _project = opened
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    search = window.queue.search
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    assert search.hasFocus()
    qtbot.keyClicks(search, "00")
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert window.canvas.hasFocus() and search.text() == "00"
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)
    assert search.text() == "00" and window.canvas.tool == "eraser"
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    qtbot.keyClick(search, Qt.Key.Key_Escape)  # Esc with nothing typed: the filter goes
    assert search.text() == "" and window.canvas.hasFocus()


def test_every_alt_key_of_the_window_opens_or_focuses_one_thing(opened):
    """A hand test: Alt+R was the key of both the Refine and the Train menu (Train had none)."""
    from collections import Counter

    from PySide6.QtGui import QShortcut
    from PySide6.QtWidgets import QAbstractButton

    window, _project = opened
    menus = [a.text() for a in window.menuBar().actions()]
    keys = [QKeySequence.mnemonic(text).toString() for text in menus]
    assert all(keys), f"a menu without an Alt key: {menus}"
    for button in window.findChildren(QAbstractButton):
        if button.isVisibleTo(window) and "&" in button.text().replace("&&", ""):
            keys.append(QKeySequence.mnemonic(button.text()).toString())
    for label in window.findChildren(QLabel):
        if label.buddy() is not None and "&" in label.text():
            keys.append(QKeySequence.mnemonic(label.text()).toString())
    keys += [s.key().toString() for s in window.findChildren(QShortcut) if "Alt+" in s.key().toString()]
    assert [k for k, n in Counter(keys).items() if n > 1] == [], keys


def test_f1_names_each_attribute_key_and_shows_every_row_whole(qtbot, opened):
    """A hand test: F1 listed "Alt+1 … Alt+9" for seven attribute groups, and cut the Review
    row "Open the selected image in the annotation view (in the …" short."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    window, _ = opened
    dialog = window.show_help()
    qtbot.waitExposed(dialog)
    table = dialog.table
    rows = {table.item(r, 1).text(): table.item(r, 0).text() for r in range(table.rowCount())}
    groups = window.instances.schema.groups
    for number, group in enumerate(groups, 1):
        assert group.name in rows[f"Alt+{number}"]
    assert f"Alt+{len(groups) + 1}" not in rows and not any("Alt+9" in keys for keys in rows)
    metrics = QFontMetrics(table.font())
    for column in (0, 1):
        width = table.columnWidth(column) - 2 * table.style().pixelMetric(
            table.style().PixelMetric.PM_FocusFrameHMargin
        ) - 2
        for r in range(table.rowCount()):
            text = table.item(r, column).text()
            needed = metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, text)
            assert needed.height() <= table.rowHeight(r), f"row cut short: {text}"
    dialog.close()


def test_a_refused_key_stays_explained_until_a_key_is_changed_again(qtbot, opened):
    """A hand test: "B is already the key of “Brush”…" vanished as soon as the key field lost
    the focus."""
    window, _ = opened
    dialog = PreferencesDialog(window.prefs, [], window, actions=list(window.actions_by_name.values()),
                               reserved={k: w for k, w in REVIEW_KEYS})  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.pages.setCurrentIndex(1)  # the Keyboard page
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    editor = dialog.keys
    eraser = editor._rows["tool_eraser"]
    qtbot.mouseClick(eraser, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(eraser.hasFocus, timeout=2000)
    qtbot.keyClick(eraser, Qt.Key.Key_B)
    message = "B is already the key of “Brush”: the key was not changed."
    qtbot.waitUntil(lambda: dialog.key_message.text() == message, timeout=3000)
    brush = editor._rows["tool_brush"]
    qtbot.mouseClick(brush, Qt.MouseButton.LeftButton)  # the eraser's field loses the focus
    qtbot.waitUntil(brush.hasFocus, timeout=2000)
    qtbot.wait(100)
    assert dialog.key_message.isVisibleTo(dialog) and dialog.key_message.text() == message
    assert eraser.keySequence() == QKeySequence("E")
    qtbot.keyClick(brush, Qt.Key.Key_Y)  # a key changed: the old reason goes
    qtbot.waitUntil(lambda: editor.keys["tool_brush"] == ["Y"], timeout=3000)
    assert not dialog.key_message.isVisibleTo(dialog)
    dialog.reject()


def test_esc_in_the_review_search_gives_the_keyboard_back_to_the_table(qtbot, opened):
    """A keys fix noticed the Review tab's own search field kept the keyboard on Esc, so A and R
    (approve, reject) typed letters into it instead."""
    window, _project = opened
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.tabs.setCurrentIndex(1)
    review = window.review
    search = review.search
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    assert search.hasFocus()
    qtbot.keyClicks(search, "ccp")
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert review.table.hasFocus() and search.text() == "ccp"
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    qtbot.keyClick(search, Qt.Key.Key_Escape)  # Esc with nothing typed: the filter goes
    assert search.text() == "" and review.table.hasFocus()


def _keyboard_page(qtbot, window) -> PreferencesDialog:
    """Preferences shown on its Keyboard page, with the window's actions and Review's keys."""
    dialog = PreferencesDialog(window.prefs, [], window, actions=list(window.actions_by_name.values()),
                               reserved={k: w for k, w in REVIEW_KEYS})  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.pages.setCurrentIndex(1)
    return dialog


def test_tab_and_shift_tab_move_on_from_a_key_field_and_are_never_recorded(qtbot, opened):
    """Shift+Tab in a key field of Preferences > Keyboard took the command's key away (the
    Shift press cleared it) or made it Shift+Backtab, and kept the focus there: a
    keyboard-only operator was caught in it."""
    dialog = _keyboard_page(qtbot, opened[0])
    editor = dialog.keys
    field = editor._rows["tool_eraser"]
    for key, modifier in ((Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier),
                          (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)):  # fmt: skip
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        qtbot.keyClick(field, key, modifier)
        assert not field.hasFocus(), key
        assert field.keySequence() == QKeySequence("E") and editor.keys["tool_eraser"] == ["E"], key
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClick(field, Qt.Key.Key_Shift)  # a modifier alone cleared the key
    assert field.keySequence() == QKeySequence("E")
    qtbot.keyClick(field, Qt.Key.Key_F8, Qt.KeyboardModifier.ControlModifier)  # Ctrl, then F8
    field.editingFinished.emit()
    assert editor.keys["tool_eraser"] == ["Ctrl+F8"]
    dialog.reject()


def test_the_key_table_is_one_tab_stop_and_enter_opens_the_chosen_commands_key(qtbot, opened):
    """Every key field of Preferences > Keyboard was a Tab stop: from the Eraser's row it took
    55 Tabs to reach a button. The table is one stop now: arrows choose, Enter opens the field."""
    dialog = _keyboard_page(qtbot, opened[0])
    editor = dialog.keys
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    assert editor.currentRow() == 0  # a row is shown chosen
    qtbot.keyClick(editor, Qt.Key.Key_Down)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    field = editor.cellWidget(1, 1)
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leaves the table at once, past every other field
    focused = QApplication.focusWidget()
    assert focused is not None and focused is not editor and not isinstance(focused, KeyField)
    assert editor.isAncestorOf(focused) is False
    qtbot.keyClick(focused, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor or isinstance(QApplication.focusWidget(), KeyField))
    eraser = editor._rows["tool_eraser"]
    qtbot.mouseClick(eraser, Qt.MouseButton.LeftButton)  # a click makes its row the chosen one
    qtbot.waitUntil(eraser.hasFocus)
    assert editor.cellWidget(editor.currentRow(), 1) is eraser
    dialog.reject()
