"""Start-up: which project ``fashion-annotator [PATH]`` opens, and a full run of the GUI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fashion_annotator.dataset.formats.photos import import_photos
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.resources import resource_path
from fashion_annotator.ui import app
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file


def test_sample_project_is_made_once_from_the_bundled_photos(tmp_path):
    bundled = sorted(p.name for p in resource_path("sample").glob("*.jpg"))
    assert 4 <= len(bundled) <= 6
    assert (resource_path("sample") / "ATTRIBUTION.md").read_text().count("Apache") == 1
    with app.sample_project(tmp_path) as project:
        assert sorted(r.name for r in project.images()) == bundled
        assert project.tasks == ("garment", "parsing7")
    with app.sample_project(tmp_path) as again:  # opened, not made twice
        assert len(again.images()) == len(bundled)


def test_folder_of_photos_becomes_a_project_in_place(tmp_path, ccp_dir):
    photos = tmp_path / "shoot"
    photos.mkdir()
    for stem in ("0001", "0002"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")
    shutil.copy(ccp_dir / "images" / "0001.jpg", photos / "0001 again.jpg")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    (photos / "notes.txt").write_text("ignored")
    project, problems = app.open_or_create(photos)
    with project:
        assert project.root == (photos / "annotations").resolve()
        assert len(project.images()) == 2
        # the summary as the start-up dialog shows it: totals, the refused file, the duplicate
        assert problems[0].startswith("2 photos added, 1 already present") and "1 file refused" in problems[0]
        assert "broken.jpg" in problems[1]
        assert problems[-2:] == [
            "1 photo already in the project under another name, not added again:",
            f"  {photos / '0001.jpg'}: the same photo as {(photos / '0001 again.jpg').resolve()}",
        ]
    again, problems = app.open_or_create(photos)  # the project made there is reopened
    with again:
        assert len(again.images()) == 2 and problems == []


def test_a_folders_photos_stopped_half_way_are_added_at_the_next_open(tmp_path, ccp_dir):
    """The window adds a new folder project's photos in the background; closed before the end,
    the next open adds the rest (the marker says the adding did not finish), then no more."""
    photos = tmp_path / "shoot"
    photos.mkdir()
    for stem in ("0001", "0002", "0003"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")
    project, pending = app.open_or_start(photos)
    with project:
        assert project.images() == [] and pending.files == app.photos_in(photos)
        assert pending.marker == photos / "annotations" / app.ADDING_MARKER and pending.marker.is_file()

        def stop_after_one(done: int, total: int) -> None:
            if done == 1 and done < total:
                raise RuntimeError("the window closed")

        with pytest.raises(RuntimeError):
            pending.work(project, stop_after_one)
        assert len(project.images()) == 1 and pending.marker.is_file()
    # the window remembers annotations/ as the last project: opened that way, the rest too
    remembered, rest = app.choose_project(None, photos / "annotations")
    with remembered:
        assert [p.name for p in app.unfinished_adding(remembered).files] == ["0002.jpg", "0003.jpg"]
    again, rest = app.open_or_start(photos / "annotations")
    with again:
        assert [p.name for p in rest.files] == ["0002.jpg", "0003.jpg"]
        assert rest.work(again, lambda done, total: None).lines()[0].startswith("2 photos added, 0 already present")
        assert len(again.images()) == 3 and not rest.marker.is_file()
    third, check = app.open_or_start(photos)  # then only the folder's check at each open
    with third:
        assert check is not None and check.sync and check.files == []
        assert check.work(third, lambda done, total: None).lines() == [] and len(third.images()) == 3


def test_a_mistyped_folder_for_a_new_project_is_refused_in_words(qtbot, tmp_path, monkeypatch):
    """File > New project from folder with a folder that is not there raised FileNotFoundError
    to the crash dialog (its photos were listed before the folder was checked; a review)."""
    warned = []
    monkeypatch.setattr(app.QMessageBox, "warning", lambda *a: warned.append(a[2]))
    switcher = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini")))
    assert not switcher.switch(lambda: app._new_for_window(tmp_path / "Photoss", tmp_path / "new", True))
    assert warned and "Photoss: not a folder with photos" in warned[0]
    assert not (tmp_path / "new").exists()


def test_bad_paths_are_refused_with_their_name(tmp_path):
    with pytest.raises(ProjectError, match="no such project"):
        app.open_or_create(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match="empty: neither a project nor a folder with photos"):
        app.open_or_create(tmp_path / "empty")


def test_no_argument_opens_the_last_project_else_the_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    Project.create(tmp_path / "last").close()
    project, _ = app.choose_project(None, tmp_path / "last")
    with project:
        assert project.root == (tmp_path / "last").resolve()
    project, _ = app.choose_project(None, tmp_path / "gone")
    with project:
        assert project.root == (tmp_path / "data" / "sample-project").resolve()


def test_no_argument_with_a_data_folder_that_cannot_be_made_says_so(tmp_path, monkeypatch, capsys):
    """A home folder that cannot be written and no project named: the start stopped with a
    traceback out of the sample project's folder; it is said, naming the folder, in a dialog."""
    (tmp_path / "not a folder").write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "not a folder"))
    said = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda *a: said.append(a[2]))
    assert app.run_gui(None) == 1
    assert len(said) == 1 and said[0].startswith("cannot make the sample project: ")
    assert str(tmp_path / "not a folder") in said[0] and "fashion-annotator PATH" in said[0]
    assert "Traceback" not in capsys.readouterr().err


