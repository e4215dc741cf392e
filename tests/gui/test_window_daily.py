"""The window as operators and QA use it all day: size, names, File menu, feedback, keys, theme."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import prompts, window_lifecycle
from fashion_annotator.ui.app import open_or_create
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import (
    SHIFT,
    Answers,
    click,
    copy_project,
    drag,
    open_window,
    wait_ready,
)


def _reopen(qtbot, root: Path, settings: Path, answers: Answers):
    return open_window(qtbot, root, settings, answers)


def _save_masks(project: Project) -> None:
    """Give every image a garment mask with a different quality so Review has rows."""
    for i, record in enumerate(project.images()):
        mask = np.zeros(record.shape, np.uint8)
        mask[100 : 400 + 60 * i, 100:400] = 1
        project.save_mask(record.id, "garment", mask, seconds=10 + i, actions=3)


def test_every_tab_at_1280x720_keeps_the_window_geometry(qtbot, opened):
    window, project = opened
    _save_masks(project)
    window.resize(1280, 720)
    qtbot.wait(50)
    size = window.size()
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720
    window.tabs.setCurrentIndex(1)
    review = window.review
    qtbot.waitUntil(lambda: review.proxy.rowCount() == 3)
    for row in range(review.proxy.rowCount()):
        review.select_proxy_row(row)
        qtbot.wait(30)
        assert window.size() == size, f"the window grew when row {row} was selected"
        assert window.minimumSizeHint().width() <= 1280
    buttons = (review.approve_button, review.reject_button)
    where = [b.mapTo(window, b.rect().topLeft()) for b in buttons]
    review.select_proxy_row(0)
    qtbot.wait(30)
    assert [b.mapTo(window, b.rect().topLeft()) for b in buttons] == where  # buttons stay put
    for b in buttons:
        corner = b.mapTo(window, b.rect().bottomRight())
        assert corner.x() < 1280 and corner.y() < 720
    window.tabs.setCurrentIndex(0)
    qtbot.wait(30)
    assert window.size() == size


def test_window_fits_a_small_screen_even_with_a_larger_saved_geometry(qtbot, opened, monkeypatch):
    window, _ = opened
    monkeypatch.setattr(MainWindow, "_screen_area", lambda self: QRect(0, 0, 1280, 720))
    window.resize(1600, 1000)
    window.move(300, 200)
    window.fit_to_screen()
    frame = window.frameGeometry()
    assert frame.width() <= 1280 and frame.height() <= 720
    assert frame.x() >= 0 and frame.y() >= 0 and frame.right() < 1280 and frame.bottom() < 720


def test_folder_project_shows_names_relative_to_the_photos(qtbot, ccp_dir, tmp_path, answers):
    photos = tmp_path / "shoot" / "day1"
    photos.mkdir(parents=True)
    for stem in ("0014", "0019"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"look {stem}.jpg")
    project, problems = open_or_create(photos)
    assert problems == []
    root = project.root
    project.close()
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        model = window.queue.model
        index = model.index(0, 0)
        assert model.data(index, Qt.ItemDataRole.DisplayRole).startswith("look 0014.jpg\n")
        assert str(photos / "look 0014.jpg") in model.data(index, Qt.ItemDataRole.ToolTipRole)
        assert window.windowTitle() == f"look 0014.jpg — {photos.name}"  # the folder, not annotations/
        _save_masks(project)
        window.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: window.review.proxy.rowCount() == 2)
        names = {row.name for row in window.review.model.rows()}
        assert names == {"look 0014.jpg", "look 0019.jpg"}
    finally:
        window.close()
        project.close()


def test_relaunch_opens_the_last_image_with_the_last_tool_and_brush(
    qtbot, template, tmp_path, answers
):
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "settings.ini"
    window, project = open_window(qtbot, root, settings, answers)
    # listed when it opens (a crash or a kill before closing used to leave it out)
    assert Preferences(settings_file(settings)).recent_projects[0] == root.resolve()
    third = project.images()[2].id
    window.open_image(third)
    wait_ready(qtbot, window)
    window.actions_by_name["tool_eraser"].trigger()
    window.canvas.set_brush_radius(21)
    assert window.status.tool.text() == "Eraser 42 px"
    parsing = next(t for t in project.tasks if t.startswith("parsing"))
    button = next(b for b in window.palette_dock._task_group.buttons() if b.property("task") == parsing)
    button.click()  # the operator quits on the Parsing task
    assert window.task == parsing
    window.close()
    project.close()
    window, project = _reopen(qtbot, root, settings, answers)
    try:
        assert window.session.image_id == third
        assert window.task == parsing and window.canvas.task == parsing
        assert window.palette_dock._task_group.checkedButton().property("task") == parsing
        assert window.canvas.tool == "eraser" and window.canvas.brush_radius == pytest.approx(21)
        assert Preferences(settings_file(settings)).recent_projects[0] == root.resolve()
    finally:
        window.close()
        project.close()


def test_file_menu_adds_photos_imports_and_exports_in_the_background(
    qtbot, opened, ccp_dir, tmp_path
):
    window, project = opened
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()[0].menu().actions()]
    for expected in ("Open project…", "Open recent", "New project from folder…", "Add photos…",
                     "Import masks…", "Export…"):  # fmt: skip
        assert expected in titles
    files = window.files
    seen: list[tuple[str, list[str]]] = []
    files.inform = lambda title, lines, _went_wrong: seen.append((title, lines))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a photo")
    # The job's summary is emitted from its thread: wait on what the window does with it (a
    # waitSignal connected after start() missed a quick job's signal under load).
    files.start("x", lambda p, progress: [])
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=10000)

    def defect(project, progress) -> list[str]:
        raise KeyError("done")  # a bug in a job used to leave the window busy with a dead job

    files.start("Export plain", defect)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10000)
    assert not window.status.is_busy
    assert seen[-1] == ("Export plain", ["Stopped by an unexpected error (KeyError: 'done'); the log has the details"])
    seen.pop()
    job = files.add_photos([ccp_dir / "images" / "0100.jpg", broken])
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=30000)
    title, lines = seen[-1]
    assert title == "Add photos" and lines[0].startswith("1 photo added")
    assert "broken.jpg" in lines[1]
    assert window.queue.model.rowCount() == 4
    assert not job.isRunning()
    _save_masks(project)
    refills: list[int] = []
    window.queue.model.modelReset.connect(lambda: refills.append(1))
    files.export(tmp_path / "yolo", "yolo", "garment")
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=30000)
    assert not refills  # an export only reads: the list was refilled at every progress tick
    assert seen[-1][0] == "Export yolo" and seen[-1][1][0].startswith("4 images exported")
    assert len(list((tmp_path / "yolo" / "labels").glob("*.txt"))) == 4
    with Project.open(project.root) as other:
        export_project(other, tmp_path / "lm", "labelme", "garment")
    files.import_masks(tmp_path / "lm", "labelme")
    qtbot.waitUntil(lambda: len(seen) == 4, timeout=30000)
    # The export of the same masks imports as unchanged: no new versions, nothing overwritten.
    assert seen[-1][0] == "Import labelme" and "0 masks saved, 4 masks unchanged" in seen[-1][1][0]
    assert window.status.currentMessage().startswith("Import labelme: ")
    qtbot.waitUntil(lambda: window.session.current is not None)  # the open image is back


def test_the_export_dialog_offers_the_projects_last_choices(opened, tmp_path, monkeypatch):
    from fashion_annotator.ui import file_menu

    window, project = opened
    files = window.files
    exported: list[tuple] = []
    monkeypatch.setattr(files, "export", lambda out, fmt, task, **kw: exported.append((out, fmt, task, kw)))
    shown: list[tuple] = []

    def choose_coco(d) -> None:
        d.fmt.setCurrentText("coco")
        d.shapes.setCurrentIndex(d.shapes.findData("polygon"))
        d.tolerance.setValue(1.5)
        d.out.setText(str(tmp_path / "out"))
        d.finished_only.setChecked(True)

    for choose in (choose_coco, lambda d: None):
        def run(dialog, choose=choose) -> bool:
            shown.append((dialog.fmt.currentText(), dialog.out.text(), dialog.shapes.currentData(),
                          dialog.tolerance.value(), dialog.task.currentData(),
                          dialog.finished_only.isChecked()))  # fmt: skip
            choose(dialog)
            return True

        monkeypatch.setattr(file_menu.ExportDialog, "exec", run)
        files.choose_export()
    assert shown[0][:2] == ("plain", "")  # nothing exported from this project yet
    assert not shown[0][5]
    assert shown[1] == ("coco", str(tmp_path / "out"), "polygon", 1.5, window.task, True)
    assert exported[1] == (tmp_path / "out", "coco", window.task,
                           {"shapes": "polygon", "tolerance": 1.5, "statuses": file_menu.FINISHED})  # fmt: skip


def test_the_export_dialog_enables_only_the_options_of_the_chosen_format(qtbot) -> None:
    from fashion_annotator.ui.file_menu import ExportDialog

    dialog = ExportDialog(["parsing7"], "parsing7")
    qtbot.addWidget(dialog)

    def enabled() -> tuple[bool, bool, bool]:
        return dialog.shapes.isEnabled(), dialog.tolerance.isEnabled(), dialog.edges.isEnabled()

    dialog.fmt.setCurrentText("plain")
    assert enabled() == (False, False, False)
    assert not dialog.form.labelForField(dialog.shapes).isEnabled()
    dialog.fmt.setCurrentText("coco")
    assert enabled() == (True, True, False)
    dialog.fmt.setCurrentText("cutout")
    assert enabled() == (False, False, True)


def test_refine_shows_what_changed_and_flashes_it(qtbot, opened):
    window, _ = opened
    mask = window.session.current.doc.masks[window.task]
    mask[200:260, 200:260] = 1
    mask[300:302, 300:302] = 1  # an island to clean
    window.canvas.refresh_overlay()
    items = len(window.canvas.scene().items())
    window.actions_by_name["refine_clean"].trigger()
    text = window.status.currentMessage()
    assert text.startswith("Clean islands and holes: 4 px changed, overlap with the mask before 99.")
    assert len(window.canvas.scene().items()) == items + 1  # the flash
    qtbot.waitUntil(lambda: len(window.canvas.scene().items()) == items, timeout=3000)
    window.undo()
    assert mask[300, 300] == 1


def test_fill_on_background_is_refused_unless_shift(qtbot, opened):
    window, _ = opened
    window.actions_by_name["tool_fill"].trigger()
    mask = window.session.current.doc.masks[window.task]
    assert not mask.any()
    click(window, 300, 300)
    assert not mask.any()
    assert "Fill on background would cover 100% of the photo" in window.status.currentMessage()
    view = window.canvas.viewport()
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent

    pos = QPointF(300, 300)
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        event = QMouseEvent(kind, pos, view.mapToGlobal(pos), Qt.MouseButton.LeftButton,
                            Qt.MouseButton.LeftButton, SHIFT)  # fmt: skip
        QApplication.sendEvent(view, event)
    assert mask.all()


def test_zoom_readout_follows_the_view(qtbot, opened):
    window, _ = opened
    before = window.status.zoom.text()
    assert before.endswith(" %")
    window.canvas.zoom_at(2.0, QPointF(100, 100))
    assert window.status.zoom.text() == f"{window.canvas.zoom * 100:.0f} %" != before


def test_restore_dialog_names_the_images(qtbot, opened, monkeypatch):
    window, project = opened
    asked: list[str] = []

    def question(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)

    class Entry:
        image_id = project.images()[1].id
        task = "garment"
        written_at = 0.0

    names = window_lifecycle.entry_names(window, [Entry()])
    assert names == [f"{project.images()[1].name} (Garment cutout)"]
    assert prompts.ask_restore(window, [Entry()], names) is False
    assert f"• {project.images()[1].name} (Garment cutout)" in asked[0]


def test_reject_banner_names_the_reason_and_task_in_words(qtbot, opened):
    window, project = opened
    third = project.images()[2].id
    project.record_decision(third, "garment", "reject", reason="model_error", text="redo")
    project.set_status(third, "rejected")
    window.open_image(third)
    text = window.banner.text()
    assert "(Garment cutout): Correct what the model's proposal got wrong — redo" in text
    assert "model_error" not in text
    # a QA hand test: "Bad ground truth — stand pole still in the cutout" told the operator
    # nothing to do; the reason now reads as an instruction
    other = project.images()[1].id
    project.record_decision(other, "garment", "reject", reason="extra_area", text="stand pole still in the cutout")
    project.set_status(other, "rejected")
    window.open_image(other)
    assert window.banner.text().endswith(
        "(Garment cutout): Remove the extra area (background, mannequin stand) from the mask "
        "— stand pole still in the cutout"
    )


def test_rejecting_the_open_image_in_review_shows_its_reason_at_once(qtbot, opened):
    """Reject the image that is open for annotation from the Review tab, then open it from
    there: the banner names the reason without the operator switching images first."""
    window, project = opened
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])
    window.tabs.setCurrentIndex(1)
    review = window.review
    assert review.select_image(first)
    review.reason.setCurrentIndex(review.reason.findData("low_contrast"))
    review.reason_text.setText("collar lost")
    with qtbot.waitSignal(review.decisionRecorded):
        assert review.reject_selected()
    assert "look alike — collar lost" in window.banner.text()
    review.openImageRequested.emit(first)
    assert window.tabs.currentIndex() == 0 and window.session.image_id == first
    assert window.banner.isVisibleTo(window) and "look alike — collar lost" in window.banner.text()
    row = window.queue.model.row_of(first)
    tip = window.queue.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Rejected by alice (Garment cutout) on " in tip and "Low contrast" not in tip  # the banner's words
    assert tip.endswith(": Check the edges where the garment and the background look alike — collar lost")


def test_sixteen_bit_grey_photo_gets_a_real_thumbnail(qapp, tmp_path):
    from PIL import Image

    from fashion_annotator.ui.annotate.queue_dock import _ThumbJob, _ThumbRelay

    grey = (np.linspace(0, 40000, 64 * 48).reshape(64, 48)).astype(np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(grey).save(path)
    assert Image.open(path).mode.startswith("I")
    relay = _ThumbRelay()
    got = []
    relay.ready.connect(lambda image_id, image: got.append(image))
    _ThumbJob(relay, 1, path).run()
    (thumb,) = got
    shades = {thumb.pixelColor(thumb.width() // 2, y).red() for y in range(thumb.height())}
    assert not thumb.isNull() and len(shades) > 20 and max(shades) < 255  # a ramp, not white


def test_a_photo_with_a_colour_profile_gets_a_thumbnail_in_its_real_colours(qapp, tmp_path):
    """The thumbnail read the pixels as sRGB, as the window did: another green than the photo's."""
    from icc_synth import rgb_profile
    from PIL import Image

    from fashion_annotator.core.images import load_image
    from fashion_annotator.ui.annotate.queue_dock import _ThumbJob, _ThumbRelay

    path = tmp_path / "adobe.png"
    Image.new("RGB", (48, 64), (40, 200, 60)).save(path, icc_profile=rgb_profile())
    relay = _ThumbRelay()
    got = []
    relay.ready.connect(lambda image_id, image: got.append(image))
    _ThumbJob(relay, 1, path).run()
    (thumb,) = got
    colour = thumb.pixelColor(thumb.width() // 2, thumb.height() // 2)
    want = load_image(path).rgb[32, 24]
    assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in want)
    assert abs(int(want[0]) - 40) > 10  # the profile does change the colour


