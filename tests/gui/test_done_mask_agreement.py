"""Mark done on a photo whose parsing mask disagrees with its garment cutout.

A studio hand test: the mannequin's stand base was taken out of the garment cutout and the
photo marked done, but the parsing mask still called it "shoes"; the Instances panel kept a
"shoes" instance there and the export wrote it. Mark done now says so once, without marking
the photo: Refine > Clear parsing outside the cutout (one undo step) fixes it, Mark done again
keeps the masks as they are.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import open_window

H, W = 240, 160


@pytest.fixture
def window(qtbot, tmp_path, answers):
    rng = np.random.default_rng(5)
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment", "parsing7")) as created:
        for stem in ("look", "next"):
            photo = tmp_path / f"{stem}.png"
            Image.fromarray(rng.integers(0, 256, (H, W, 3), np.uint8)).save(photo)
            created.add_image(photo)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    yield window
    window.close()
    project.close()


def _draw(window, stand: bool) -> tuple[int, np.ndarray]:
    """A dress in both masks and, with ``stand``, a stand base the parsing calls shoes outside
    the cutout (4 x 30 = 120 px): the open photo's id and its parsing mask."""
    doc = window.session.current.doc
    names = window.project.taxonomy("parsing7").names
    garment = doc.masks["garment"]
    garment[:] = 0
    garment[60:180, 50:110] = 1
    window.set_task("parsing7")
    parsing = doc.masks["parsing7"]
    parsing[:] = 0
    parsing[60:180, 50:110] = names.index("dress")
    if stand:
        parsing[200:230, 78:82] = names.index("shoes")
    window.canvas.refresh_overlay()
    return int(doc.image_id), parsing


def _status(window, image_id: int) -> str:
    return window.project.image(image_id).status


def test_mark_done_tells_once_then_keeps_the_masks(window):
    image_id, parsing = _draw(window, stand=True)
    window.actions_by_name["done"].trigger()
    said = window.status.currentMessage()
    assert said.startswith("Not marked done: Parsing has 120 px of shoes outside the Garment cutout. "
                           "Refine > Clear parsing outside the cutout (Ctrl+Shift+O) clears"), said
    assert said in window.banner.text()
    assert _status(window, image_id) != "done" and window.session.image_id == image_id
    window.actions_by_name["done"].trigger()  # told once: the second Mark done keeps it
    assert _status(window, image_id) == "done" and window.session.image_id != image_id
    saved = window.project.load_mask(image_id, "parsing7")
    assert (saved[200:230, 78:82] == window.project.taxonomy("parsing7").names.index("shoes")).all()


def test_the_fix_it_names_clears_the_stand_undoably_then_marks_done(window):
    image_id, parsing = _draw(window, stand=True)
    window.actions_by_name["done"].trigger()
    assert _status(window, image_id) != "done"
    window.actions_by_name["refine_outside_cutout"].trigger()
    assert not parsing[200:230, 78:82].any()
    window.undo()
    assert parsing[200:230, 78:82].all(), "Ctrl+Z brings the stand back"
    window.redo()
    assert not parsing[200:230, 78:82].any()
    window.actions_by_name["done"].trigger()
    assert _status(window, image_id) == "done"
    assert not window.project.load_mask(image_id, "parsing7")[200:].any()


def test_a_photo_whose_masks_agree_is_marked_done_at_once(window):
    image_id, _ = _draw(window, stand=False)
    window.actions_by_name["done"].trigger()
    assert _status(window, image_id) == "done"
    assert "Not marked done" not in window.status.currentMessage()
    assert "Not marked done" not in window.banner.text()