def _when_ready(act, monkeypatch) -> None:
    """Call ``act(window)`` once the window run_gui shows has its first image open and idle.

    The window is the one run_gui's switcher shows, not the last MainWindow among the top-level
    widgets: a window an earlier test left (hidden, never deleted: the lambdas in its connections
    keep it) may come last in that unordered list, and polling it, with no image, waited forever
    and run_gui never returned (the start-up tests hung in a long run of GUI tests). Should the
    window never get ready, the application quits after :data:`READY_S` and the test fails.
    """
    shown: list[MainWindow] = []
    show = app.WindowSwitcher.show

    def record(self, *args, **kwargs):
        shown.append(show(self, *args, **kwargs))
        return shown[-1]

    monkeypatch.setattr(app.WindowSwitcher, "show", record)
    deadline = time.monotonic() + READY_S

    def check():
        window = shown[-1] if shown else None
        if time.monotonic() > deadline:
            QApplication.quit()
            return
        if window is None or window.session.current is None or window.session.jobs.busy:
            QTimer.singleShot(100, check)
            return
        act(window)

    QTimer.singleShot(100, check)


#: Longest wait for run_gui's window to get ready, in seconds.
READY_S = 180.0


def test_a_window_left_by_an_earlier_test_is_not_the_one_waited_for(qtbot, tmp_path, monkeypatch):
    """A hidden window an earlier test left open among the top-level widgets: run_gui's own
    window is still the one closed (the start-up test waited on the left one for ever)."""
    from fashion_annotator.ui.app import WindowSwitcher

    left = WindowSwitcher(Preferences(settings_file(tmp_path / "left.ini"))).show(Project.create(tmp_path / "left"))
    left.close()
    left.project.close()
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    closed = []
    _when_ready(lambda window: closed.append(window.windowTitle()) or window.close(), monkeypatch)
    assert app.run_gui(None) == 0
    assert len(closed) == 1 and "sample-project" in closed[0]
    assert shiboken6.isValid(left) and not left.isVisible()  # still there, as such windows are


