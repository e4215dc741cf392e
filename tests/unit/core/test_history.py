"""Undo/redo of mask patches: exact restoration, one step per stroke, memory bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_annotator.core.history import History
from fashion_annotator.core.masks import (
    BBox,
    fill_polygon,
    flood_fill,
    paint_stroke,
    subtract_polygon,
)

H, W = 24, 32


def test_stroke_is_one_step_and_stores_patch_only():
    mask = np.zeros((200, 300), np.uint8)
    hist = History()
    hist.begin(mask)
    box = None
    for x in range(10, 40, 3):
        box = paint_stroke(mask, np.array([[x, 50.0], [x + 3, 50.0]]), 2, 1).union(box)
    assert hist.commit(mask, box)
    assert len(hist) == 1 and hist.can_undo and not hist.can_redo
    assert hist.nbytes == 2 * box.area < mask.nbytes // 50
    assert hist.undo(mask) == box
    assert mask.sum() == 0
    assert hist.redo(mask) == box
    assert (mask[48:53, 10:43] == 1).any()


def test_commit_without_change_records_nothing():
    mask = np.zeros((5, 5), np.uint8)
    hist = History()
    hist.begin(mask)
    assert not hist.commit(mask)
    assert not hist.can_undo
    with pytest.raises(RuntimeError, match="without begin"):
        hist.commit(mask)


def test_commit_compares_only_inside_bbox():
    mask = np.zeros((10, 10), np.uint8)
    hist = History()
    hist.begin(mask)
    mask[0, 0] = 1
    mask[8, 8] = 2
    assert hist.commit(mask, BBox(5, 5, 10, 10))
    assert hist.undo(mask) == BBox(8, 8, 9, 9)
    assert mask[0, 0] == 1 and mask[8, 8] == 0


def test_new_commit_clears_redo():
    mask = np.zeros((6, 6), np.uint8)
    hist = History()
    for value in (1, 2):
        hist.begin(mask)
        mask[value] = value
        hist.commit(mask)
    hist.undo(mask)
    assert hist.can_redo
    hist.begin(mask)
    mask[5] = 9
    hist.commit(mask)
    assert not hist.can_redo
    assert hist.redo(mask) is None
    assert hist.nbytes == 2 * 2 * 6


def test_memory_bound_drops_oldest():
    mask = np.zeros((10, 10), np.uint8)
    hist = History(max_bytes=50)
    for row in range(10):
        hist.begin(mask)
        mask[row] = 1  # 10-pixel patch: 20 bytes per step
        hist.commit(mask)
    assert hist.nbytes <= 50 and len(hist) == 2
    while hist.undo(mask) is not None:
        pass
    assert mask[:8].all() and not mask[8:].any()


def test_serial_before_last_names_the_state_under_the_newest_step():
    """One step between two states of the mask is told from several (a removal of instances
    is linked to its mask edit only when it followed that one edit), steps dropped for
    memory included."""
    mask = np.zeros((10, 10), np.uint8)
    hist = History(max_bytes=50)
    assert hist.serial_before_last() is None
    serials = []
    for row in range(4):
        hist.begin(mask)
        mask[row] = 1  # 20 bytes per step: two steps kept
        hist.commit(mask)
        serials.append(hist.last_serial())
    assert hist.serial_before_last() == serials[2]
    hist.undo(mask)
    assert hist.last_serial() == serials[2] and hist.serial_before_last() == serials[1]
    hist.undo(mask)
    assert hist.serial_before_last() is None


def test_oversized_step_is_kept():
    mask = np.zeros((10, 10), np.uint8)
    hist = History(max_bytes=10)
    hist.begin(mask)
    mask[:] = 3
    assert hist.commit(mask)
    assert len(hist) == 1
    hist.undo(mask)
    assert not mask.any()


def test_shape_mismatch_and_clear():
    hist = History()
    mask = np.zeros((4, 4), np.uint8)
    hist.begin(mask)
    mask[1, 1] = 1
    hist.commit(mask)
    with pytest.raises(ValueError, match="shape"):
        hist.undo(np.zeros((5, 5), np.uint8))
    hist.clear()
    assert not hist.can_undo and hist.nbytes == 0
    hist.begin(np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match="max_bytes"):
        History(max_bytes=0)


coord = st.floats(-4, 36, allow_nan=False)
point = st.tuples(coord, coord)
label = st.integers(0, 4)
edit = st.one_of(
    st.tuples(st.just("paint"), st.lists(point, min_size=1, max_size=5), st.floats(0, 6), label),
    st.tuples(st.just("poly"), st.lists(point, min_size=3, max_size=7), label),
    st.tuples(st.just("subtract"), st.lists(point, min_size=3, max_size=7), label),
    st.tuples(
        st.just("flood"),
        st.tuples(st.integers(0, W - 1), st.integers(0, H - 1)),
        label,
    ),
)


def _apply(mask: np.ndarray, op: tuple) -> BBox | None:
    kind = op[0]
    if kind == "paint":
        return paint_stroke(mask, np.array(op[1]), op[2], op[3])
    if kind == "poly":
        return fill_polygon(mask, np.array(op[1]), op[2])
    if kind == "subtract":
        return subtract_polygon(mask, np.array(op[1]), label=None, background=op[2])
    return flood_fill(mask, op[1], op[2])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    steps=st.lists(st.lists(edit, min_size=1, max_size=3), min_size=1, max_size=8),
    use_bbox=st.booleans(),
)
def test_undo_redo_restores_exactly(seed, steps, use_bbox):
    rng = np.random.default_rng(seed)
    mask = rng.integers(0, 3, size=(H, W), dtype=np.uint8)
    hist = History()
    states = [mask.copy()]
    for step in steps:
        hist.begin(mask)
        box = None
        for op in step:
            changed = _apply(mask, op)
            box = changed.union(box) if changed is not None else box
        changed_any = not np.array_equal(mask, states[-1])
        recorded = hist.commit(mask, box if use_bbox else None)
        assert recorded == changed_any
        if recorded:
            states.append(mask.copy())
    for expected in reversed(states[:-1]):
        assert hist.undo(mask) is not None
        np.testing.assert_array_equal(mask, expected)
    assert hist.undo(mask) is None
    for expected in states[1:]:
        assert hist.redo(mask) is not None
        np.testing.assert_array_equal(mask, expected)
    assert hist.redo(mask) is None


def test_rollback_restores_snapshot():
    mask = np.zeros((4, 4), np.uint8)
    hist = History()
    hist.begin(mask)
    mask[2] = 5
    hist.rollback(mask)
    assert not mask.any() and not hist.in_step and not hist.can_undo
    with pytest.raises(RuntimeError, match="without begin"):
        hist.rollback(mask)


def test_the_mark_follows_the_pixels_not_the_steps():
    """A stroke erased back by a second stroke is the marked mask again, though two steps
    stand; a pixel of difference is not."""
    mask = np.zeros((40, 60), np.uint8)
    hist = History()
    assert not hist.at_mark(mask)  # never marked: nothing is known to be clean
    hist.mark()
    assert hist.at_mark(mask)
    path = np.array([[10.0, 20.0], [50.0, 20.0]])
    for label, radius, clean in ((1, 3.0, False), (0, 5.0, True), (2, 1.0, False)):
        hist.begin(mask)
        assert hist.commit(mask, paint_stroke(mask, path, radius, label))
        assert hist.at_mark(mask) == clean
    hist.undo(mask)
    assert hist.at_mark(mask) and len(hist) == 2
    hist.undo(mask)
    assert not hist.at_mark(mask)
    hist.redo(mask)
    assert hist.at_mark(mask)
    hist.begin(mask)
    assert hist.commit(mask, paint_stroke(mask, np.array([[0.0, 0.0]]), 0.5, 3))
    assert not hist.at_mark(mask)
    hist.mark()
    assert hist.at_mark(mask)
    hist.clear()
    assert not hist.at_mark(mask)


action = st.one_of(
    st.tuples(st.just("edit"), st.lists(edit, min_size=1, max_size=2)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
    st.tuples(st.just("mark")),
)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**16), actions=st.lists(action, min_size=1, max_size=14))
def test_at_mark_is_exactly_the_marked_pixels(seed, actions):
    """Whatever the edits, undos, redos and marks, :meth:`History.at_mark` says whether the
    mask equals the one of the last mark, pixel for pixel (never clean when anything differs)."""
    rng = np.random.default_rng(seed)
    mask = rng.integers(0, 2, size=(H, W), dtype=np.uint8)
    hist = History(max_bytes=4 * H * W)  # steps are dropped for memory too
    hist.mark()
    marked = mask.copy()
    for act in actions:
        if act[0] == "edit":
            hist.begin(mask)
            box = None
            for op in act[1]:
                changed = _apply(mask, (*op[:-1], op[-1] % 2))
                box = changed.union(box) if changed is not None else box
            hist.commit(mask, box)
        elif act[0] == "mark":
            hist.mark()
            marked = mask.copy()
        else:
            getattr(hist, act[0])(mask)
        assert hist.at_mark(mask) == np.array_equal(mask, marked)
