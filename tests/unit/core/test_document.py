"""AnnotationDocument: strokes as single undo steps, apply, proposals, counters."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox, fill_polygon, flood_fill


def make_doc(proposal: bool = True) -> AnnotationDocument:
    rgb = np.zeros((20, 30, 3), np.uint8)
    masks = {"garment": np.zeros((20, 30), np.uint8), "parsing7": np.zeros((20, 30), np.uint8)}
    prop = np.zeros((20, 30), np.uint8)
    prop[5:10, 5:15] = 1
    return AnnotationDocument(7, rgb, masks, {"garment": prop if proposal else None})


def test_stroke_is_one_undo_step():
    doc = make_doc()
    doc.begin_stroke("garment", 1, 1.0)
    boxes = [doc.extend_stroke("garment", np.array([[x, 10.0]])) for x in (2, 6, 10, 14)]
    assert boxes[0] == BBox(9, 1, 12, 4)
    # consecutive calls are joined: a continuous line from x=2 to x=14
    assert (doc.masks["garment"][10, 2:15] == 1).all()
    assert doc.end_stroke("garment")
    assert doc.actions == 1 and doc.dirty
    box = doc.undo("garment")
    assert box == BBox(9, 1, 12, 16)
    assert not doc.masks["garment"].any()
    assert not doc.can_undo("garment") and doc.can_redo("garment")
    assert doc.redo("garment") == box
    assert doc.masks["garment"][10, 14] == 1
    assert doc.actions == 1  # undo and redo are not edit steps


def test_empty_stroke_records_nothing():
    doc = make_doc()
    doc.begin_stroke("garment", 0, 3.0)  # erasing an empty mask
    assert doc.extend_stroke("garment", np.array([[5.0, 5.0], [9.0, 9.0]])) is None
    assert not doc.end_stroke("garment")
    assert doc.actions == 0 and not doc.dirty and not doc.can_undo("garment")
    with pytest.raises(RuntimeError, match="without begin_stroke"):
        doc.extend_stroke("garment", np.array([[1.0, 1.0]]))


def test_apply_wraps_ops_and_tasks_are_independent():
    doc = make_doc()
    square = np.array([[0, 0], [9, 0], [9, 9], [0, 9]], float)
    assert doc.apply("parsing7", fill_polygon, square, 3) == BBox(0, 0, 10, 10)
    assert doc.apply("parsing7", flood_fill, (20, 15), label=2) == BBox(0, 0, 20, 30)
    assert doc.actions == 2
    assert doc.apply("parsing7", flood_fill, (20, 15), label=2) is None
    assert doc.actions == 2
    assert not doc.can_undo("garment")
    doc.undo("parsing7")
    assert (doc.masks["parsing7"][:10, :10] == 3).all() and doc.masks["parsing7"][15, 20] == 0


def test_failed_apply_rolls_back():
    doc = make_doc()

    def half_edit(mask):
        mask[0] = 9
        raise ValueError("broken op")

    with pytest.raises(ValueError, match="broken op"):
        doc.apply("garment", half_edit)
    assert not doc.masks["garment"].any() and not doc.can_undo("garment")


def test_accept_proposal_and_mark_saved():
    doc = make_doc()
    box = doc.accept_proposal("garment")
    assert box == BBox(5, 5, 10, 15)
    np.testing.assert_array_equal(doc.masks["garment"], doc.proposals["garment"])
    assert doc.accept_proposal("garment") is None
    assert doc.accept_proposal("parsing7") is None
    doc.mark_saved()
    assert not doc.dirty and doc.can_undo("garment")
    doc.undo("garment")
    assert doc.dirty and not doc.masks["garment"].any()


def test_add_time_and_inputs_are_copied():
    masks = {"garment": np.zeros((4, 4), np.uint8)}
    doc = AnnotationDocument("a", np.zeros((4, 4, 3), np.uint8), masks, {})
    doc.apply("garment", flood_fill, (0, 0), 1)
    assert not masks["garment"].any()
    doc.add_time(1.5)
    doc.add_time(2)
    assert doc.seconds == 3.5
    with pytest.raises(ValueError, match="non-negative"):
        doc.add_time(-1)


def test_bad_inputs_name_the_problem():
    rgb = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="image 3 task 'garment'.*does not match"):
        AnnotationDocument(3, rgb, {"garment": np.zeros((5, 4), np.uint8)}, {})
    with pytest.raises(ValueError, match="uint8"):
        AnnotationDocument(3, rgb, {"garment": np.zeros((4, 4), np.int64)}, {})
    with pytest.raises(ValueError, match="proposal"):
        AnnotationDocument(
            3, rgb, {"garment": np.zeros((4, 4), np.uint8)}, {"garment": np.zeros((2, 2), np.uint8)}
        )
    with pytest.raises(KeyError, match="no mask for task 'person'"):
        make_doc().undo("person")


def test_redo_during_a_stroke_ends_the_stroke_first():
    doc = make_doc()
    doc.apply("garment", fill_polygon, np.array([[0, 0], [9, 0], [9, 9], [0, 9]]), 2)
    doc.undo("garment")
    doc.begin_stroke("garment", 1, 1.0)
    doc.extend_stroke("garment", np.array([[20.0, 15.0], [25.0, 15.0]]))
    # The stroke becomes its own step, which drops the redo stack as any new edit does.
    assert doc.redo("garment") is None
    assert not doc.end_stroke("garment")
    assert doc.actions == 2 and (doc.masks["garment"][15, 20:26] == 1).all()
    assert doc.undo("garment") is not None
    assert not doc.masks["garment"].any()


def test_changes_are_announced_and_unsaved_is_one_record():
    doc = AnnotationDocument(
        1, np.zeros((20, 30, 3), np.uint8), {"garment": np.zeros((20, 30), np.uint8)}
    )
    seen = []
    stop = doc.subscribe(lambda task, box, committed: seen.append((task, committed)))
    doc.begin_stroke("garment", 1, 2.0)
    doc.extend_stroke("garment", np.array([[5.0, 5.0], [10.0, 5.0]]))
    assert seen == [("garment", False)] and not doc.unsaved  # live pixels, no step yet
    doc.end_stroke("garment")
    assert seen[-1] == ("garment", True) and doc.unsaved == {"garment"} and doc.dirty
    doc.mark_saved(["garment"])
    assert not doc.dirty
    doc.undo("garment")
    assert seen[-1] == ("garment", True) and doc.unsaved == {"garment"}
    stop()
    doc.redo("garment")
    assert len(seen) == 3


def test_a_starting_mask_from_the_model_is_the_base_of_the_history_not_an_edit():
    """Ctrl+Z took the starting proposal away (twice over when a newer proposal arrived): the
    empty mask counted as the operator's edit and "accept" saved it as done."""
    doc = AnnotationDocument(
        1, np.zeros((8, 8, 3), np.uint8), {"garment": np.zeros((8, 8), np.uint8)}
    )
    proposal = np.zeros((8, 8), np.uint8)
    proposal[2:6, 2:6] = 1
    assert doc.start_from("garment", proposal) is not None
    newer = proposal.copy()
    newer[0, 0] = 1
    assert doc.start_from("garment", newer) is not None  # a fresher proposal before any edit
    assert doc.masks["garment"].sum() == 17
    assert doc.actions == 0 and not doc.dirty and not doc.can_undo("garment")
    assert doc.undo("garment") is None and doc.masks["garment"].sum() == 17 and not doc.dirty
    doc.apply("garment", fill_polygon, np.array([[6.0, 6.0], [7.9, 6.0], [7.9, 7.9]]), 2)  # an edit
    assert doc.can_undo("garment")
    doc.undo("garment")
    np.testing.assert_array_equal(doc.masks["garment"], newer)


