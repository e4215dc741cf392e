"""A team project's server stopped (``pg_ctl stop``) under an open window: what the operator
and the reviewer do is refused with a line that says why, never the crash dialog.

A QA hand test: Mark done, the Review tab's Refresh, Approve and Reject, and Quit each raised
ProjectError out of their slot ("please attach the log"); the messages named the photo by its
internal id ("Could not save image 7" for 0008.jpg). The server is simulated as the existing
tests do: every method of the (SQLite) project and of its parts raises ProjectError.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.decisions import approve, reject
from fashion_annotator.ui import store_away
from fashion_annotator.ui.testing import instance_of

SKIN = 1  # parsing7: no garment's class



@pytest.fixture
def template(masks_template: Path) -> Path:
    """Photos with saved masks (the conftest's ``opened`` opens a copy): Mark done asks QA's
    last decision of each saved task."""
    return masks_template


MESSAGE = "server closed the connection unexpectedly"
#: What a server project answers from memory: its taxonomies are read when it opens.
LOCAL = ("close", "taxonomy")
PARTS = ("decisions", "leases", "instances", "cache", "models", "label_sets")


def _away(*_args, **_kwargs):
    raise ProjectError(MESSAGE)


class _AwayPart:
    """A part of the project (``project.decisions``…) whose every call raises ProjectError."""

    def __init__(self, part) -> None:
        self._part = part

    def __call__(self, *args, **kwargs):
        _away()

    def __getattr__(self, name: str):
        value = getattr(self._part, name)
        return _away if callable(value) else value


def server_away(monkeypatch, project) -> None:
    """Every public method of ``project`` (but :data:`LOCAL`) and of its parts raises
    ProjectError from now on (the test's monkeypatch undoes it before the fixture closes the
    project)."""
    for name in dir(type(project)):
        if not name.startswith("_") and name not in LOCAL and callable(getattr(type(project), name, None)):
            monkeypatch.setattr(project, name, _away)
    for part in PARTS:
        if hasattr(project, part):
            monkeypatch.setattr(project, part, _AwayPart(getattr(project, part)))


def _edit(window) -> None:
    """An edit of the open image's shown mask (a small square painted)."""

    def paint(mask):
        mask[5:15, 5:15] = 1
        return BBox(5, 5, 15, 15)

    window.apply_mask_edit(paint)
    assert window.session.unsaved


def _dress_painted_skin(window) -> None:
    """The dress's parsing pixels all made skin: its instance is to go, its removal pending
    (what the close's ``instances.flush`` saves)."""
    pixels = window.instances.doc.map == instance_of(window, "dress")

    def fill(mask):
        mask[pixels] = SKIN
        return BBox.of(pixels)

    window.set_task("parsing7")
    window.apply_mask_edit(fill, task="parsing7")
    assert window.instances.watch.pending


def _open_name(window) -> str:
    return window.display_name(window.project.image(window.session.image_id))


def test_quit_with_the_server_away_closes_after_asking_and_names_the_photo(opened, qtbot, monkeypatch, answers):
    window, _project = opened
    name = _open_name(window)
    _dress_painted_skin(window)
    server_away(monkeypatch, window.project)
    assert window.close()  # the save, the instances' flush and the rest: nothing raises
    asked = [message for what, message in answers.asked if what == "quit"]
    assert len(asked) == 1 and asked[0].startswith(f"Could not save {name}: {MESSAGE}")
    assert not window.isVisible()


def test_mark_done_with_the_server_away_is_refused_with_the_reason(opened, qtbot, monkeypatch):
    window, project = opened
    image_id = window.session.image_id
    _edit(window)
    masks = {t: m.copy() for t, m in window.session.current.doc.masks.items()}
    monkeypatch.setattr(store_away, "is_postgres_url", lambda _location: True)  # a server project's wording
    server_away(monkeypatch, window.project)
    qtbot.keyClick(window.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # raised before
    expected = f"Not marked done: the project's server does not answer ({MESSAGE}); your edits are kept"
    assert window.status.currentMessage() == expected
    assert expected in window.banner.text() and window.banner.isVisible()
    assert window.session.image_id == image_id and window.session.unsaved
    assert all(np.array_equal(window.session.current.doc.masks[t], m) for t, m in masks.items())
    monkeypatch.undo()
    assert project.image(image_id).status != "done"
    assert window.mark_done() and project.image(image_id).status == "done"  # the server back: done


def _review(window, qtbot):
    window.tabs.setCurrentIndex(1)
    review = window.review
    qtbot.waitUntil(lambda: review.model.rowCount() > 0, timeout=10000)
    return review


def test_review_refresh_with_the_server_away_is_said_in_the_tab(opened, qtbot, monkeypatch):
    window, _project = opened
    review = _review(window, qtbot)
    rows = review.model.rowCount()
    server_away(monkeypatch, window.project)
    refresh = next(b for b in review.findChildren(QPushButton) if b.text() == "Refresh (F5)")
    refresh.click()  # raised before (the crash dialog)
    assert review.away.isVisible() and review.away.text().startswith(f"Not refreshed: {MESSAGE}.")
    review.away.show_lines([])
    review.refresh_images([review.model.rows()[0].image_id])  # the poll's: raised before
    assert review.away.text().startswith(f"Not refreshed: {MESSAGE}.")
    review.reference.setCurrentIndex(1)  # another reference: a refresh too
    review.reference.setCurrentIndex(0)
    assert review.model.rowCount() == rows  # the table as it was read
    monkeypatch.undo()
    assert review.refresh_shown() and not review.away.isVisible()


def test_review_decisions_with_the_server_away_are_said_and_work_once_it_is_back(opened, qtbot, monkeypatch):
    window, project = opened
    review = _review(window, qtbot)
    review.select_proxy_row(0)
    row = review.selected_row()
    approve(project, row.image_id, review.task, seen_version=row.versions)
    review.refresh()
    assert review.select_image(row.image_id) and review.selected_row().decision == "approve"
    server_away(monkeypatch, window.project)
    review.approve_button.click()  # asked whether it is approved already: raised before
    assert review.away.text().startswith(f"Not approved: {row.name}: {MESSAGE}.")
    review.reason.setCurrentIndex(review.reason.findData("low_contrast"))
    review._settling.stop()
    review.reject_button.click()
    assert review.away.text().startswith(f"Not rejected: {row.name}: {MESSAGE}.")
    assert review.selected_row().image_id == row.image_id
    review.select_proxy_row(1)  # another row: its history is not read, said in its place
    assert MESSAGE in review.history.text()
    monkeypatch.undo()
    review.select_image(row.image_id)
    review._settling.stop()
    review.reject_button.click()
    assert project.decisions.last(row.image_id, review.task).decision == "reject"
    assert not review.away.isVisible()


def test_the_list_tooltip_of_a_rejected_image_with_the_server_away_says_so(opened, qtbot, monkeypatch):
    window, project = opened
    other = next(r.id for r in window.queue.model.records() if r.id != window.session.image_id)
    reject(project, other, "garment", "low_contrast", "sleeve lost")
    window.reload_queue()
    model = window.queue.model
    index = model.index(model.row_of(other), 0)
    assert "sleeve lost" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    server_away(monkeypatch, window.project)
    tip = model.data(index, Qt.ItemDataRole.ToolTipRole)  # raised before, out of the list's paint
    assert f"Why it was rejected could not be read: {MESSAGE}" in tip



def test_a_decision_recorded_as_the_server_goes_away_is_kept_and_said(opened, qtbot, monkeypatch):
    """Approve went through, then the image list's read after it did not (the window's follow-up
    of the decision raised out of the signal)."""
    window, project = opened
    review = _review(window, qtbot)
    review.select_proxy_row(0)
    row = review.selected_row()
    monkeypatch.setattr(window.project, "images", _away)
    assert review.approve_selected()
    assert project.decisions.last(row.image_id, review.task).decision == "approve"
    assert window.status.currentMessage() == f"The decision was recorded; {MESSAGE}"


def test_model_history_with_the_server_away_is_said_not_shown(opened, qtbot, monkeypatch):
    """Train > Model history read the registry in the dialog's constructor: it raised out of the
    menu action."""
    from fashion_annotator.ui.train import loop_menu

    window, _project = opened
    monkeypatch.setattr(store_away, "is_postgres_url", lambda _location: True)
    server_away(monkeypatch, window.project)
    assert loop_menu.show_history(window) is None
    said = f"Model history not shown: the project's server does not answer ({MESSAGE})"
    assert window.status.currentMessage() == said


def test_back_from_review_with_the_server_away_says_the_lease_was_not_taken(opened, qtbot, monkeypatch):
    """Review gives the open image's lease back; the Annotate tab takes it again. With the
    server away the banner's notes were read after that refusal: it raised out of the signal."""
    window, _project = opened
    name = _open_name(window)
    _review(window, qtbot)
    server_away(monkeypatch, window.project)
    window.tabs.setCurrentIndex(0)  # raised before
    said = f"Could not take the lease on {name} again: {MESSAGE}"
    assert said in window.banner.text() and window.banner.isVisible()
    assert not window.session.current.read_only
