"""A document's masks read on first use: once, checked, in task order, never an empty stand-in."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.lazy_masks import LazyMasks


def _counting_reader(mask: np.ndarray, calls: list[str], name: str):
    def read() -> np.ndarray:
        calls.append(name)
        return mask.copy()

    return read


def test_a_reader_is_called_once_on_first_use_and_its_mask_kept() -> None:
    saved = np.zeros((6, 8), np.uint8)
    saved[1:4, 2:5] = 3
    calls: list[str] = []
    given = np.ones((6, 8), np.uint8)
    masks = LazyMasks(
        "image 7", (6, 8), {"garment": given, "parsing7": _counting_reader(saved, calls, "p")}
    )
    assert list(masks) == ["garment", "parsing7"] and len(masks) == 2
    assert "parsing7" in masks and "shoes" not in masks
    assert masks.is_read("garment") and not masks.is_read("parsing7") and calls == []
    assert masks["garment"] is not given  # given arrays are copied
    first = masks["parsing7"]
    np.testing.assert_array_equal(first, saved)
    assert masks["parsing7"] is first and masks.get("parsing7") is first and calls == ["p"]
    assert masks.is_read("parsing7")
    first[0, 0] = 5  # the document owns it: writable, kept
    assert masks["parsing7"][0, 0] == 5
    with pytest.raises(KeyError):
        masks["shoes"]


def test_values_and_items_read_every_mask() -> None:
    calls: list[str] = []
    saved = np.full((3, 3), 2, np.uint8)
    masks = LazyMasks("image 1", (3, 3), {"a": _counting_reader(saved, calls, "a"), "b": saved})
    assert [m.tolist() for m in masks.values()] == [saved.tolist()] * 2 and calls == ["a"]
    assert dict(masks.items()).keys() == {"a", "b"}


def test_a_read_only_mask_from_a_reader_is_made_writable() -> None:
    frozen = np.zeros((4, 4), np.uint8)
    frozen.flags.writeable = False
    masks = LazyMasks("image 2", (4, 4), {"a": lambda: frozen})
    assert masks["a"].flags.writeable and masks["a"].flags.c_contiguous


def test_a_bad_mask_from_a_reader_names_the_image_and_task_and_is_read_again() -> None:
    calls: list[str] = []
    masks = LazyMasks(
        "image 9", (5, 5), {"parsing7": _counting_reader(np.zeros((4, 5), np.uint8), calls, "p")}
    )
    with pytest.raises(
        ValueError,
        match=r"image 9 task 'parsing7': mask shape \(4, 5\) does not match photo shape \(5, 5\)",
    ):
        masks["parsing7"]
    assert not masks.is_read("parsing7")
    with pytest.raises(ValueError, match="image 9"):
        masks["parsing7"]
    assert calls == ["p", "p"]  # never replaced by an empty mask


def test_concurrent_first_reads_read_once() -> None:
    calls: list[str] = []
    gate = threading.Event()
    saved = np.arange(64, dtype=np.uint8).reshape(8, 8)

    def slow() -> np.ndarray:
        gate.wait(2)
        calls.append("x")
        return saved.copy()

    masks = LazyMasks("image 3", (8, 8), {"a": slow})
    got: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: got.append(masks["a"])) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == ["x"] and all(g is got[0] for g in got)


def test_a_document_edits_and_undoes_a_mask_read_on_first_use() -> None:
    saved = np.zeros((20, 30), np.uint8)
    saved[5:15, 5:25] = 2
    doc = AnnotationDocument(1, np.zeros((20, 30, 3), np.uint8),
                             {"garment": np.zeros((20, 30), np.uint8), "parsing7": lambda: saved.copy()})  # fmt: skip
    assert doc.tasks == ["garment", "parsing7"] and not doc.masks.is_read("parsing7")
    doc.begin_stroke("parsing7", 4, 2.0)
    doc.extend_stroke("parsing7", [(10, 10)])
    doc.end_stroke("parsing7")
    assert doc.masks["parsing7"][10, 10] == 4 and doc.unsaved == {"parsing7"}
    doc.undo("parsing7")
    np.testing.assert_array_equal(doc.masks["parsing7"], saved)


def test_given_masks_are_kept_without_a_copy_when_asked() -> None:
    mine = np.zeros((4, 6), np.uint8)
    frozen = np.ones((4, 6), np.uint8)
    frozen.flags.writeable = False
    masks = LazyMasks("image 4", (4, 6), {"a": mine, "b": frozen}, copy=False)
    assert masks["a"] is mine  # the caller gave it up: no 50 MB copy at 50 megapixels
    assert masks["b"] is not frozen and masks["b"].flags.writeable
    with pytest.raises(ValueError, match="image 4 task 'a'"):
        LazyMasks("image 4", (5, 6), {"a": mine}, copy=False)
