"""Disabled Undo and Redo say why in their tooltip and status tip (nothing to undo, no photo
open, the Review tab shows), and lose the reason once they have a step; a key changed in
Preferences keeps the reason. Before, a greyed Undo said only "Undo (Ctrl+Z)"."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.shortcuts import set_keys


def _paint(mask):
    mask[:4, :4] = 1
    return BBox(0, 0, 4, 4)


def test_disabled_undo_and_redo_say_why(qtbot, opened, default_keys_after):
    window, _ = opened
    undo, redo = window.actions_by_name["undo"], window.actions_by_name["redo"]
    assert not undo.isEnabled()
    assert undo.toolTip().startswith("Undo (") and ": nothing to undo on the " in undo.toolTip()
    assert undo.statusTip() == undo.toolTip()
    assert "nothing to redo" in redo.toolTip()
    window.apply_mask_edit(_paint)
    qtbot.waitUntil(undo.isEnabled)
    assert "nothing" not in undo.toolTip() and undo.toolTip().startswith("Undo")
    set_keys(redo, ["Ctrl+Alt+Y"])  # Preferences gives Redo another key
    assert "Ctrl+Alt+Y" in redo.toolTip() and "nothing to redo" in redo.toolTip()
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not undo.isEnabled())
    assert "Annotate tab" in undo.toolTip()
    window.tabs.setCurrentIndex(0)
    assert window.save()
    window.session.close_image()
    window.history_actions.refresh()
    assert undo.toolTip().endswith(": no photo open") and redo.statusTip().endswith(": no photo open")


def test_every_editing_command_disabled_in_review_says_why(qtbot, opened, default_keys_after):
    """Review disables the tool bar's and menus' editing commands; a greyed Brush said only
    "Brush (B)" (a tooltip audit: disabled actions gave no reason)."""
    from fashion_annotator.ui.window_menus import BOTH_TABS

    window, _ = opened
    editing = {n: a for n, a in window.actions_by_name.items() if n not in BOTH_TABS | {"undo", "redo"}}
    assert "tool_brush" in editing and "save" in editing
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not editing["tool_brush"].isEnabled())
    for name, action in editing.items():
        assert action.toolTip().endswith(": it works in the Annotate tab (Ctrl+PgUp)"), name
        assert action.statusTip() == action.toolTip(), name
    set_keys(editing["tool_brush"], ["Ctrl+Alt+B"])  # a key changed in Preferences meanwhile
    assert editing["tool_brush"].toolTip() == "Brush (Ctrl+Alt+B): it works in the Annotate tab (Ctrl+PgUp)"
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: editing["tool_brush"].isEnabled())
    assert editing["tool_brush"].toolTip() == "Brush (Ctrl+Alt+B): drag to paint the selected label"
    assert all("Annotate tab" not in a.toolTip() for a in editing.values())


def test_greyed_panels_items_and_recent_menu_say_why(qtbot, opened, tmp_path):
    """View > Panels' items are greyed while Review shows, and File > Open recent while no other
    project was opened: both said only their name ("Labels", "Open recent"). A greyed Open recent
    never showed, so it was never filled again: it stayed greyed after another window opened a
    project; it is filled as File opens now."""
    window, _ = opened
    panels = {d.windowTitle(): d.toggleViewAction() for d in (window.queue, window.palette_dock, window.instances)}
    assert set(panels) == {"Images", "Labels", "Instances"}
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not any(a.isEnabled() for a in panels.values()))
    for title, action in panels.items():
        assert action.toolTip() == f"{title}: the panel shows in the Annotate tab (Ctrl+PgUp)"
        assert action.statusTip() == action.toolTip()
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: all(a.isEnabled() for a in panels.values()))
    for title, action in panels.items():
        assert action.toolTip() == title and action.statusTip() == title
    recent = window.recent_menu.menuAction()
    assert not recent.isEnabled()
    assert recent.toolTip() == "Open recent: no other project was opened before" == recent.statusTip()
    window.prefs.add_recent_project(tmp_path / "other")  # another window opened a project
    files = window.menuBar().actions()[0].menu()
    files.popup(window.mapToGlobal(QPoint(10, 10)))  # File opened: Open recent is filled again
    qtbot.waitUntil(files.isVisible)
    files.hide()
    assert recent.isEnabled() and recent.toolTip() == "Open recent" == recent.statusTip()
    assert [a.toolTip() for a in window.recent_menu.actions()] == [str(tmp_path / "other")]
