"""View > Reset layout: docks dragged away, floated or closed and a hidden tool bar come back
to where a new window has them, and the next window opens with that layout.

Before, there was no such item: each panel had to be brought back from View > Panels, and a
dock dragged to the other side or left floating stayed there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import open_window


def _layout(window) -> dict[str, tuple]:
    """Each dock's area, floating, shown and width; the tool bar's shown."""
    docks = {"queue": window.queue, "labels": window.palette_dock, "instances": window.instances}
    out: dict[str, tuple] = {
        name: (window.dockWidgetArea(d), d.isFloating(), d.isVisible(), d.width())
        for name, d in docks.items()
    }
    out["toolbar"] = (window.tools_toolbar.isVisible(),)
    return out


def _close_enough(a: dict[str, tuple], b: dict[str, tuple]) -> bool:
    """Same places and visibility; widths within a few pixels (separators round)."""
    for name in a:
        if a[name][:3] != b[name][:3]:
            return False
        if len(a[name]) > 3 and abs(a[name][3] - b[name][3]) > 4:
            return False
    return True


def _disarrange(qtbot, window) -> None:
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.queue)  # dragged across
    window.palette_dock.setFloating(True)
    window.instances.close()
    window.tools_toolbar.hide()
    qtbot.waitUntil(lambda: not window.instances.isVisible())


def test_reset_layout_brings_the_default_layout_back(qtbot, opened, tmp_path, answers):
    window, project = opened
    view = [a.text() for a in window.view_menu.actions()]
    assert "Re&set layout" in view
    default = _layout(window)
    assert default["queue"][0] == Qt.DockWidgetArea.LeftDockWidgetArea
    _disarrange(qtbot, window)
    assert not _close_enough(_layout(window), default)
    window.actions_by_name["reset_layout"].trigger()
    qtbot.waitUntil(lambda: _close_enough(_layout(window), default))
    assert "default places" in window.status.currentMessage()
    # the saved window state is the reset one: a new window opens with it
    window.close()
    project.close()
    again, project2 = open_window(qtbot, project.root, tmp_path / "settings.ini", answers)
    try:
        after = _layout(again)
        assert after["queue"][:3] == (Qt.DockWidgetArea.LeftDockWidgetArea, False, True)
        assert after["instances"][2] and not after["labels"][1] and after["toolbar"] == (True,)
    finally:
        again.close()
        project2.close()


def test_reset_layout_while_review_shows_brings_every_dock_back_with_annotate(qtbot, opened):
    window, _ = opened
    default = _layout(window)
    _disarrange(qtbot, window)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.review is not None)
    assert window.actions_by_name["reset_layout"].isEnabled()
    window.actions_by_name["reset_layout"].trigger()
    assert not window.queue.isVisible() and not window.instances.isVisible()  # Review: full width
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: _close_enough(_layout(window), default))


def test_the_panels_own_float_and_close_buttons_say_what_they_do(opened):
    """Qt's float and close buttons on each panel's title bar had no tooltip (a tooltip audit)."""
    from PySide6.QtWidgets import QAbstractButton

    window, _ = opened
    for dock in (window.queue, window.palette_dock, window.instances):
        tips = {b.objectName(): b.toolTip() for b in dock.findChildren(QAbstractButton)}
        title = dock.windowTitle()
        assert tips["qt_dockwidget_closebutton"] == f"Close the {title} panel (View > Panels brings it back)"
        assert tips["qt_dockwidget_floatbutton"].startswith(f"Float the {title} panel")


def test_the_clear_buttons_of_the_name_search_and_the_key_fields_say_what_they_do(opened, monkeypatch):
    """Qt's own clear buttons (the name search, each Preferences > Keyboard field) had no tooltip."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QToolButton

    from fashion_annotator.ui.preferences import PreferencesDialog
    from fashion_annotator.ui.shortcuts import KeyField

    window, _ = opened
    window.queue.search.setText("ccp")  # the button shows once there is text
    tips = [b.toolTip() for b in window.queue.search.findChildren(QToolButton)]
    assert "Show every name again (clear the search)" in tips
    shown: list[PreferencesDialog] = []
    monkeypatch.setattr(PreferencesDialog, "exec", lambda dialog: shown.append(dialog) or 0)
    window.show_preferences()
    fields = shown[0].findChildren(KeyField)
    assert fields
    clear = fields[0].findChild(QAction, "_q_qlineeditclearaction")
    tips = [b.toolTip() for b in fields[0].findChildren(QToolButton) if b.defaultAction() is clear]
    assert tips == ["Remove this key (the command then has none)"]
