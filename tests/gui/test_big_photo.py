"""Large photos in the real window: preview first, full pixels in the background, no mix-ups.

The photos are CCP photos enlarged to 1500 x 2250 and the preview thresholds lowered to match
(``PREVIEW_MIN_PIXELS`` 1 MP, ``PREVIEW_SIDE`` 500 px, so the preview is the 1/4 DCT decode),
which exercises the same path a 50-megapixel studio photo takes, at a test's cost.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.core import images
from fashion_annotator.core.images import load_image
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import CTRL, drag, open_window, press_key, shown_mask

BIG_WH = (1500, 2250)


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch):
    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 500)


@pytest.fixture
def big(qtbot, tmp_path, ccp_dir, answers):
    """A window on a project of three enlarged CCP photos; returns (window, project, pixels)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("0014", "0019", "0082"):
        with Image.open(ccp_dir / "images" / f"{stem}.jpg") as im:
            im.convert("RGB").resize(BIG_WH, Image.Resampling.BILINEAR).save(
                photos / f"big_{stem}.jpg", quality=90
            )
    root = tmp_path / "project"
    with Project.create(root) as project:
        ids = [project.add_image(p).id for p in sorted(photos.glob("*.jpg"))]
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    pixels = {i: load_image(project.image_path(i)).rgb for i in ids}
    yield window, project, pixels
    window.close()
    project.close()


def _photo_item(window):
    return window.canvas._photo


def _wait_full(qtbot, window) -> None:
    qtbot.waitUntil(
        lambda: window.session.current is not None and window.session.current.doc.photo_ready,
        timeout=30000,
    )


def test_large_photo_shows_the_preview_then_the_full_photo_in_place(qtbot, big):
    window, project, pixels = big
    first, second = list(pixels)[:2]
    assert window.session.image_id == first
    assert window.session.current.doc.photo_ready  # open_window waited for the jobs
    window.open_image(second)
    doc = window.session.current.doc
    h, w = BIG_WH[1], BIG_WH[0]
    # At once: the preview, stretched over the full photo's area, full-size masks.
    assert not doc.photo_ready and doc.shape == (h, w)
    assert doc.preview.shape[:2] == (563, 375)
    assert all(m.shape == (h, w) for m in doc.masks.values())
    item = _photo_item(window)
    assert item._image.width() == 375
    rect = item.sceneBoundingRect()
    assert (rect.width(), rect.height()) == (w, h)
    transform = window.canvas.transform()
    assert window.session.current.hierarchy is None  # superpixels wait for the full pixels
    _wait_full(qtbot, window)
    # Then the full photo in the same place, the view untouched.
    assert item._image.width() == w and item._image.height() == h
    assert item.sceneBoundingRect() == rect
    assert window.canvas.transform() == transform
    np.testing.assert_array_equal(doc.rgb, pixels[second])
    qtbot.waitUntil(lambda: window.session.current.hierarchy is not None, timeout=30000)
    assert window.session.current.hierarchy.shape == (h, w)


def test_fast_switching_never_shows_the_wrong_photo(qtbot, big):
    window, project, pixels = big
    a, b, c = pixels
    shown: list[tuple[int, bool]] = []

    def check(opened, _pyramid) -> None:
        # Every full photo that lands belongs to the image open at that moment.
        doc = opened.doc
        shown.append((int(doc.image_id), np.array_equal(doc.rgb, pixels[int(doc.image_id)])))
        assert window.session.current is opened

    window.session.photoReady.connect(check)
    dropped = window.session.jobs.dropped
    for image_id in (b, a, c, b, a):
        assert window.open_image(image_id)
    _wait_full(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.jobs.busy, timeout=30000)
    assert window.session.image_id == a
    np.testing.assert_array_equal(window.session.current.doc.rgb, pixels[a])
    assert _photo_item(window)._keep is window.session.current.doc.rgb
    assert shown == [(a, True)]
    assert window.session.jobs.dropped - dropped >= 4  # the stale loads were dropped


def test_masks_edited_on_the_preview_are_full_resolution_and_saved(qtbot, big):
    window, project, pixels = big
    second = list(pixels)[1]
    window.open_image(second)
    assert not window.session.current.doc.photo_ready
    press_key(qtbot, window, Qt.Key.Key_B)
    window.canvas.set_brush_radius(6)
    press_key(qtbot, window, Qt.Key.Key_2)
    drag(window, [(300, 1200), (700, 1200), (1100, 1200)])
    mask = shown_mask(window)
    assert mask.shape == (BIG_WH[1], BIG_WH[0])
    assert mask[1200, 300:1101].tolist() == [1] * 801 and mask[1220, 700] == 0
    assert not window.session.current.doc.photo_ready  # all of it happened on the preview
    assert window.session.save()
    saved = project.load_mask(second, window.task)
    np.testing.assert_array_equal(saved, mask)
    _wait_full(qtbot, window)
    np.testing.assert_array_equal(shown_mask(window), saved)  # the full photo kept the edit
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert shown_mask(window)[1200, 700] == 0


def test_saved_proposals_of_a_large_photo_are_read_when_accepted(qtbot, big):
    window, project, pixels = big
    second = list(pixels)[1]
    task = window.task
    proposal = np.zeros((BIG_WH[1], BIG_WH[0]), np.uint8)
    proposal[500:1500, 300:1200] = 1
    project.save_mask(second, task, np.zeros_like(proposal))
    project.save_proposal(second, task, proposal, "v-test")
    window.open_image(second)
    doc = window.session.current.doc
    assert doc.proposals[task] is None  # not decoded at the switch
    _wait_full(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.jobs.busy, timeout=30000)
    assert window.accept()  # Ctrl+Enter: the stored proposal is read now and taken
    np.testing.assert_array_equal(project.load_mask(second, task), proposal)


