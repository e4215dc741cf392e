"""README.md's "Keys" table against the window's real keys: a key the window has is in the
table, and a modified key the table names (Ctrl+..., Alt+...) is one the window has."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QKeySequence

from fashion_annotator.ui.annotate.instance_keys import instance_keys
from fashion_annotator.ui.review.view import REVIEW_KEYS

README = Path(__file__).resolve().parents[2] / "README.md"
PORTABLE = QKeySequence.SequenceFormat.PortableText


def _portable(key: str) -> str:
    """Qt's portable text of ``key`` (README writes PgDn where Qt writes PgDown)."""
    return QKeySequence(key.replace("PgDn", "PgDown")).toString(PORTABLE)


def _expand(token: str) -> list[str]:
    """One key cell's token as keys: ``Ctrl+Shift+S/C/G`` and ``1 … 9`` stand for several."""
    token = token.strip()
    if "…" in token:
        first, last = (t.strip() for t in token.split("…"))
        return [str(i) for i in range(int(first), int(last) + 1)]
    if re.fullmatch(r"(\w+\+)+\w(/\w)+", token):
        prefix, _, rest = token.rpartition("+")
        return [f"{prefix}+{k}" for k in rest.split("/")]
    return [token]


def readme_table_keys(text: str) -> set[str]:
    """The keys of the key columns (1st and 3rd) of README's "## Keys" table, in portable text;
    mouse gestures (click, drag) are left out."""
    section = text.split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| ---") or line.startswith("| key "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        for cell in cells[0::2]:
            cell = re.sub(r"\s*\([^)]*\)", "", cell)
            for part in cell.split(" / "):
                for token in part.split(", "):
                    for key in _expand(token):
                        if key and not re.search(r"click|drag|point", key):
                            keys.add(_portable(key))
    return keys


def test_readme_table_keys_are_parsed() -> None:
    keys = readme_table_keys(README.read_text(encoding="utf-8"))
    assert {"B", "C", "Ctrl+Shift+I", "1", "0", "Ctrl+,", "Ctrl++", "PgDown", "Alt+J"} <= keys


def test_readme_key_table_matches_the_window_actions(opened) -> None:
    """Each window action with a key is in the table (by one of its keys), and every Ctrl or
    Alt key the table names belongs to an action, the Review tab or the Instances panel."""
    window, _ = opened
    listed = readme_table_keys(README.read_text(encoding="utf-8"))
    actions = {
        name: [k.toString(PORTABLE) for k in action.shortcuts() if not k.isEmpty()]
        for name, action in window.actions_by_name.items()
    }
    missing = {name: keys for name, keys in actions.items() if keys and not set(keys) & listed}
    assert not missing, f"README.md's Keys table lacks these actions' keys: {missing}"
    known = {k for keys in actions.values() for k in keys}
    known |= {_portable(k) for k, _ in REVIEW_KEYS}
    known |= {_portable(k) for k, _ in instance_keys(window.instances.schema)}
    unknown = sorted(k for k in listed if k.startswith(("Ctrl+", "Alt+")) and k not in known)
    assert not unknown, f"README.md's Keys table names keys the window does not have: {unknown}"
