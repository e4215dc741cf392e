"""The status bar while a File job runs: its Cancel button and busy text ("Export COCO: 3 / 10")
widened an 853 px window (a 1280x720 screen at 150 %) on the Review tab to 901 px, and it never
shrank back; at 1280 px its busy text cut a save's "it was Done, your edit is saved as version
N" line, gone after 5 s."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtWidgets import QWidget

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import copy_project, drag, open_window, wait_ready

NARROW = 853


def _blocked_job(window, qtbot, title: str) -> threading.Event:
    """Start a File job titled ``title`` that reports 3 of 10 files and waits for the returned
    event; the caller sets it."""
    go_on = threading.Event()

    def work(project, progress) -> list[str]:
        progress(3, 10)
        go_on.wait(20)
        return ["Exported 10 images"]

    wait_ready(qtbot, window)  # no proposal computing: its busy text would stand for the job's
    assert window.files.start(title, work, adds=False, box=False, save=False) is not None
    qtbot.waitUntil(lambda: window.status.busy_text.toolTip().endswith("3 / 10"), timeout=5000)
    return go_on


def test_a_running_file_job_leaves_the_review_tab_as_narrow_as_a_scaled_screen(opened, qtbot):
    window, _project = opened
    window.tabs.setCurrentIndex(1)
    window.resize(NARROW, 480)
    qtbot.waitUntil(lambda: window.width() == NARROW, timeout=2000)
    title = "Export COCO to /home/operator/exports/summer shoot"
    go_on = _blocked_job(window, qtbot, title)
    try:
        bar = window.status
        assert bar.cancel_button.isVisible()
        qtbot.wait(100)
        assert window.width() == NARROW, f"the job's busy text and Cancel widened the window to {window.width()} px"
        assert bar.busy_text.toolTip() == f"{title}: 3 / 10", "its whole text where it is cut"
        assert bar.cancel_button.visibleRegion().boundingRect().size() == bar.cancel_button.size()
    finally:
        go_on.set()
    qtbot.waitUntil(lambda: not window.status.cancel_button.isVisible(), timeout=5000)
    assert window.width() == NARROW


def _message_room(window) -> int:
    """Pixels from the status bar's left edge to its first widget shown (the message's room)."""
    bar = window.status
    shown = [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]
    return min(w.geometry().left() for w in shown)


def test_the_saved_version_line_of_a_done_photo_is_shown_whole_and_long_at_1280_px(
    qtbot, template, tmp_path, answers, monkeypatch
):
    """A stray edit of a Done photo saved on leave: "it was Done, your edit is saved as version
    N" was cut at 1280 px by a running File job's busy text, and went after 5 seconds."""
    root = copy_project(template, tmp_path / "project")
    with Project.open(root, user="alice") as project:
        first = project.images()[0]
        mask = np.zeros(first.shape, np.uint8)
        mask[100:300, 50:200] = 1
        project.save_mask(first.id, "garment", mask, seconds=10.0, actions=3)
        project.set_status(first.id, "done")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    shown: list[tuple[str, int]] = []
    show = window.status.showMessage
    monkeypatch.setattr(window.status, "showMessage", lambda text, ms=0: (shown.append((text, ms)), show(text, ms)))
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    assert window.open_image(first.id)
    go_on = _blocked_job(window, qtbot, "Export COCO to /home/operator/exports/summer shoot")
    try:
        drag(window, [(300, 500), (330, 500)])  # the stray stroke
        assert window.session.unsaved
        assert window.session.save()  # as on leaving the photo, or the autosave
        line = next(text for text, _ms in shown if ": it was Done" in text)
        qtbot.waitUntil(lambda: window.status.currentMessage() == line, timeout=2000)
        need = window.status.fontMetrics().horizontalAdvance(line)
        qtbot.waitUntil(lambda: _message_room(window) >= need, timeout=2000)
        assert window.width() == 1280 and window.status.cancel_button.isVisible()
        assert min(ms for text, ms in shown if text == line) >= 12000, "time to read it"
    finally:
        go_on.set()
        qtbot.waitUntil(lambda: not window.status.cancel_button.isVisible(), timeout=5000)
        window.close()
        project.close()