def test_run_gui_opens_the_sample_and_quits_cleanly(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    seen = {}

    def close(window):
        seen["image"] = window.session.current.doc.image_id
        seen["title"] = window.windowTitle()
        seen["window"] = window
        window.show_help()  # a non-modal dialog still open at quit
        window.close()

    _when_ready(close, monkeypatch)
    assert app.run_gui(None) == 0
    assert seen["image"] == 1 and "sample-project" in seen["title"]
    assert not shiboken6.isValid(seen["window"])  # torn down before run_gui returned


def test_a_last_project_gone_is_said_when_the_sample_opens_in_its_place(qtbot, tmp_path, monkeypatch):
    """The last project moved or deleted: the sample opened in its place without a word, and
    the operator thought the work was lost."""
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    app._application()  # the application's settings file, which run_gui reads
    prefs = Preferences()
    prefs.last_project = tmp_path / "gone"
    prefs.sync()
    said = []
    monkeypatch.setattr(app.QMessageBox, "warning", lambda *a: said.append(a[1:3]))
    _when_ready(lambda window: window.close(), monkeypatch)
    assert app.run_gui(None) == 0
    assert said == [("Last project not opened",
                     f"The last project, {tmp_path / 'gone'}, is not there any more (moved, renamed or "
                     "deleted): the sample project is open in its place; File > Open project opens another")]


def test_a_start_up_check_with_the_last_project_gone_says_it_on_stderr_and_quits(tmp_path):
    """FA_SMOKE_QUIT_MS start-up checks have nobody to close a box: the note goes to stderr and
    the check quits on time instead of waiting on a modal warning (run as its own process, as
    the check is)."""
    home = tmp_path / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), FA_LOG_DIR=str(tmp_path / "logs"))  # fmt: skip
    gone = tmp_path / "gone"
    remember = (
        "import sys; from fashion_annotator.ui import app; from fashion_annotator.ui.preferences import Preferences; "
        "app._application(); p = Preferences(); p.last_project = sys.argv[1]; p.sync()"
    )
    subprocess.run([sys.executable, "-c", remember, str(gone)], env=env, check=True, timeout=120)
    done = subprocess.run([sys.executable, "-m", "fashion_annotator"], env=dict(env, FA_SMOKE_QUIT_MS="0"),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"The last project, {gone}, is not there any more" in done.stderr


def test_a_last_project_url_not_answering_is_named_without_its_password(tmp_path, monkeypatch):
    """The box named the last project's URL as the settings keep it, password and all, beside
    the error text that shows it as ***."""
    monkeypatch.setattr(app, "data_dir", lambda: tmp_path / "data")
    (tmp_path / "data").mkdir()
    notes: list[str] = []
    project, _ = app.choose_project(None, "postgresql://ann:s3cret@127.0.0.1:1/fashion?project=spring", notes)
    project.close()
    assert len(notes) == 1 and "s3cret" not in notes[0]
    assert notes[0].startswith("The last project, postgresql://ann:***@127.0.0.1:1/fashion?project=spring, could")


def _photo(path, seed):
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, (24, 32, 3), np.uint8)
    Image.fromarray(rgb).save(path)
    return rgb


def test_linked_photos_are_named_as_the_folder_shows_them(tmp_path):
    """A job folder of links into a photo store was stored under the targets' paths, so both
    photos were exported as IMG_0001 (and IMG_0001-2), not as the SKUs the links name."""
    import numpy as np

    from fashion_annotator.dataset.formats import export_project

    job = tmp_path / "job_42"
    job.mkdir()
    want = {}
    for seed, (sku, shelf) in enumerate([("SKU123_front", "a"), ("SKU124_front", "b")]):
        want[sku] = _photo(tmp_path / "store" / shelf / "IMG_0001.png", seed)
        (job / f"{sku}.png").symlink_to(tmp_path / "store" / shelf / "IMG_0001.png")
    project, problems = app.open_or_create(job)
    with project:
        assert problems == []
        records = project.images()
        assert sorted(r.name for r in records) == [str(job.resolve() / f"{s}.png") for s in sorted(want)]
        for record in records:
            np.testing.assert_array_equal(project.load_photo(record.id).rgb, want[record.stem])
            project.save_mask(record.id, "garment", np.ones(record.shape, np.uint8), status="done")
        export_project(project, tmp_path / "out", "plain", "garment")
    assert sorted(p.name for p in (tmp_path / "out" / "masks").rglob("*.png")) == [f"{s}.png" for s in sorted(want)]