def _saved_masks(project, image_id) -> dict[str, np.ndarray]:
    """Distinct saved masks of both tasks of ``image_id`` (what an earlier session left): a top
    over a bottom in the parsing mask, agreeing with the garment cutout (Mark done checks it)."""
    h, w = BIG_WH[1], BIG_WH[0]
    masks = {"garment": np.zeros((h, w), np.uint8), "parsing7": np.zeros((h, w), np.uint8)}
    masks["garment"][300:1900, 200:1300] = 1
    masks["parsing7"][300:1000, 250:1250] = 3
    masks["parsing7"][1000:1900, 250:1250] = 5
    for task, mask in masks.items():
        project.save_mask(image_id, task, mask)
    return masks


def test_other_tasks_saved_masks_are_read_on_first_use_and_never_saved_empty(qtbot, big):
    window, project, pixels = big
    second, third = list(pixels)[1:]
    saved = _saved_masks(project, second)
    assert window.task == "garment"
    window.open_image(second)
    doc = window.session.current.doc
    # The switch read the shown task's mask only.
    assert doc.masks.is_read("garment") and not doc.masks.is_read("parsing7")
    np.testing.assert_array_equal(shown_mask(window), saved["garment"])
    # Erase a stroke of the shown mask, then mark done (Ctrl+D saves every task and moves on).
    press_key(qtbot, window, Qt.Key.Key_E)
    window.canvas.set_brush_radius(6)
    drag(window, [(400, 1200), (800, 1200)])
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert window.session.image_id == third
    assert project.image(second).status == "done"
    assert len(project.mask_versions(second, "garment")) == 2
    assert project.load_mask(second, "garment")[1200, 600] == 0
    # parsing7 was never shown nor edited: its saved mask is untouched, not replaced by zeros.
    assert len(project.mask_versions(second, "parsing7")) == 1
    np.testing.assert_array_equal(project.load_mask(second, "parsing7"), saved["parsing7"])
    # Back on the image, Tab shows parsing7's saved mask (read now), editable and undoable.
    window.open_image(second)
    doc = window.session.current.doc
    assert not doc.masks.is_read("parsing7")
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == "parsing7" and doc.masks.is_read("parsing7")
    np.testing.assert_array_equal(shown_mask(window), saved["parsing7"])
    assert window.canvas._overlay.image.pixel(700, 1500) == window.canvas._overlay.lut[5]
    press_key(qtbot, window, Qt.Key.Key_B)
    press_key(qtbot, window, Qt.Key.Key_2)  # parsing7's key 2 is skin (class 1)
    drag(window, [(400, 600), (800, 600)])
    assert shown_mask(window)[600, 600] == 1
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(shown_mask(window), saved["parsing7"])


def test_an_unreadable_deferred_mask_is_reported_and_the_task_stays(qtbot, big):
    window, project, pixels = big
    second = list(pixels)[1]
    _saved_masks(project, second)
    window.open_image(second)  # opens: parsing7's mask is not read yet
    project.mask_versions(second, "parsing7")[-1].path.write_bytes(b"\x89PNG broken")
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == "garment"
    assert "cannot read the saved mask" in window.status.currentMessage()
    assert window.canvas.task == "garment"


def test_clearing_the_parsing_outside_an_unreadable_cutout_says_so(qtbot, big):
    """A code review: Refine > Clear parsing outside the cutout read the cutout outside its
    error handling, so a large photo's cutout whose saved file is damaged (read on first use)
    raised out of the menu action; it now says why nothing was cleared."""
    window, project, pixels = big
    second = list(pixels)[1]
    saved = _saved_masks(project, second)
    window.set_task("parsing7")
    window.open_image(second)  # opens: the garment cutout's mask is not read yet
    assert not window.session.current.doc.masks.is_read("garment")
    project.mask_versions(second, "garment")[-1].path.write_bytes(b"\x89PNG broken")
    window.actions_by_name["refine_outside_cutout"].trigger()
    message = window.status.currentMessage()
    assert message.startswith("Not cleared: the Garment cutout cannot be read: ")
    assert "cannot read the saved mask" in message
    np.testing.assert_array_equal(shown_mask(window), saved["parsing7"])
    assert not window.actions_by_name["undo"].isEnabled(), "nothing changed: no undo step"


def test_a_promotion_while_the_photo_loads_proposes_on_the_photo_not_the_placeholder(
    qtbot, big, monkeypatch
):
    """A model promoted (or rolled back) while a large photo's pixels load waits for them:
    the model never runs on the black placeholder, nor is such a proposal shown or recorded."""
    import threading

    from fashion_annotator.ui.annotate import image_session
    from fashion_annotator.ui.train import loop_menu

    window, project, pixels = big
    second = list(pixels)[1]
    gate = threading.Event()
    real_load = image_session.load_photo_pyramid

    def slow_load(path):  # a 50-megapixel studio photo takes a while
        gate.wait(20)
        return real_load(path)

    monkeypatch.setattr(image_session, "load_photo_pyramid", slow_load)
    brightest: list[int] = []
    real_propose = window.session.proposals.propose

    def spy(task, rgb, regions):
        brightest.append(int(rgb.max()))
        return real_propose(task, rgb, regions)

    monkeypatch.setattr(window.session.proposals, "propose", spy)
    window.open_image(second)
    doc = window.session.current.doc
    assert not doc.photo_ready
    loop_menu.model_changed(window, "garment", None)  # what a promotion or a rollback does
    qtbot.wait(300)
    assert brightest == [] and doc.proposals.get("garment") is None
    gate.set()
    _wait_full(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.jobs.busy, timeout=60000)
    assert brightest and min(brightest) > 0  # every proposal of the image saw its pixels
