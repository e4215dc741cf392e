"""Closing and replacing the window while work runs: file jobs, retrains, the old window."""

from __future__ import annotations

import gc
import time
import weakref

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from fashion_annotator.dataset.formats.common import ImportSummary
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import file_menu
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import Answers, copy_project, open_window, wait_counted

TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


def _slow_import(seconds_per_file: float, files: int = 200):
    """An importer that takes ``seconds_per_file`` per file and reports each one."""

    def fake(project, src, fmt, taxonomy=None, progress=None, **_):
        for done in range(1, files + 1):
            time.sleep(seconds_per_file)
            if progress is not None:
                progress(done, files)
        return ImportSummary(added=files)

    return fake


def test_closing_during_an_import_stops_it_and_nothing_reaches_the_closed_window(
    qtbot, opened, monkeypatch
):
    window, project = opened
    image_id = window.session.image_id
    monkeypatch.setattr(file_menu, "import_source", _slow_import(0.1))  # 20 s in all
    job = window.files.import_masks(project.root, "plain")
    assert job is not None
    qtbot.waitUntil(lambda: window.status.busy_text.text().startswith("Import plain: "), timeout=10_000)
    started = time.perf_counter()
    assert window.close()
    assert time.perf_counter() - started < 5, "the job stops after its current file"
    assert not job.isRunning()
    for _ in range(5):
        QCoreApplication.processEvents()  # the job's queued signals, if any were left
    assert window.session.current is None, "the closed window opened no image again"
    assert project.lease(image_id) is None, "and holds no lease"
    assert window.files.summaries == [], "no summary shown by a closed window"
    assert not window.session.open_image(image_id), "a shut-down session opens nothing"


def test_closing_with_a_retrain_running_asks_then_cancels_it_cleanly(qtbot, loop_project, tmp_path):
    answers = Answers(stop=False)
    window, project = open_window(qtbot, loop_project.root, tmp_path / "s.ini", answers)
    try:
        dialog = window.show_training("garment")
        wait_counted(qtbot, dialog)
        dialog.extra_args = TINY
        dialog.epochs_spin.setValue(500)
        dialog.device_combo.setCurrentText("cpu")
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any(e["event"] == "step" for e in dialog.events), timeout=60_000)
        assert not window.close(), "the operator said no: nothing stops"
        assert answers.asked[-1][0] == "stop" and "Garment" in answers.asked[-1][1]
        assert window.isVisible() and dialog.process is not None and dialog.isVisible()
        answers.stop = True
        assert window.close()
        assert dialog.process is None and not dialog.isVisible()
        assert dialog.events[-1]["event"] == "cancelled", "SIGTERM, a clean stop, not a kill"
        assert project.models("garment") == []
    finally:
        window.close()
        project.close()


def test_switching_projects_deletes_the_old_window(qtbot, template, tmp_path):
    from fashion_annotator.ui.app import WindowSwitcher

    roots = [copy_project(template, tmp_path / f"p{i}") for i in range(3)]
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))
    first = switcher.show(Project.open(roots[0]))
    qtbot.waitUntil(lambda: first.session.current is not None)
    first_session = first.session
    replaced = []
    for root in roots[1:]:
        old = switcher.window
        replaced.append(weakref.ref(old))
        assert switcher.switch(lambda r=root: Project.open(r))
        qtbot.waitUntil(lambda o=old: not shiboken6.isValid(o), timeout=10_000)
        qtbot.waitUntil(lambda: switcher.window.session.current is not None)
        del old
    assert not shiboken6.isValid(first_session), "its session went with it"
    first = first_session = None  # the test drops its own references too
    gc.collect()
    assert [ref() for ref in replaced] == [None, None], "nothing keeps a replaced window"
    window = switcher.window
    window.close()
    window.project.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
