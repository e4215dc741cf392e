"""The window's "Unsaved" follows the mask's pixels: an edit that puts the saved pixels back
leaves nothing to save, and a pixel of difference is still saved (real window, CCP photos)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.ui.testing import click, drag, shown_mask, wait_ready

TASK = "parsing7"


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _background_strip(mask: np.ndarray, half: int = 12, length: int = 80) -> tuple[int, int, int]:
    """``(y, x0, x1)`` of a horizontal path with only background within ``half`` pixels."""
    h, w = mask.shape
    for y in range(half + 10, h - half - 10, 5):
        for x0 in range(half + 10, w - length - half - 10, 5):
            if not mask[y - half : y + half + 1, x0 - half : x0 + length + half + 1].any():
                return y, x0, x0 + length
    raise AssertionError("no background strip in the mask")


def _saved_label(window) -> str:
    return window.status.saved.text()


def test_pixels_put_back_by_a_second_edit_leave_nothing_unsaved(opened, qtbot):
    """A hand test: a stroke erased again by the eraser, or a region click taken back by the
    opposite click, left "● Unsaved" (and a question at closing) with the saved mask on screen;
    a save then wrote an identical version. Now the window says "Saved", the recovery journal
    drops the entry and a save writes nothing; a real difference stays unsaved and is saved."""
    window, project = opened
    wait_ready(qtbot, window)
    window.set_task(TASK)
    image_id = window.session.image_id
    versions = len(project.mask_versions(image_id, TASK))
    canvas = window.canvas
    y, x0, x1 = _background_strip(shown_mask(window))
    saved = shown_mask(window).copy()

    window.set_label(1)
    canvas.set_tool("brush")
    canvas.set_brush_radius(4)
    drag(window, [(x0, y), (x1, y)])
    assert window.session.unsaved and _saved_label(window) == "● Unsaved"
    assert window.session.journal.entries()
    canvas.set_tool("eraser")
    canvas.set_brush_radius(7)
    drag(window, [(x0, y), (x1, y)])
    np.testing.assert_array_equal(shown_mask(window), saved)
    assert not window.session.unsaved and _saved_label(window) == "Saved"
    assert window.session.journal.entries() == []

    regions = canvas.regions
    assert regions is not None
    region = regions[y, (x0 + x1) // 2]
    if saved[regions == region].any():  # a region of background pixels only
        ids, counts = np.unique(regions[saved == 0], return_counts=True)
        whole = [i for i, c in zip(ids, counts, strict=True) if c == np.count_nonzero(regions == i)]
        region = whole[0]
    ry, rx = (int(np.median(a)) for a in np.nonzero(regions == region))
    assert regions[ry, rx] == region
    canvas.set_tool("superpixel")
    window.set_label(3)
    click(window, rx, ry)
    assert window.session.unsaved and _saved_label(window) == "● Unsaved"
    window.set_label(0)
    click(window, rx, ry)  # the opposite click
    np.testing.assert_array_equal(shown_mask(window), saved)
    assert not window.session.unsaved and _saved_label(window) == "Saved"
    assert window.save() and len(project.mask_versions(image_id, TASK)) == versions

    # a real difference, however small, stays unsaved and is saved
    window.set_label(1)
    canvas.set_tool("brush")
    canvas.set_brush_radius(4)
    drag(window, [(x0, y), (x1, y)])
    canvas.set_tool("eraser")
    drag(window, [(x0, y), (x1 - 2, y)])
    left = np.count_nonzero(shown_mask(window) != saved)
    assert 0 < left < 50
    assert window.session.unsaved and _saved_label(window) == "● Unsaved"
    assert window.save() and len(project.mask_versions(image_id, TASK)) == versions + 1
    np.testing.assert_array_equal(project.load_mask(image_id, TASK), shown_mask(window))