def test_undoing_every_kept_step_after_older_ones_were_dropped_is_not_the_saved_mask() -> None:
    """A code review: with the undo memory full, old steps are dropped but stay in the mask;
    undoing the rest made the document read as the saved mask, and the window dropped its
    journal entry and saved nothing (46,778 edited pixels lost in the demonstration)."""
    from fashion_annotator.core import masks as mask_ops

    saved = np.zeros((100, 100), np.uint8)
    doc = AnnotationDocument(1, np.zeros((100, 100, 3), np.uint8), {"garment": saved.copy()})
    doc.mark_saved(["garment"])
    doc.history["garment"].max_bytes = 3 * 2 * 100 * 100  # a few full-frame steps
    square = np.array([[0, 0], [99, 0], [99, 99], [0, 99]])
    for label in (1, 2, 1, 2):
        doc.apply("garment", mask_ops.fill_polygon, square, label)
    assert doc.history["garment"].last_serial() == 4
    while doc.undo("garment") is not None:
        pass
    assert not np.array_equal(doc.masks["garment"], saved)
    assert doc.history["garment"].last_serial() != 0 and not doc.is_clean("garment")


def test_undo_and_redo_back_to_the_opened_or_saved_mask_leave_nothing_unsaved() -> None:
    """A hand test: undoing every edit back to what the image opened with (the model's start,
    an empty never-saved mask) still read "Unsaved", and the autosave stored the proposal as a
    new version. Dirty means: differs from the last saved state, or, never saved, the opened one."""
    doc = make_doc()
    doc.mark_clean(["garment", "parsing7"])  # as the image opened: nothing of the operator's
    doc.start_from("garment", doc.proposal("garment"))
    start = doc.masks["garment"].copy()
    corner = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
    assert doc.is_clean("garment") and not doc.dirty
    doc.apply("garment", fill_polygon, corner, 2)
    doc.apply("parsing7", fill_polygon, corner, 3)
    assert doc.unsaved == {"garment", "parsing7"}
    doc.undo("parsing7")
    assert doc.unsaved == {"garment"} and not doc.masks["parsing7"].any()
    doc.undo("garment")
    assert not doc.dirty and doc.is_clean("garment")
    np.testing.assert_array_equal(doc.masks["garment"], start)
    doc.redo("garment")
    assert doc.unsaved == {"garment"}
    # a save in the middle of the history: back at it is clean, on either side it is not
    doc.mark_saved(["garment"])
    doc.apply("garment", fill_polygon, corner + 10, 3)
    assert doc.unsaved == {"garment"}
    doc.undo("garment")
    assert not doc.dirty
    doc.undo("garment")  # the start again: no longer what the store holds
    assert doc.unsaved == {"garment"} and not doc.is_clean("garment")
    doc.redo("garment")
    assert not doc.dirty
    doc.redo("garment")
    assert doc.unsaved == {"garment"}
    # a new edit after an undo drops the redo: the state it left is not clean, even undone
    doc.undo("garment")
    doc.undo("garment")
    doc.apply("garment", fill_polygon, corner + 5, 1)
    doc.undo("garment")
    assert doc.unsaved == {"garment"}, "the start, not the saved mask"


