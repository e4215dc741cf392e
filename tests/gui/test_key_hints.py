"""Tooltips that name a key name the key that really does it, also after the operator gave
the command another key in Preferences (:mod:`fashion_annotator.ui.key_hints`)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QWidget

from fashion_annotator.ui.shortcuts import set_keys

#: A key named in a tooltip: "(G)", "(Ctrl+0 fits)", "(Tab on the photo switches task)".
NAMED_KEY = re.compile(r"\((?P<key>(?:(?:Ctrl|Alt|Shift)\+)*(?:[A-Z0-9\[\]]|F\d+|Tab|PgUp|PgDown))[ )]")


pytestmark = pytest.mark.usefixtures("default_keys_after")


def _panel_tips(window) -> dict[str, str]:
    """The tooltip of each widget of the window that is not an action's tool button."""
    return {
        f"{type(w).__name__} {w.toolTip()!r}": w.toolTip()
        for w in window.findChildren(QWidget)
        if w.toolTip() and NAMED_KEY.search(w.toolTip()) and not w.inherits("QToolButton")
    }


def test_the_boundaries_box_names_the_key_that_toggles_it(opened) -> None:
    """The box above the photo named R, which rejects in Review; G toggles the boundaries."""
    window, _ = opened
    key = window.actions_by_name["boundaries"].shortcut().toString()
    assert key == "G"
    assert window.view_bar.boundaries.toolTip() == "Show superpixel boundaries (G)"


def test_panel_tooltips_follow_a_changed_key(opened) -> None:
    """Every panel tooltip that names a key names one of the window's keys, and after every
    action got another key, none still names an old one."""
    window, _ = opened
    actions = window.actions_by_name
    owned = {k.toString() for a in actions.values() for k in a.shortcuts()}
    tips = _panel_tips(window)
    assert tips, "the task buttons, the boundaries box and the zoom field name their keys"
    for where, tip in tips.items():
        for match in NAMED_KEY.finditer(tip):
            assert match["key"] in owned, f"{where} names {match['key']}, no command's key"
    set_keys(actions["boundaries"], ["Ctrl+Alt+B"])
    set_keys(actions["switch_task"], ["Ctrl+Alt+T"])
    set_keys(actions["fit"], ["Ctrl+Alt+W"])
    tips = _panel_tips(window)
    assert window.view_bar.boundaries.toolTip() == "Show superpixel boundaries (Ctrl+Alt+B)"
    assert "(Ctrl+Alt+W fits)" in window.status.zoom.toolTip()
    for button in window.palette_dock.task_buttons():
        assert "(Ctrl+Alt+T on the photo switches task)" in button.toolTip()
    set_keys(actions["fit"], [])
    assert window.status.zoom.toolTip() == "Zoom: screen pixels per photo pixel"
