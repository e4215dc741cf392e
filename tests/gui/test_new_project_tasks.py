"""File > New project from folder and File > Add tasks: the shipped tasks and a studio's label
set files, checked in the dialog as ``new --tasks`` checks them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import file_menu, task_picker
from fashion_annotator.ui.file_menu import NewProjectDialog
from fashion_annotator.ui.preferences import Preferences, settings_file


def _ok(qtbot, dialog: NewProjectDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def _untick(dialog: NewProjectDialog, name: str) -> None:
    box = dialog.tasks.shipped
    (item,) = [box.item(r) for r in range(box.count()) if box.item(r).data(Qt.ItemDataRole.UserRole) == name]
    item.setCheckState(Qt.CheckState.Unchecked)


def test_a_bad_label_set_file_is_named_in_the_dialog_and_nothing_is_made(qtbot, tmp_path: Path, label_set_file: Path):
    data = json.loads(label_set_file.read_text())
    data["classes"][3]["shortcut"] = "2"
    bad = tmp_path / "bad_parts.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.photos.setText(str(tmp_path / "photos"))
    assert dialog.tasks.entries() == ["garment", "parsing7"]  # `new`'s default
    dialog.tasks.add_files([bad])
    _ok(qtbot, dialog)
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.isVisible()
    assert f"label set {bad}: classes ['garment', 'hanger'] share the shortcut '2'" in dialog.note.text()
    _untick(dialog, "garment")
    _untick(dialog, "parsing7")
    dialog.tasks.files.setCurrentRow(0)
    qtbot.mouseClick(dialog.tasks.remove_button, Qt.MouseButton.LeftButton)
    _ok(qtbot, dialog)
    assert "a project needs at least one task" in dialog.note.text() and dialog.isVisible()
    assert not (tmp_path / "photos-annotations").exists()


def test_the_dialog_makes_a_project_with_a_label_set(qtbot, tmp_path: Path, ccp_dir: Path, label_set_file: Path,
                                                      monkeypatch):  # fmt: skip
    from fashion_annotator.ui.app import WindowSwitcher

    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("0014", "0019"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos)
    root = tmp_path / "first"
    Project.create(root, tasks=["garment"]).close()
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    window = switcher.show(Project.open(root))  # the switcher deletes what it replaces

    def fill(dialog: NewProjectDialog) -> bool:
        dialog.show()
        dialog.photos.setText(str(photos))
        _untick(dialog, "parsing7")
        dialog.tasks.add_files([label_set_file])
        _ok(qtbot, dialog)
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(file_menu.NewProjectDialog, "exec", fill)
    window.actions_by_name["new_project"].trigger()
    made = switcher.window
    qtbot.addWidget(made)
    target = tmp_path / "photos-annotations"
    assert made is not window and made.project.root == target
    made.files.wait()
    qtbot.waitUntil(lambda: made.queue.model.rowCount() == 2, timeout=30000)
    label_set_file.unlink()  # the project keeps its own copy
    for record in made.project.images():  # copied, as README says and `new` does: self-contained
        assert made.project.image_path(record.id).resolve().is_relative_to(target.resolve())
    assert made.project.tasks == ("garment", "garment_parts")
    assert [b.property("task") for b in made.palette_dock._task_group.buttons()] == ["garment", "garment_parts"]
    made.set_task("garment_parts")
    assert made.palette_dock.list.item(3).text() == "hanger  [4]"
    made.close()
    made.project.close()
    with Project.open(target) as project:
        assert project.taxonomy("garment_parts").names == ["background", "garment", "label-tag", "hanger"]


def test_add_tasks_stores_a_label_set_and_the_window_shows_its_button(
    qtbot, tmp_path: Path, ccp_dir: Path, label_set_file: Path, monkeypatch
):
    from fashion_annotator.ui.app import WindowSwitcher

    root = tmp_path / "proj"
    with Project.create(root, tasks=["garment"]) as project:
        record = project.add_image(ccp_dir / "images" / "0019.jpg")
    clash = tmp_path / "Garment.json"
    clash.write_text(label_set_file.read_text().replace("garment_parts", "Garment"), encoding="utf-8")
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    window = switcher.show(Project.open(root))  # the switcher deletes what it replaces
    seen: list[str] = []

    def fill(dialog: task_picker.AddTasksDialog) -> bool:
        dialog.show()
        picker = dialog.picker
        offered = [picker.shipped.item(r).data(Qt.ItemDataRole.UserRole) for r in range(picker.shipped.count())]
        assert "garment" not in offered and "parsing7" in offered
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        seen.append(dialog.note.text())
        picker.add_files([clash])
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        seen.append(dialog.note.text())
        picker.files.clear()
        picker.add_files([label_set_file])
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(task_picker.AddTasksDialog, "exec", fill)
    window.actions_by_name["add_tasks"].trigger()
    assert seen[0] == "No task chosen: tick a shipped task or add a label set file"
    assert f"label set {clash}: name 'Garment' differs from the application's 'garment' only in letter case" in seen[1]
    made = switcher.window
    qtbot.addWidget(made)
    assert made is not window and made.project.tasks == ("garment", "garment_parts")
    assert [b.property("task") for b in made.palette_dock._task_group.buttons()] == ["garment", "garment_parts"]
    assert made.task == "garment_parts" and made.status.currentMessage() == "Added Garment parts"
    assert made.palette_dock.list.item(2).text() == "label-tag  [3]"
    assert made.project.load_mask(record.id, "garment_parts") is None
    made.close()
    made.project.close()


def test_every_shipped_task_shows_without_scrolling(qtbot, tmp_path: Path):
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    box = dialog.tasks.shipped
    assert box.count() == 5
    assert not box.verticalScrollBar().isVisible() and not box.horizontalScrollBar().isVisible()
    last = box.visualItemRect(box.item(box.count() - 1))
    assert box.viewport().rect().contains(last)


def test_add_tasks_adds_none_when_one_is_refused_after_the_dialog_checked_it(
    qtbot, tmp_path: Path, ccp_dir: Path, label_set_file: Path, monkeypatch
):
    """A colleague adds a label set of the chosen one's name, with other classes, while the
    dialog closes: was, parsing7 (added first) stayed though the window said "Tasks not added"
    and showed no button for it."""
    from fashion_annotator.ui.app import WindowSwitcher

    root = tmp_path / "proj"
    with Project.create(root, tasks=["garment"]) as project:
        project.add_image(ccp_dir / "images" / "0019.jpg")
    theirs = tmp_path / "theirs.json"
    theirs.write_text(label_set_file.read_text().replace('"hanger"', '"zip"'), encoding="utf-8")
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    window = switcher.show(Project.open(root))

    def fill(dialog: task_picker.AddTasksDialog) -> bool:
        dialog.show()
        shipped = dialog.picker.shipped
        for row in range(shipped.count()):
            if shipped.item(row).data(Qt.ItemDataRole.UserRole) == "parsing7":
                shipped.item(row).setCheckState(Qt.CheckState.Checked)
        dialog.picker.add_files([label_set_file])
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        with Project.open(root) as colleague:
            colleague.add_task(theirs)
        return dialog.result() == dialog.DialogCode.Accepted

    warnings: list[str] = []
    monkeypatch.setattr(task_picker.AddTasksDialog, "exec", fill)
    monkeypatch.setattr(task_picker.QMessageBox, "warning", lambda _w, title, text: warnings.append(f"{title}: {text}"))
    assert not task_picker.add_tasks(window)
    assert len(warnings) == 1 and warnings[0].startswith("Tasks not added: ")
    assert "it has a task 'garment_parts' of other classes" in warnings[0]
    assert switcher.window is window and window.project.tasks == ("garment", "garment_parts")
    assert window.project.taxonomy("garment_parts").names[3] == "zip"
    window.close()
    window.project.close()


def test_the_dialog_says_which_shipped_tasks_have_no_model_and_copies_by_default(qtbot, tmp_path: Path):
    """A cutout operator's hand test: Ctrl+N offered DeepFashion (24 classes) as any other task,
    though no model ships for it (its masks start empty, no proposal ever comes), and "Copy the
    photos" was unticked while README says the dialog copies them."""
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.copy.isChecked()
    box = dialog.tasks.shipped
    items = {box.item(r).data(Qt.ItemDataRole.UserRole): box.item(r) for r in range(box.count())}
    assert items["deepfashion24"].text().endswith(f"— {task_picker.NO_MODEL}")
    assert "stay empty" in items["deepfashion24"].toolTip() and "Train > Retrain model" in items["deepfashion24"].toolTip()
    for shipped in ("garment", "parsing7", "parsing18", "person"):
        assert task_picker.has_shipped_model(shipped) and "no model" not in items[shipped].text()
    assert dialog.tasks.model_note.isVisible() and "train one" in dialog.tasks.model_note.text()
    assert not box.horizontalScrollBar().isVisible()
