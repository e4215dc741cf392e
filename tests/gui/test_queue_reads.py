"""How much of the image list the window reads again as the operator works (a scale review:
every image switch re-read every row once anything was written, 0.65-2 s at 20,000 images)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import add_tiny_model, drag, open_window, wait_ready


def _count_reads(project: Project) -> list:
    """Record the ``ids`` of every ``project.images`` call (None: every row was read)."""
    reads: list = []
    real = project.images

    def images(*args, **kwargs):
        reads.append(kwargs.get("ids"))
        return real(*args, **kwargs)

    project.images = images  # type: ignore[method-assign]
    return reads


def _shown_status(window, image_id: int) -> str:
    return next(r.status for r in window.queue.model.records() if r.id == image_id)


def test_switching_images_reads_again_only_the_rows_the_window_changed(qtbot, opened, tmp_path: Path) -> None:
    """The model's proposal, recorded at each image, changes nothing the list shows: the next
    switch reads no row. A save reads the saved image's row alone, and the list shows its new
    status; a colleague's change still reads them all."""
    window, project = opened
    add_tiny_model(project, tmp_path)
    ids = [r.id for r in project.images()]
    reads = _count_reads(project)
    assert window.open_image(ids[1])
    qtbot.waitUntil(lambda: project.proposals(ids[1], window.task) != [], timeout=30_000)
    wait_ready(qtbot, window)
    assert window.open_image(ids[2])  # the proposal of ids[1] was recorded meanwhile
    qtbot.waitUntil(lambda: project.proposals(ids[2], window.task) != [], timeout=30_000)
    wait_ready(qtbot, window)
    assert None not in reads
    window.canvas.set_tool("brush")
    drag(window, [(120, 250), (220, 250)])
    assert window.open_image(ids[0])  # saves ids[2]
    assert None not in reads and reads[-1] == [ids[2]]
    assert _shown_status(window, ids[2]) == project.image(ids[2]).status == "in_progress"
    assert f"<b>{project.counts()['in_progress']}</b>" in window.queue.counts.text()
    with Project.open(project.root, user="bob") as bob:
        bob.set_status(ids[1], "done")
    assert window.open_image(ids[1])
    assert reads[-1] is None and _shown_status(window, ids[1]) == "done"


def test_a_saved_image_leaves_a_filtered_list_it_no_longer_matches(qtbot, opened) -> None:
    """Row by row, the filter still holds: an image saved out of "To do" leaves that list."""
    window, project = opened
    ids = [r.id for r in project.images()]
    window.queue.status_filter.setCurrentIndex(window.queue.status_filter.findData("new"))
    assert [r.id for r in window.queue.model.records()] == ids
    reads = _count_reads(project)
    assert window.mark_done()  # the first image
    assert None not in reads
    assert [r.id for r in window.queue.model.records()] == ids[1:]


def test_the_window_reads_the_image_list_once_when_it_opens(qtbot, template, tmp_path: Path, answers, monkeypatch) -> None:
    """Making the window read the list, and its start read it again (0.65 s at 20,000 images)."""
    from fashion_annotator.ui.testing import copy_project

    root = copy_project(template, tmp_path / "project")
    reads: list = []
    real = Project.images

    def images(self, *args, **kwargs):
        reads.append(kwargs.get("ids"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Project, "images", images)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        assert reads == [None]
        assert window.queue.model.rowCount() == 3
    finally:
        window.close()
        project.close()


def test_typing_a_search_reads_the_list_once_typing_pauses_and_enter_at_once(qtbot, opened) -> None:
    """Each key typed in the search box read the whole list (350 ms a key at 20,000 images):
    the list is filtered once the keys rest, or at once on Enter."""
    window, project = opened
    reads = _count_reads(project)
    qtbot.keyClicks(window.queue.search, "0019")
    assert reads == [] and window.queue.search_pending
    qtbot.waitUntil(lambda: not window.queue.search_pending, timeout=5000)
    assert reads == [None]
    assert [r.name for r in window.queue.model.records()] == ["0019.jpg"]
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Return)
    assert reads == [None, None] and not window.queue.search_pending
    assert window.queue.model.rowCount() == 2 and window.queue.search.text() == "001"


def test_a_review_decision_reads_again_only_the_decided_images_row(qtbot, opened) -> None:
    """A scale review: each Approve re-read every row of the image list (about 1 s at 20,000
    images); the decision changes one image's status, the one row read again."""
    from PySide6.QtWidgets import QApplication

    window, project = opened
    image_id = window.session.image_id
    drag(window, [(120, 250), (220, 250)])
    assert window.mark_done()
    window.tabs.setCurrentIndex(1)
    review = window.review
    qtbot.waitUntil(lambda: review.select_image(image_id), timeout=20_000)
    reads: list = []  # the image list's reads (it names a status filter; Review reads them all)
    real = project.images

    def images(*args, **kwargs):
        if "status" in kwargs:
            reads.append(kwargs.get("ids"))
        return real(*args, **kwargs)

    project.images = images  # type: ignore[method-assign]
    for task in project.tasks:  # the image is approved once each of its masks is
        review.set_task(task)
        qtbot.wait(QApplication.doubleClickInterval() + 50)  # a click sooner is a double-click's second
        assert review.select_image(image_id)
        with qtbot.waitSignal(review.decisionRecorded):
            qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    assert project.image(image_id).status == "approved"
    assert None not in reads and [image_id] in reads
    assert _shown_status(window, image_id) == "approved"


def test_an_image_opened_from_review_shows_the_mask_the_reviewer_looked_at(qtbot, opened) -> None:
    """A hand test: opening a rejected garment mask from Review showed the parsing mask, the
    task last used in the Annotate tab."""
    from PySide6.QtWidgets import QApplication

    window, project = opened
    image_id = window.session.image_id
    window.set_task("parsing7")
    drag(window, [(120, 250), (220, 250)])
    assert window.mark_done()
    window.tabs.setCurrentIndex(1)
    review = window.review
    review.set_task("garment")
    qtbot.wait(QApplication.doubleClickInterval() + 50)
    qtbot.waitUntil(lambda: review.select_image(image_id), timeout=20_000)
    review.open_selected()
    assert window.tabs.currentIndex() == 0 and window.session.image_id == image_id
    assert window.task == "garment"
