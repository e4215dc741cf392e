"""Menu mnemonics: within one menu (and on the menu bar) each underlined letter is one item's.

Two items with one letter made that letter move between them instead of choosing: Alt+F then S
highlighted "Open server project…" rather than saving, P in File and P in View (three items)
did the same.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QMenu

MNEMONIC = re.compile(r"&([^&])")


def _letters(texts: list[str]) -> dict[str, list[str]]:
    """Mnemonic letter -> the texts that have it."""
    out: dict[str, list[str]] = {}
    for text in texts:
        found = MNEMONIC.search(text.replace("&&", ""))
        if found:
            out.setdefault(found.group(1).lower(), []).append(text)
    return out


def _clashes(menu: QMenu, path: str) -> list[str]:
    """The letters of ``menu`` (and its submenus) that more than one item has."""
    items = [a for a in menu.actions() if not a.isSeparator() and a.isVisible()]
    found = [f"{path}: {texts}" for texts in _letters([a.text() for a in items]).values() if len(texts) > 1]
    for action in items:
        if action.menu() is not None:
            found += _clashes(action.menu(), f"{path} > {action.text()}")
    return found


def test_no_two_items_of_a_menu_share_a_mnemonic(opened) -> None:
    window, _ = opened
    bar = window.menuBar()
    clashes = [f"menu bar: {t}" for t in _letters([a.text() for a in bar.actions()]).values() if len(t) > 1]
    for action in bar.actions():
        clashes += _clashes(action.menu(), action.text())
    assert not clashes, f"one mnemonic letter, several items: {clashes}"


def test_every_menu_item_has_a_mnemonic(opened) -> None:
    """The keyboard reaches every item of a menu by its letter (Alt, the menu's letter, the
    item's)."""
    window, _ = opened
    missing = [
        f"{top.text()}: {a.text()}"
        for top in window.menuBar().actions()
        for a in top.menu().actions()
        if not a.isSeparator() and a.isVisible() and not MNEMONIC.search(a.text())
    ]
    assert not missing, f"menu items without a mnemonic: {missing}"