def test_a_task_whose_opened_state_is_forgotten_is_never_clean() -> None:
    """A saved mask opened at an older version than the store's latest (a damaged file passed
    over): an edit undone back to it still saves a new version on top."""
    doc = make_doc()
    doc.mark_saved(["garment"])
    doc.forget_clean("garment")
    doc.apply("garment", fill_polygon, np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0]]), 2)
    doc.undo("garment")
    assert doc.unsaved == {"garment"}


def test_a_history_is_never_adopted_by_a_mask_opened_at_an_older_version() -> None:
    """An earlier document's steps were made on the latest version's pixels: a mask opened at
    an older one (no clean state) refuses them, since adopting put its clean state back."""
    left = make_doc()
    left.mark_saved(["garment"])
    left.apply("garment", fill_polygon, np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0]]), 1)
    left.mark_saved(["garment"])
    again = make_doc()
    again.mark_saved(["parsing7"])  # garment opened at an older version: not marked
    assert not again.has_clean_state("garment")
    with pytest.raises(ValueError, match="latest saved version"):
        again.adopt_history("garment", left.task_history("garment"))
    assert not again.can_undo("garment")


def test_an_edit_that_puts_the_saved_pixels_back_leaves_nothing_unsaved() -> None:
    """A hand test: a stroke erased again by a second stroke, or a region click taken back by
    the opposite click, left the window "Unsaved" (closing asked to save) though the mask was
    the saved one. Clean follows the pixels of every task; a pixel of difference, another
    task's edit or a Smart click still standing (saved with the mask) keeps it unsaved."""
    from fashion_annotator.core.masks import assign_regions

    doc = make_doc()
    doc.mark_saved()
    path = np.array([[3.0, 12.0], [25.0, 12.0]])
    doc.begin_stroke("garment", 1, 2.0)
    doc.extend_stroke("garment", path)
    doc.end_stroke("garment")
    assert doc.unsaved == {"garment"}
    doc.begin_stroke("garment", 0, 3.0)  # the eraser over the same pixels
    doc.extend_stroke("garment", path)
    assert not doc.is_clean("garment"), "a stroke still being drawn is no saved state"
    doc.end_stroke("garment")
    assert not doc.dirty and doc.is_clean("garment") and doc.can_undo("garment")
    assert doc.actions == 2  # the work was done all the same
    regions = np.zeros((20, 30), np.int32)
    regions[:, 15:] = 1
    doc.apply("garment", assign_regions, regions, np.array([1]), 4)
    assert doc.unsaved == {"garment"}
    doc.apply("garment", assign_regions, regions, np.array([1]), 0)  # the opposite click
    assert not doc.dirty
    doc.undo("garment")
    assert doc.unsaved == {"garment"}
    doc.redo("garment")
    assert not doc.dirty
    # a real difference stays unsaved: a pixel left over
    doc.begin_stroke("garment", 2, 2.0)
    doc.extend_stroke("garment", path)
    doc.end_stroke("garment")
    doc.begin_stroke("garment", 0, 2.0)
    doc.extend_stroke("garment", path[:, :] - [[0.0, 0.0], [1.0, 0.0]])
    doc.end_stroke("garment")
    assert doc.unsaved == {"garment"} and doc.masks["garment"].any()
    doc.undo("garment")
    doc.undo("garment")
    assert not doc.dirty
    # another task's edit is its own: restoring one task leaves the other unsaved
    doc.apply("parsing7", fill_polygon, np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0]]), 3)
    doc.apply("garment", fill_polygon, np.array([[9.0, 9.0], [14.0, 9.0], [14.0, 14.0]]), 1)
    doc.apply("garment", fill_polygon, np.array([[9.0, 9.0], [14.0, 9.0], [14.0, 14.0]]), 0)
    assert doc.unsaved == {"parsing7"} and not doc.is_clean("parsing7")
    # a Smart click still standing is saved with the mask (the click trainer's data)
    doc.apply("garment", fill_polygon, np.array([[9.0, 9.0], [14.0, 9.0], [14.0, 14.0]]), 1)
    step = doc.history["garment"].last_serial()
    doc.click_log["garment"] = [{"kind": "click", "y": 11, "x": 12, "positive": True, "label": 1, "step": step}]
    doc.apply("garment", fill_polygon, np.array([[9.0, 9.0], [14.0, 9.0], [14.0, 14.0]]), 0)
    assert doc.unsaved == {"garment", "parsing7"}
    doc.undo("garment")
    doc.undo("garment")  # the click undone: nothing of it is saved
    assert doc.unsaved == {"parsing7"} and not doc.standing_clicks("garment")