def test_a_folder_whose_path_is_not_utf8_is_refused_in_words(tmp_path):
    """Every photo of such a folder was refused with "surrogates not allowed", leaving an empty
    project; now the folder is refused by name before a project is made, and a file name alone
    that is not UTF-8 is named as such (a copy, as `new` makes, still works)."""
    import os

    from fashion_annotator.dataset.formats.photos import add_photos

    folder = os.fsdecode(os.fsencode(tmp_path) + b"/Fotos_Gr\xfc\xdfe")
    _photo(tmp_path / "ok.png", 1)
    os.mkdir(folder)
    os.replace(tmp_path / "ok.png", os.path.join(folder, "0004.png"))
    with pytest.raises(ProjectError, match=r"Fotos_Gr\\xfc\\xdfe: the folder's path is not valid UTF-8"):
        app.open_or_create(folder)
    assert not os.path.exists(os.path.join(folder, "annotations"))

    shoot = tmp_path / "shoot"
    odd = os.fsdecode(os.fsencode(shoot) + b"/Gr\xfc\xdfe.png")
    _photo(shoot / "plain.png", 2)
    _photo(shoot / "x.png", 3)
    os.replace(shoot / "x.png", odd)
    with Project.create(tmp_path / "p") as project:
        summary = add_photos(project, [shoot / "plain.png", shoot / odd], copy=False)
        ((path, problem),) = summary.errors
        assert "file name is not valid UTF-8" in problem and "surrogates" not in problem
        assert summary.added == 1
        assert add_photos(project, [shoot / odd]).added == 1  # copied, as `new` does


def test_a_folder_of_photos_opens_the_window_before_its_photos_are_added(qtbot, ccp_dir, tmp_path):
    """``fashion-annotator FOLDER`` added every photo before any window showed (22 s at 1,800
    photos, a scale test): the window shows the new project and adds them in the background."""
    from fashion_annotator.ui.app import ADDING_MARKER, WindowSwitcher, _for_window

    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("0014", "0019"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos)
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    assert switcher.switch(lambda: _for_window(photos))
    window = switcher.window
    qtbot.addWidget(window)
    assert window.project.root == (photos / "annotations").resolve()
    assert window.files.job is not None and window.files.job.title == "Add photos"
    window.files.wait()
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2, timeout=30000)
    qtbot.waitUntil(lambda: window.session.current is not None)  # the first photo opens by itself
    assert window.windowTitle().endswith(" — photos")  # the photo folder's name, not "annotations"
    assert not (photos / "annotations" / ADDING_MARKER).exists()
    assert all(not r.path.is_relative_to(window.project.root) for r in window.project.images())  # in place
    window.close()
    window.project.close()


def test_photos_can_be_opened_while_the_rest_are_added(qtbot, ccp_dir, tmp_path):
    """The list said "To do 0" until the last of 300 photos was added, and then no photo was
    open (a hand test): it is refilled as the job goes and the first photo opens."""
    from fashion_annotator.ui.app import WindowSwitcher

    root = tmp_path / "project"
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini")))
    window = switcher.show(Project.create(root))
    qtbot.addWidget(window)
    assert window.session.current is None and window.queue.model.rowCount() == 0
    with Project.open(root, user="job") as job:  # what the adding job has saved so far
        job.add_image(ccp_dir / "images" / "0014.jpg")
    window.files._progress(1, 300)
    assert window.queue.model.rowCount() == 1
    qtbot.waitUntil(lambda: window.session.current is not None)
    window.close()
    window.project.close()


def test_hidden_photos_are_skipped_and_counted_however_the_project_is_made(tmp_path, ccp_dir):
    """A hand test: ``fashion-annotator new`` and File > Add photos left ``.hidden.jpg`` out and
    said "0 files refused", while the folder opened in the window added it."""
    photos = tmp_path / "shoot"
    photos.mkdir()
    for name, stem in (("look.jpg", "0001"), (".hidden.jpg", "0002"), ("._look.jpg", "0003")):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / name)
    skipped = "2 hidden files skipped (names starting with '.')"
    with Project.create(tmp_path / "copied") as copied:  # new, File > Add photos
        summary = import_photos(copied, photos)
        assert [r.name for r in copied.images()] == ["look.jpg"] and skipped in summary.lines()
    assert app.photos_in(photos) == [photos / "look.jpg"]  # the window's New project
    project, pending = app.open_or_start(photos)  # the folder opened in the window
    with project:
        summary = pending.work(project, lambda done, total: None)
        assert [Path(r.name).name for r in project.images()] == ["look.jpg"]
        assert summary.lines() == ["1 photo added, 0 already present, 0 files refused", skipped]
    shutil.rmtree(photos / "annotations")
    project, lines = app.open_or_create(photos)  # the terminal's way
    with project:
        assert len(project.images()) == 1 and lines[-1] == skipped
