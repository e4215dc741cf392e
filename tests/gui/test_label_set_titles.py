"""The Retrain and Export dialogs name a project's own label set by its title, as the window's
task buttons do ("Garment parts"), not by its task name ("garment_parts")."""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import file_menu
from fashion_annotator.ui.file_menu import ExportDialog
from fashion_annotator.ui.testing import open_window, wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog


def test_the_retrain_dialog_names_a_label_set_by_its_title(qtbot, label_set_project: Path, monkeypatch) -> None:
    import fashion_annotator.segmentation.proposals as proposals

    with Project.open(label_set_project) as project:
        dialog = RetrainDialog(project, "garment_parts")
        qtbot.addWidget(dialog)
        wait_counted(qtbot, dialog)
        assert dialog.masks_label.text().startswith("8 corrected Garment parts masks (8 done)")
        activated: list = []
        monkeypatch.setattr(proposals, "activate_model", lambda *args: activated.append(args))
        dialog.outcome = {"version": 3}
        dialog.use_model()
        assert activated == [(project, "garment_parts", 3)]
        assert dialog.status_label.text() == "Model v3 is now the active Garment parts model"


def test_the_export_dialog_shows_titles_and_exports_the_task_chosen(
    qtbot, tmp_path: Path, label_set_project: Path, answers, monkeypatch
) -> None:
    window, project = open_window(qtbot, label_set_project, tmp_path / "settings.ini", answers)
    try:
        shown: list[list[str]] = []

        def choose(dialog: ExportDialog) -> bool:
            shown.append([dialog.task.itemText(i) for i in range(dialog.task.count())])
            dialog.task.setCurrentIndex(dialog.task.findText("Garment parts"))
            dialog.out.setText(str(tmp_path / "out"))
            return True

        exported: list = []
        monkeypatch.setattr(ExportDialog, "exec", choose)
        monkeypatch.setattr(file_menu.FileActions, "export", lambda self, *args, **kw: exported.append(args))
        window.actions_by_name["export"].trigger()
        assert shown == [["Garment cutout", "Garment parts"]]
        assert [args[1:] for args in exported] == [("plain", "garment_parts")]
    finally:
        window.close()
        project.close()
