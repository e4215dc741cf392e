"""The tool registry, the Tools menu and the status bar name the same tools: a new tool cannot
be registered without a menu entry (name, text, shortcut) or a status-bar name."""

from __future__ import annotations

from fashion_annotator.annotate.tools import TOOLS
from fashion_annotator.ui.actions import TOOLS as MENU_TOOLS
from fashion_annotator.ui.annotate.status_bar import TOOL_NAMES as STATUS_NAMES


def test_every_registered_tool_has_one_menu_entry_and_a_status_bar_name() -> None:
    assert [name for name, _, _ in MENU_TOOLS] == list(TOOLS)  # the toolbar's order, no extra
    assert set(STATUS_NAMES) == set(TOOLS)
    assert STATUS_NAMES["pick"] == "Pick label" and STATUS_NAMES["smartclick"] == "Smart click"
