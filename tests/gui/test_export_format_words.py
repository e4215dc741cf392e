"""The export format "plain" said nothing to a studio: the File > Export dialog and
``export --help`` say what each format writes."""

from __future__ import annotations

import pytest

from fashion_annotator.cli import main
from fashion_annotator.commands.project import EXPORT_FORMATS
from fashion_annotator.ui.file_menu import ExportDialog

PLAIN = "the photos (images/) and one PNG per photo whose pixel values are the label numbers (masks/)"


def test_the_export_dialog_says_what_the_chosen_format_writes(qtbot) -> None:
    dialog = ExportDialog(["garment"], "garment")
    qtbot.addWidget(dialog)
    dialog.fmt.setCurrentText("plain")
    assert dialog.writes.text().startswith(f"Writes {PLAIN}")
    dialog.fmt.setCurrentText("yolo")
    assert "data.yaml" in dialog.writes.text()
    tips = [dialog.fmt.itemData(i, 3) for i in range(dialog.fmt.count())]  # Qt.ToolTipRole
    assert all(tip and tip.startswith("Writes ") for tip in tips), tips


def test_export_help_says_what_each_format_writes(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split()).replace("coco- instances", "coco-instances")
    assert f"plain: {PLAIN}" in out
    for name in EXPORT_FORMATS:
        assert f"{name}: " in out, name
