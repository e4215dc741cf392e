"""File > Add photos / Import masks / Export: the status bar's Cancel stops the job between
files; an import keeps what it saved, an export leaves a partial folder and says so."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from fashion_annotator.dataset.formats.common import UNFINISHED_EXPORT
from fashion_annotator.ui import file_menu

#: The file after which the test clicks Cancel (the job waits there until it was clicked).
STOP_AT = 5


def _photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    rng = np.random.default_rng(0)
    files = []
    for i in range(n):
        path = folder / f"look{i:02d}.png"
        Image.fromarray(rng.integers(0, 256, (40, 32, 3), np.uint8)).save(path)
        files.append(path)
    return files


def _gated(monkeypatch, name: str) -> tuple[threading.Event, threading.Event]:
    """Make ``file_menu.NAME``'s progress wait after file :data:`STOP_AT` until ``proceed`` is
    set (``reached`` says it got there): the test clicks Cancel meanwhile."""
    reached, proceed = threading.Event(), threading.Event()
    real = getattr(file_menu, name)

    def gated(*args, **kwargs):
        index = 2 if name == "add_photo_files" else 4  # where the progress callback goes
        progress = args[index]

        def wait_then(done: int, total: int) -> None:
            if done == STOP_AT:
                reached.set()
                proceed.wait(30)
            progress(done, total)

        args = (*args[:index], wait_then, *args[index + 1 :])
        return real(*args, **kwargs)

    monkeypatch.setattr(file_menu, name, gated)
    return reached, proceed


def _cancel_when_reached(qtbot, window, reached: threading.Event, proceed: threading.Event) -> None:
    button = window.status.cancel_button
    assert button.isVisible() and button.isEnabled() and button.text() == "Cancel"
    qtbot.waitUntil(reached.is_set, timeout=30000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "Cancelling…" and not button.isEnabled(), "the click is answered at once"
    proceed.set()
    assert window.files.wait(30000)


@pytest.fixture
def summaries(opened):
    window, _ = opened
    seen: list[tuple[str, list[str], bool]] = []
    window.files.inform = lambda title, lines, wrong: seen.append((title, lines, wrong))
    return seen


@pytest.mark.parametrize("fmt", ["cutout", "coco"])
def test_cancelled_export_leaves_the_finished_images_and_says_so(opened, summaries, qtbot, tmp_path, monkeypatch, fmt):
    """The folder holds the images finished before the cancel; COCO's annotations.json, written
    after the last image only, used to be missing while the summary said the folder held them."""
    window, project = opened
    for path in _photos(tmp_path / "more", 27):
        project.add_image(path)
    records = project.images()
    assert len(records) == 30
    for record in records:
        mask = np.zeros(record.shape, np.uint8)
        mask[5:20, 5:20] = 1
        project.save_mask(record.id, "garment", mask)
    versions = {r.id: len(project.mask_versions(r.id, "garment")) for r in records}
    reached, proceed = _gated(monkeypatch, "export_project")
    out = tmp_path / "exported"
    assert window.files.export(out, fmt, "garment") is not None
    _cancel_when_reached(qtbot, window, reached, proceed)
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=30000)
    title, lines, went_wrong = summaries[0]
    assert title == f"Export {fmt}"
    assert lines[0] == f"Export cancelled (unfinished): {STOP_AT} images written to exported"
    assert lines[1] == f"Export cancelled after {STOP_AT} of 30 images: the folder holds the {STOP_AT} images exported before it"
    assert went_wrong, "a partial folder is a warning"
    stems = sorted(p.stem for p in out.rglob("*") if p.suffix in {".png", ".jpg"})
    assert len(stems) == STOP_AT, "exactly the images finished before the cancel"
    if fmt == "coco":
        coco = json.loads((out / "annotations.json").read_text())
        assert sorted(Path(entry["file_name"]).stem for entry in coco["images"]) == stems, "annotations.json lists them"
        assert {a["image_id"] for a in coco["annotations"]} == {entry["id"] for entry in coco["images"]}
        assert "annotations.json lists only the images exported" in lines
    note = (out / UNFINISHED_EXPORT).read_text()  # the folder stays marked unfinished, naming them
    assert sorted(Path(line.strip()).stem for line in note.splitlines() if line.startswith("  ")) == stems
    assert len(project.images()) == 30
    assert {r.id: len(project.mask_versions(r.id, "garment")) for r in records} == versions
    assert not window.status.cancel_button.isVisible() and not window.status.is_busy
    assert window.status.currentMessage() == lines[0], "said once, not 'Export cutout: Export cancelled…'"


def test_cancelled_add_photos_keeps_the_photos_it_added(opened, summaries, qtbot, tmp_path, monkeypatch):
    window, project = opened
    before = len(project.images())
    files = _photos(tmp_path / "shoot", 30)
    reached, proceed = _gated(monkeypatch, "add_photo_files")
    assert window.files.add_photos(files) is not None
    _cancel_when_reached(qtbot, window, reached, proceed)
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=30000)
    title, lines, went_wrong = summaries[0]
    assert title == "Add photos"
    assert lines[0] == f"Cancelled after {STOP_AT} of 30 files: what those brought in is saved"
    assert not went_wrong
    names = sorted(r.name for r in project.images())
    assert len(names) == before + STOP_AT
    assert [n for n in names if n.startswith("look")] == [f"look{i:02d}.png" for i in range(STOP_AT)]
    assert window.queue.model.rowCount() == before + STOP_AT, "the image list shows them"
    assert not window.status.cancel_button.isVisible()


def test_cancelled_mask_import_keeps_the_masks_it_saved(opened, summaries, qtbot, tmp_path, monkeypatch):
    window, project = opened
    photos = _photos(tmp_path / "more", 27)
    for path in photos:
        project.add_image(path)
    source = tmp_path / "plain"
    (source / "masks").mkdir(parents=True)
    for path in photos:
        mask = np.zeros((40, 32), np.uint8)
        mask[5:20, 5:20] = 1
        Image.fromarray(mask).save(source / "masks" / path.name)
    reached, proceed = _gated(monkeypatch, "import_source")
    assert window.files.import_masks(source, "plain", "garment") is not None
    _cancel_when_reached(qtbot, window, reached, proceed)
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=30000)
    title, lines, went_wrong = summaries[0]
    assert title == "Import plain"
    assert lines[0] == f"Cancelled after {STOP_AT} of 27 files: what those brought in is saved"
    assert not went_wrong
    masked = sorted(r.name for r in project.images() if project.mask_versions(r.id, "garment"))
    assert masked == [f"look{i:02d}.png" for i in range(STOP_AT)], "the masks saved before the cancel stay"


def test_closing_waits_for_every_file_job_also_one_whose_thread_still_ends(opened, summaries, qtbot):
    """A job started as the last one's summary came, that one's thread still ending: closing the
    window waited for the newest alone (a QThread destroyed while running aborts the process)."""
    window, _ = opened
    connected, release = threading.Event(), threading.Event()
    first = window.files.start("Slow", lambda project, progress: [connected.wait(30) and "slow"], adds=False, save=False)
    assert first is not None
    first.summarized.connect(lambda *_: release.wait(30), Qt.ConnectionType.DirectConnection)  # after its summary
    connected.set()
    try:
        qtbot.waitUntil(lambda: len(summaries) == 1, timeout=30000)
        assert first.isRunning(), "its summary came, its thread still ends"
        second = window.files.start("Quick", lambda project, progress: ["quick"], adds=False, save=False)
        assert second is not None
        threading.Timer(0.3, release.set).start()
        window.files.shutdown()
        assert first.isFinished() and second.isFinished()
    finally:
        release.set()
        first.wait()


def _add_masked_photos(project, folder: Path, n: int) -> None:
    """Add ``n`` more photos in ``folder`` to ``project``, then save a small garment square on
    every photo (enough masked images for an export to be cancelled midway)."""
    for path in _photos(folder, n):
        project.add_image(path)
    for record in project.images():
        mask = np.zeros(record.shape, np.uint8)
        mask[5:20, 5:20] = 1
        project.save_mask(record.id, "garment", mask)


def test_a_cancelled_export_says_so_in_a_short_sentence_in_an_853_px_window(opened, qtbot, tmp_path, monkeypatch):
    """At 853 px (1280x720 at 150 %) the summary was cut mid-word ("…the folder holds the 47
    images expor"), said its title twice ("Export cutout: Export cancelled…") and the zoom, CPU and
    model fields went. It is now one short sentence, cut (if at all) after a word, the whole
    summary behind Details, and the zoom and model fields stay."""
    window, project = opened
    _add_masked_photos(project, tmp_path / "more", 27)
    window.resize(853, 480)
    qtbot.waitUntil(lambda: window.width() == 853, timeout=2000)
    reached, proceed = _gated(monkeypatch, "export_project")
    assert window.files.export(tmp_path / "summer shoot", "cutout", "garment") is not None
    _cancel_when_reached(qtbot, window, reached, proceed)
    bar = window.status
    qtbot.waitUntil(bar.details_button.isVisible, timeout=30000)
    text = bar.currentMessage()
    assert text == f"Export cancelled (unfinished): {STOP_AT} images written to summer shoot", "no title said twice"
    shown = bar.shown_message()
    assert shown.startswith(f"Export cancelled (unfinished): {STOP_AT} images written"), shown
    assert shown == text or (shown.endswith("…") and text.startswith(shown[:-1]) and text[len(shown) - 1] in " :,;"), shown
    assert bar.zoom.isVisible() and bar.model.isVisible() and bar.tool.isVisible()
    assert window.width() == 853
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and boxes[0].text() == text
    assert f"Export cancelled after {STOP_AT} of 30 images" in boxes[0].detailedText()
    boxes[0].close()
    bar.clearMessage()
    assert all(field.isVisible() for field in (bar.position, bar.device, bar.zoom, bar.model))


def _ok_when_shown(monkeypatch) -> list[str]:
    """File > Export's dialog, shown, answered with its OK button; what its Folder and note held."""
    from PySide6.QtWidgets import QDialogButtonBox

    seen: list[str] = []

    def answer(dialog: file_menu.ExportDialog) -> int:
        dialog.show()
        seen.extend((dialog.out.text(), dialog.note.text()))
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        return dialog.result()

    monkeypatch.setattr(file_menu.ExportDialog, "exec", answer)
    return seen


def test_file_export_after_a_cancelled_one_offers_a_new_folder(opened, summaries, qtbot, tmp_path, monkeypatch):
    """After a cancelled export File > Export filled in the same unfinished folder, and OK failed
    with "holds an export that did not finish": it now offers NAME-2 and says why, so OK works."""
    window, project = opened
    _add_masked_photos(project, tmp_path / "more", 27)
    out = tmp_path / "summer shoot"
    reached, proceed = _gated(monkeypatch, "export_project")
    window.prefs.set_last_export(window.project.root, {"format": "cutout", "folder": str(out)})
    seen = _ok_when_shown(monkeypatch)
    window.files.choose_export()
    _cancel_when_reached(qtbot, window, reached, proceed)
    qtbot.waitUntil(lambda: len(summaries) == 1, timeout=30000)
    assert (out / UNFINISHED_EXPORT).is_file() and seen[0] == str(out)
    monkeypatch.undo()
    window.files.inform = lambda title, lines, wrong: summaries.append((title, lines, wrong))
    seen = _ok_when_shown(monkeypatch)
    window.files.choose_export()  # the same folder is remembered: the dialog offers another
    assert window.files.wait(60000)
    qtbot.waitUntil(lambda: len(summaries) == 2, timeout=30000)
    assert seen[0] == str(tmp_path / "summer shoot-2")
    assert seen[1].startswith(f"summer shoot holds an export that did not finish ({UNFINISHED_EXPORT})")
    assert "Folder is now summer shoot-2" in seen[1] and "delete it first" in seen[1]
    title, lines, went_wrong = summaries[1]
    assert not lines[0].startswith("Stopped"), lines
    assert not (tmp_path / "summer shoot-2" / UNFINISHED_EXPORT).exists()
    assert len(list((tmp_path / "summer shoot-2").glob("*.png"))) == 30


def test_the_export_dialog_refuses_a_typed_unfinished_folder_before_ok_closes_it(qtbot, tmp_path):
    """Typed (or browsed to) by hand, an unfinished export's folder is caught at OK: the dialog
    stays, offers NAME-2 and says why; OK again closes it."""
    from fashion_annotator.ui.file_menu import ExportDialog

    out = tmp_path / "exp2"
    out.mkdir()
    (out / UNFINISHED_EXPORT).write_text("cancelled")
    (tmp_path / "exp2-2").mkdir()
    (tmp_path / "exp2-2" / "look.png").write_bytes(b"x")
    dialog = ExportDialog(["garment"], "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.out.setText(str(out))
    dialog.accept()
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.out.text() == str(tmp_path / "exp2-3"), "exp2-2 holds files: the next free one"
    assert "exp2 holds an export that did not finish" in dialog.note.text()
    dialog.accept()
    assert not dialog.isVisible() and dialog.result() == 1
