"""Making a model version active whose recorded figure is worse than the active one's is said:
Model history asks first, ``fashion-annotator models --activate`` warns (a hand test: v4 at
0.399 made active over 0.966 without a word)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import add_tiny_model
from fashion_annotator.ui.train.model_history import ModelHistoryDialog

VAL = ["0019.jpg", "0082.jpg"]


def _versions(root: Path, folder: Path, second_val: list[str]) -> Project:
    """v1 (no figure), v2 (median Dice 0.9660, active) and v3 (0.3990), v2 and v3 listing
    their val photos."""
    project = Project.create(root, tasks=("garment",))
    add_tiny_model(project, folder)  # v1: a real file, copied with figures as v2 and v3
    path = folder / "garment-tiny.safetensors"
    for val, dice in ((VAL, 0.966), (second_val, 0.399)):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        path.with_suffix(".json").write_text(json.dumps({**meta, "val_images": val}), encoding="utf-8")
        project.models.register("garment", path, {"median_dice": dice}, [], activate=dice > 0.5)
    return project


def _answer(answers: list[str], button: QMessageBox.StandardButton) -> None:
    """Press ``button`` in the next message box shown, keeping its text in ``answers``."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        answers.append(box.text())
        box.button(button).click()

    QTimer.singleShot(20, press)


def test_make_active_asks_before_a_worse_version(qtbot, tmp_path) -> None:
    project = _versions(tmp_path / "p", tmp_path, ["0100.jpg"])
    dialog = ModelHistoryDialog(project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.models.selectRow(2)  # v3
    asked: list[str] = []
    _answer(asked, QMessageBox.StandardButton.No)
    dialog.activate_button.click()
    assert asked == [
        "v3's recorded median_dice is 0.3990, worse than the active v2's 0.9660. The two figures "
        "may be on different val masks, so they may not compare.\n\nMake it active anyway?"
    ]
    assert project.models.active("garment").version == 2, "No kept the active version"
    _answer(asked, QMessageBox.StandardButton.Yes)
    dialog.activate_button.click()
    assert len(asked) == 2 and project.models.active("garment").version == 3
    qtbot.waitUntil(lambda: dialog.quality_thread is None)  # the figures of the new active one shown
    dialog.models.selectRow(1)  # back to the better one: nothing asked
    dialog.activate_button.click()
    assert len(asked) == 2 and project.models.active("garment").version == 2, dialog.summary.text()
    dialog.close()
    project.close()


def test_the_command_line_warns_with_both_figures(tmp_path, capsys) -> None:
    _versions(tmp_path / "p", tmp_path, VAL).close()
    assert main(["models", str(tmp_path / "p"), "--task", "garment", "--activate", "3"]) == 0
    err = capsys.readouterr().err
    assert err == ("warning: v3's recorded median_dice is 0.3990, worse than the active v2's 0.9660. "
                   "Made active as asked.\n"), "the same val photos: nothing said of them"  # fmt: skip
    assert main(["models", str(tmp_path / "p"), "--task", "garment", "--activate", "2"]) == 0
    assert capsys.readouterr().err == "", "a better version: no warning"


def test_a_ctrl_click_on_another_version_makes_that_one_active(qtbot, tmp_path) -> None:
    """The table chose rows as a file list does: a Ctrl-click on v2 while v3 was selected kept
    both, and Make active took v3, the first selected (the full suite's leftover modifier state
    did the same to the test above)."""
    project = _versions(tmp_path / "p", tmp_path, VAL)
    dialog = ModelHistoryDialog(project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.models.selectRow(2)  # v3 (worse: asked, Yes)
    asked: list[str] = []
    _answer(asked, QMessageBox.StandardButton.Yes)
    dialog.activate_button.click()
    assert project.models.active("garment").version == 3
    table = dialog.models
    cell = table.visualItemRect(table.item(1, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, cell)
    assert [i.row() for i in table.selectionModel().selectedRows()] == [1]
    dialog.activate_button.click()
    assert project.models.active("garment").version == 2, dialog.summary.text()
    dialog.close()
    project.close()
