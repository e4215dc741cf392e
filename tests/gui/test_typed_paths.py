"""Paths typed, not browsed to, in the Export, Import and New project dialogs."""

from __future__ import annotations

import os
from pathlib import Path

from fashion_annotator.ui import file_menu
from fashion_annotator.ui.file_menu import ExportDialog, NewProjectDialog
from fashion_annotator.ui.testing import copy_project, open_window


def test_a_typed_home_folder_is_expanded_and_an_empty_one_refused(
    qtbot, template, tmp_path: Path, answers, monkeypatch
) -> None:
    """``~/exports`` typed as the Export folder went to a folder named ``~`` in the program's
    working folder, the summary saying "exported to ~/exports"; an empty Folder exported into
    the working folder itself."""
    home, cwd = tmp_path / "home", tmp_path / "started here"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    window, project = open_window(qtbot, copy_project(template, tmp_path / "p"), tmp_path / "s.ini", answers)
    exported: list[Path] = []
    monkeypatch.setattr(window.files, "export", lambda out, *a, **kw: exported.append(out))

    def typed(dialog: ExportDialog) -> bool:
        dialog.out.setText(" ~/exports ")
        return True

    monkeypatch.setattr(file_menu.ExportDialog, "exec", typed)
    window.files.choose_export()
    assert exported == [home / "exports"]
    dialog = ExportDialog(["garment"], "garment", window)
    dialog.accept()  # OK with the Folder empty
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.note.text() == "Folder: none given; type or browse to one"
    new = NewProjectDialog(window)
    new.photos.setText(str(tmp_path / "photos"))
    new.project.setText("")
    new.accept()
    assert new.result() != new.DialogCode.Accepted and new.note.text().startswith("Project folder: none")
    assert os.listdir(cwd) == []
    window.close()
    project.close()
