"""Preferences' colour table named the parsing task "parsing7" while the window says "Parsing":
it shows each task's title, and a colour changed there is still kept under the task."""

from __future__ import annotations

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.ui.preferences import Preferences, PreferencesDialog, settings_file


def test_the_colour_table_shows_task_titles(qtbot, tmp_path) -> None:
    prefs = Preferences(settings_file(tmp_path / "p.ini"))
    parsing = load_taxonomy("parsing7")
    dialog = PreferencesDialog(prefs, [load_taxonomy("garment"), parsing])
    qtbot.addWidget(dialog)
    shown = {dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())}
    assert shown == {"Garment cutout", "Parsing"}
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 1).text() == "skin")
    dialog.set_color(row, (1, 2, 3))
    dialog.accept()
    recoloured = Preferences(settings_file(tmp_path / "p.ini")).apply_colors(parsing)
    assert recoloured.classes[parsing.names.index("skin")].color == (1, 2, 3)
