"""The undo histories of photos left, kept for the window's session (annotate/kept_history)."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.annotate.kept_history import KeptHistories
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox

SHAPE = (40, 60)


def _paint(mask: np.ndarray, rows: slice, label: int = 1) -> BBox | None:
    before = mask.copy()
    mask[rows] = label
    return BBox.of(mask != before)


def _doc(image_id: int, saved: np.ndarray) -> AnnotationDocument:
    doc = AnnotationDocument(image_id, np.zeros((*SHAPE, 3), np.uint8), {"garment": saved.copy()})
    doc.mark_saved()
    return doc


def _left_with_a_saved_edit(image_id: int = 7) -> tuple[AnnotationDocument, np.ndarray, np.ndarray]:
    """A photo opened at version 2, edited, saved on leave (version 3)."""
    v2 = np.zeros(SHAPE, np.uint8)
    v2[5:10] = 1
    doc = _doc(image_id, v2)
    doc.apply("garment", _paint, slice(20, 30))
    doc.mark_saved(["garment"])  # the save on leave
    return doc, v2, doc.masks["garment"].copy()


def test_a_history_kept_comes_back_and_its_undo_is_an_edit_to_save():
    kept = KeptHistories()
    left, v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": 3}, photo="abc")
    assert len(kept) == 1 and kept.nbytes > 0
    again = _doc(7, v3)  # the photo opened again: its latest version, 3
    assert not again.can_undo("garment")
    assert kept.give_back(again, {"garment": 3}, photo="abc") == ["garment"]
    assert again.can_undo("garment") and not again.unsaved and len(kept) == 0
    again.undo("garment")
    np.testing.assert_array_equal(again.masks["garment"], v2)
    assert again.unsaved == {"garment"}, "undone past the saved version: a new version to save"
    again.redo("garment")
    assert not again.unsaved


def test_a_version_saved_since_or_another_photo_gets_no_history():
    kept = KeptHistories()
    left, _v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": 3}, photo="abc")
    assert kept.give_back(_doc(7, v3), {"garment": 4}, photo="abc") == []  # a colleague saved
    assert len(kept) == 0, "given back or not, it leaves the keeping"
    left, _v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": 3}, photo="abc")
    assert kept.give_back(_doc(7, v3), {"garment": 3}, photo="other") == []  # the id reused


def test_unsaved_documents_and_empty_histories_are_not_kept():
    kept = KeptHistories()
    left, _v2, _v3 = _left_with_a_saved_edit()
    left.apply("garment", _paint, slice(0, 2), 2)  # a save on leave that failed
    kept.keep(left, {"garment": 3})
    untouched = _doc(8, np.zeros(SHAPE, np.uint8))
    kept.keep(untouched, {"garment": 1})
    assert len(kept) == 0


def test_the_oldest_photos_histories_go_past_the_count_and_the_byte_budget():
    by_count = KeptHistories(max_photos=2)
    for image_id in (1, 2, 3):
        by_count.keep(_left_with_a_saved_edit(image_id)[0], {"garment": 3})
    assert len(by_count) == 2
    assert by_count.give_back(_doc(1, _left_with_a_saved_edit(1)[2]), {"garment": 3}) == []
    one = _left_with_a_saved_edit(1)[0]
    by_bytes = KeptHistories(max_bytes=one.history["garment"].nbytes + 1)
    for image_id in (1, 2, 3):
        by_bytes.keep(_left_with_a_saved_edit(image_id)[0], {"garment": 3})
    assert len(by_bytes) == 1, "the photo left last keeps its history"
    assert by_bytes.give_back(_doc(3, _left_with_a_saved_edit(3)[2]), {"garment": 3}) == ["garment"]


def test_budgets_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        KeptHistories(max_photos=0)


def test_keeping_never_reads_a_mask_not_read_yet():
    """A large photo's other tasks are read on first use: leaving it must not read them (a
    damaged saved file raised out of the window's close)."""

    def damaged() -> np.ndarray:
        raise AssertionError("read")

    v2 = np.zeros(SHAPE, np.uint8)
    doc = AnnotationDocument(
        7, np.zeros((*SHAPE, 3), np.uint8), {"garment": v2.copy(), "parsing": damaged}
    )
    doc.mark_saved(["garment"])
    doc.apply("garment", _paint, slice(20, 30))
    doc.mark_saved(["garment"])
    kept = KeptHistories()
    kept.keep(doc, {"garment": 3, "parsing": 1})
    again = AnnotationDocument(
        7,
        np.zeros((*SHAPE, 3), np.uint8),
        {"garment": doc.masks["garment"].copy(), "parsing": damaged},
    )
    again.mark_saved(["garment"])
    assert kept.give_back(again, {"garment": 3, "parsing": 1}) == ["garment"]
