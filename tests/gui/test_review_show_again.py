"""The Review tab shown again reads again what a proposal recorded since changed, and its first
visit reads the project once.

A code review: a proposal recorded since the last refresh (the window records the proposal it
shows when it opens a photo) did not move the store's change token, so the tab shown again kept
the unscored reason "no proposal was shown before..." that a refresh replaced with "its
proposals were all recorded after...". And the tab's first visit read everything twice: its
constructor's refresh left nothing to compare the visit's with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from qa_synth import banded_instances

from fashion_annotator.dataset.store import create_project
from fashion_annotator.instances.model import Instance
from fashion_annotator.qa.scores import LATER_ONLY, NONE_SHOWN
from fashion_annotator.ui.review.instances import attach
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _mask() -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:30] = 1
    return mask


def _photo(folder: Path, name: str, value: int) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*SHAPE, 3), value, np.uint8)).save(path)
    return path


@pytest.fixture(params=["folder", "server"])
def location(request, tmp_path: Path) -> str:
    """A folder project's path, or a PostgreSQL project's URL."""
    return str(tmp_path / "proj") if request.param == "folder" else request.getfixturevalue("pg_url")


def test_a_proposal_recorded_since_is_read_when_the_tab_shows_again(qtbot, location, tmp_path):
    with create_project(location, tasks=("garment",), user="rita") as project:
        image_id = project.add_image(_photo(tmp_path / "src", "look.png", 40)).id
        project.save_mask(image_id, "garment", _mask(), seconds=3.0, actions=1, status="done")
        view = ReviewView(project)
        qtbot.addWidget(view)
        view.show_again()
        assert view.model.rows()[0].unscored == NONE_SHOWN
        project.save_proposal(image_id, "garment", _mask(), "v1")  # the photo opened in this window
        view.show_again()
        assert view.model.rows()[0].unscored == LATER_ONLY
        view.refresh()
        assert view.model.rows()[0].unscored == LATER_ONLY
        view.mask_checks.stop()


def test_the_first_visit_reads_the_project_once(qtbot, tmp_path, count_reads):
    """What the window does at the tab's first visit: make the tab, attach the instance panel,
    show it. The panel still gets the image list the tab read (it filled from the second read)."""
    with create_project(tmp_path / "proj", tasks=("garment", "parsing7"), user="rita") as project:
        for i in range(3):
            image_id = project.add_image(_photo(tmp_path / "src", f"look{i}.png", 40 * i)).id
            project.save_proposal(image_id, "garment", _mask(), "v1")
            project.save_mask(image_id, "garment", _mask(), seconds=3.0, actions=1, status="done")
        project.save_instances(image_id, banded_instances([Instance(1, 3, "blouse", "blouse")], SHAPE))
        with count_reads(project) as reads:
            view = ReviewView(project)
            qtbot.addWidget(view)
            panel = attach(view, project, lambda _image_id: None)
            view.show_again()
        assert reads["images"] == 1 and reads["mask_versions"] == 0
        assert view.model.rowCount() == 3
        qtbot.waitUntil(lambda: [row.image_id for row in panel.rows] == [image_id], timeout=20000)
        with count_reads(project) as reads:
            view.show_again()  # nothing committed since
        assert reads["images"] == 0
        view.mask_checks.stop()


def test_a_visit_after_f5_reads_nothing_again(qtbot, tmp_path, count_reads):
    """F5 read every row, and the next visit of the tab, nothing committed since, read them all
    once more: F5 left the key of what was read as the last visit's."""
    with create_project(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        image_id = project.add_image(_photo(tmp_path / "src", "look.png", 40)).id
        project.save_mask(image_id, "garment", _mask(), seconds=3.0, actions=1, status="done")
        view = ReviewView(project)
        qtbot.addWidget(view)
        view.show()
        view.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
        view.show_again()
        project.save_mask(image_id, "garment", _mask(), seconds=4.0, actions=2)  # a colleague's save
        with count_reads(project) as reads:
            qtbot.keyClick(view.table, Qt.Key.Key_F5)
        assert reads["images"] == 1 and view.model.rows()[0].versions == 2
        with count_reads(project) as reads:
            view.show_again()  # the tab shown again, nothing committed since F5
        assert reads["images"] == 0 and reads["mask_versions"] == 0
        view.mask_checks.stop()


def test_a_visit_after_the_polls_reread_reads_nothing_again(qtbot, tmp_path, count_reads):
    """The poll re-read only the rows a save changed, and the next visit of the tab, nothing
    committed since, read every row once more: the poll's read left the key of the last visit."""
    with create_project(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        ids = []
        for i in range(3):
            ids.append(project.add_image(_photo(tmp_path / "src", f"look{i}.png", 40 * i)).id)
            project.save_mask(ids[-1], "garment", _mask(), seconds=3.0, actions=1, status="done")
        view = ReviewView(project)
        qtbot.addWidget(view)
        view.show_again()
        last = project.change_token()
        project.save_mask(ids[1], "garment", _mask(), seconds=4.0, actions=2)  # a save the poll finds
        token = project.change_token()  # as the poll does: the token, then the images changed since
        changed = project.changed_images(last)
        assert changed == [ids[1]]
        with count_reads(project) as reads:
            view.refresh_images(changed, token)
        assert reads["images"] == 1, "the changed row only"
        assert {row.image_id: row.versions for row in view.model.rows()} == {ids[0]: 1, ids[1]: 2, ids[2]: 1}
        with count_reads(project) as reads:
            view.show_again()  # the tab shown again, nothing committed since the poll
        assert reads["images"] == 0 and reads["mask_versions"] == 0
        project.save_mask(ids[2], "garment", _mask(), seconds=5.0, actions=3)  # committed since: read
        with count_reads(project) as reads:
            view.show_again()
        assert reads["images"] == 1 and view.model.rows()[2].versions == 2
        view.mask_checks.stop()