def test_large_photo_is_drawn_from_its_pyramid(qtbot):
    import cv2

    from fashion_annotator.ui.annotate.image_view import ImageView, photo_pyramid

    rng = np.random.default_rng(1)
    rgb = cv2.resize(rng.integers(0, 256, (12, 16, 3), np.uint8), (4000, 3000),
                     interpolation=cv2.INTER_NEAREST)  # fmt: skip
    full, levels = photo_pyramid(rgb)
    assert (full.width(), full.height()) == (4000, 3000)
    assert [(q.width(), q.height()) for q in levels] == [(2000, 1500), (1000, 750)]
    assert photo_pyramid(rgb[:1000, :1000])[1] == []  # small photos: no pyramid
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_photo(rgb)
    view.fit_to_window()
    shot = view.viewport().grab().toImage()
    centre = shot.pixelColor(shot.width() // 2, shot.height() // 2)
    # Drawn from the 1/4 level at fit zoom: the colour under the view centre is the photo's.
    x, y = view.mapToScene(shot.width() // 2, shot.height() // 2).toPoint().toTuple()
    expected = rgb[min(max(y, 0), 2999), min(max(x, 0), 3999)]
    assert abs(centre.red() - int(expected[0])) <= 8 and abs(centre.blue() - int(expected[2])) <= 8


def test_training_dialog_shows_every_column_and_no_one_point_axes(qtbot, opened):
    from fashion_annotator.ui.train.plot import LivePlot

    window, _ = opened
    dialog = window.show_training()
    header = dialog.table.horizontalHeader()
    dialog.table.setRowCount(1)
    qtbot.wait(20)
    right_edge = header.sectionViewportPosition(2) + header.sectionSize(2)
    assert right_edge <= dialog.table.viewport().width()  # "New" is on screen
    dialog.close()
    plot = LivePlot("loss", "val")
    plot.add_left(1, 0.41234)
    plot.add_right(1, 0.873)
    assert plot.single_point_text() == (
        "After the first epoch: loss 0.4123, val 0.873. The curves start with the next one."
    )
    qtbot.addWidget(plot)
    plot.resize(300, 150)
    plot.grab()  # paints the message, not axes


def test_open_project_and_new_project_from_folder_switch_the_window(
    qtbot, template, ccp_dir, tmp_path
):
    from fashion_annotator.ui.app import WindowSwitcher

    first = copy_project(template, tmp_path / "first")
    second = copy_project(template, tmp_path / "second")
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    opened_first = switcher.show(Project.open(first))  # the switcher deletes what it replaces
    qtbot.waitUntil(lambda: opened_first.session.current is not None)
    with qtbot.waitSignal(opened_first.projectRequested):
        opened_first.projectRequested.emit(second)
    window = switcher.window
    assert window is not opened_first and window.project.root == second
    qtbot.waitUntil(lambda: not shiboken6.isValid(opened_first))
    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("0014", "0019"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos)
    target = tmp_path / "photos-annotations"
    window.newProjectRequested.emit(photos, target, True, ["garment", "parsing7"])
    made = switcher.window
    qtbot.addWidget(made)
    assert made.project.root == target
    made.files.wait()
    qtbot.waitUntil(lambda: made.queue.model.rowCount() == 2, timeout=30000)
    assert all((target / "images" / f"{s}.jpg").is_file() for s in ("0014", "0019"))
    recent = switcher.prefs.recent_projects
    assert recent[:3] == [target.resolve(), second.resolve(), first.resolve()]  # listed as they opened
    made.close()
    made.project.close()


def test_the_import_file_dialog_starts_beside_the_project_and_lists_no_index(opened, monkeypatch):
    """A file dialog that lists ``project.sqlite`` reads it to name its type, and that close in
    this process drops SQLite's locks on the live index."""
    from fnmatch import fnmatch

    from PySide6.QtWidgets import QFileDialog

    from fashion_annotator.ui.file_menu import IMPORT_FILE_FILTER, ImportDialog

    window, project = opened
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: asked.append(a) or ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: "")
    dialog = ImportDialog(list(project.tasks), window, start_dir=str(project.root.parent))
    dialog._browse()
    (_parent, _title, start, name_filter) = asked[0]
    assert Path(start) == project.root.parent and name_filter == IMPORT_FILE_FILTER
    patterns = IMPORT_FILE_FILTER.split("(")[1].rstrip(")").split()
    assert not any(fnmatch("project.sqlite", p) for p in patterns)
    assert any(fnmatch("annotations.json", p) for p in patterns)
    dialog.deleteLater()


def test_the_pointer_over_the_photo_gives_it_the_keyboard_unless_text_is_typed(qtbot, opened):
    """Space+drag pans as in a photo editor once the pointer is over the photo, even after
    the image list had the keyboard; a search being typed keeps it."""
    from PySide6.QtGui import QEnterEvent

    window, _project = opened

    def enter() -> None:
        pos = QPointF(50, 50)
        QApplication.sendEvent(window.canvas, QEnterEvent(pos, pos, window.canvas.mapToGlobal(pos)))

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.queue.view.setFocus()
    qtbot.waitUntil(window.queue.view.hasFocus, timeout=2000)
    enter()
    assert window.canvas.hasFocus()
    qtbot.keyPress(window.canvas, Qt.Key.Key_Space)
    assert window.canvas._space  # noqa: SLF001 - the pan state Space+drag uses
    qtbot.keyRelease(window.canvas, Qt.Key.Key_Space)
    window.queue.search.setFocus()
    qtbot.waitUntil(window.queue.search.hasFocus, timeout=2000)
    enter()
    assert window.queue.search.hasFocus()


def test_edits_undone_back_to_the_saved_mask_save_nothing(qtbot, opened, tmp_path):
    """A re-test: undoing every edit since the last save and pressing Ctrl+S wrote a version
    identical to the one before (history clutter; an approved image went back to review for
    nothing). Back at the saved mask there is nothing to save and nothing to recover."""
    from fashion_annotator.ui.testing import CTRL, press_key

    window, project = opened
    image_id, task = window.session.image_id, window.task
    drag(window, [(100, 300), (300, 300)])
    assert window.save() and len(project.mask_versions(image_id, task)) == 1
    project.set_status(image_id, "approved")
    drag(window, [(100, 340), (300, 340)])
    assert window.session.current.edited and window.session.journal.entries()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert not window.session.current.edited and window.session.journal.entries() == []
    assert window.save()
    assert len(project.mask_versions(image_id, task)) == 1 and project.image(image_id).status == "approved"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo: an edit again
    assert window.session.current.edited
    assert window.save() and len(project.mask_versions(image_id, task)) == 2
    # opened again: the saved mask is where undo comes back to as well
    window.open_image(project.images()[1].id)
    window.open_image(image_id)
    wait_ready(qtbot, window)
    drag(window, [(100, 380), (300, 380)])
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert not window.session.current.edited
    window.open_image(project.images()[1].id)
    assert len(project.mask_versions(image_id, task)) == 2


def test_region_consensus_keeps_the_operators_edits() -> None:
    """A code review: Refine > Relabel regions by model consensus put every pixel back to the
    model's label, the operator's edits included (Snap keeps them)."""
    from types import SimpleNamespace

    from fashion_annotator.ui.annotate import refine_menu

    regions = np.zeros((20, 20), np.int32)
    regions[:, 10:] = 1
    probs = np.zeros((2, 20, 20), np.float32)
    probs[1, :, :10], probs[0, :, 10:] = 0.9, 0.9  # the model: left is garment, right background
    probs[0, :, :10], probs[1, :, 10:] = 0.1, 0.1
    proposal = np.zeros((20, 20), np.uint8)
    proposal[:, :8] = 1  # the proposal missed two columns of the left region
    mask = proposal.copy()
    mask[5:15, 12:16] = 1  # the operator added a strap on the right
    cur = SimpleNamespace(hierarchy=SimpleNamespace(levels=[regions]), probs={"garment": SimpleNamespace(probs=probs)},
                          doc=SimpleNamespace(proposal=lambda task: proposal))  # fmt: skip
    out = refine_menu.consensus(cur, "garment", mask)
    assert (out[:, :10] == 1).all(), "the untouched proposal follows the regions"
    assert (out[5:15, 12:16] == 1).all(), "the operator's strap stays"


def test_every_parsing_class_is_in_sight_at_1280x720(qtbot, opened) -> None:
    """The Instances panel gives way to the Labels list: "dress" was cut off at 720 px."""
    window, _ = opened
    window.resize(1280, 720)
    window.set_task("parsing7")
    qtbot.wait(50)
    palette = window.palette_dock.list
    assert palette.count() == 7
    last = palette.visualItemRect(palette.item(palette.count() - 1))
    assert palette.viewport().rect().contains(last)
    assert window.height() == 720


def test_refine_clears_the_parsing_outside_the_cutout_in_one_undo_step(qtbot, opened):
    """A QA hand test: the mannequin stand removed from the garment cutout stayed "shoes" in the
    parsing mask; Refine > Clear parsing outside the cutout makes it background, skin kept."""
    window, _ = opened
    doc = window.session.current.doc
    parsing = next(t for t in doc.masks if t != "garment")
    names = window.project.taxonomy(parsing).names
    cutout = doc.masks["garment"]
    cutout[:] = 0
    cutout[100:200, 100:160] = 1
    window.set_task("garment")
    window.actions_by_name["refine_outside_cutout"].trigger()
    assert window.status.currentMessage().startswith("Show a parsing mask to clear it outside the cutout")
    window.set_task(parsing)
    mask = doc.masks[parsing]
    mask[:] = 0
    mask[100:200, 100:160] = names.index("dress")
    mask[200:300, 128:132] = names.index("shoes")  # the stand
    mask[90:100, 120:140] = names.index("skin")  # the neck, outside the cutout: stays
    window.canvas.refresh_overlay()
    window.actions_by_name["refine_outside_cutout"].trigger()
    assert window.status.currentMessage().startswith(
        "Clear parsing outside the Garment cutout (skin and hair kept): 400 px changed")
    assert not mask[200:300, 128:132].any() and (mask[90:100, 120:140] == names.index("skin")).all()
    assert (mask[100:200, 100:160] == names.index("dress")).all()
    window.undo()
    assert (mask[200:300, 128:132] == names.index("shoes")).all(), "one Ctrl+Z brings the stand back"
