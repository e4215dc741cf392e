"""The status bar's busy indicator with a File job and a proposal at once: a photo opened during
an export replaced the job's text with "Computing proposal…", and the proposal's end took the
indicator away while the job and its Cancel button still ran."""

from __future__ import annotations

import threading

from fashion_annotator.ui.testing import hold_proposals, wait_ready

TITLE = "Export COCO"


def test_a_proposal_during_a_file_job_leaves_the_jobs_indicator_and_cancel(opened, qtbot, monkeypatch):
    window, project = opened
    bar = window.status
    go_on = threading.Event()

    def work(_project, progress) -> list[str]:
        progress(3, 10)
        go_on.wait(20)
        return ["Exported 10 images"]

    wait_ready(qtbot, window)
    release = hold_proposals(window, monkeypatch)
    try:
        assert window.files.start(TITLE, work, adds=False, box=False, save=False) is not None
        qtbot.waitUntil(lambda: bar.busy_text.toolTip() == f"{TITLE}: 3 / 10", timeout=5000)
        other = next(r.id for r in project.images() if r.id != window.session.image_id)
        assert window.open_image(other)
        qtbot.waitUntil(lambda: window.session.jobs.busy, timeout=5000)
        assert bar.busy_text.toolTip() == f"{TITLE}: 3 / 10", "the job's text, not the proposal's"
        release.set()
        wait_ready(qtbot, window)  # the proposal is done
        qtbot.wait(50)
        assert bar.is_busy and bar.busy.isVisible() and bar.busy_text.isVisible(), "the job still runs"
        assert bar.busy_text.toolTip() == f"{TITLE}: 3 / 10"
        assert bar.cancel_button.isVisible() and bar.cancel_button.isEnabled()
    finally:
        release.set()
        go_on.set()
    assert window.files.wait(10000)
    qtbot.waitUntil(lambda: not bar.cancel_button.isVisible(), timeout=5000)
    assert not bar.is_busy and not bar.busy.isVisible() and not bar.busy_text.isVisible()
