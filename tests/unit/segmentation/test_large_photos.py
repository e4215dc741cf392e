"""Very large photos are proposed on a copy (a 6000x9000 photo's proposal took 91 s in the
window, every refinement over 54 million pixels); photos up to the copy's side as before."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fashion_annotator.segmentation import large_photos as large
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation.consistency import compatibility, make_consistent


class _Stub:
    """A parsing7 "model" whose mask is the photo's red channel in 7 bands; it records the
    photo sizes it was given."""

    task = "parsing7"
    meta: dict = {}

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def set_image(self, rgb: np.ndarray) -> None:
        self.seen.append(rgb.shape)
        self.rgb = rgb

    def predict(self) -> pipeline.Proposal:
        mask = (self.rgb[..., 0] // 37).astype(np.uint8)
        probs = np.stack([(mask == k).astype(np.float32) for k in range(7)])
        return pipeline.Proposal(mask, probs, self.task, "stub")


def _photo(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[:h, :w]
    red = ((x * 255) // w).astype(np.uint8)
    return np.dstack([red, (y % 256).astype(np.uint8), np.zeros_like(red)])


def test_a_very_large_photo_is_proposed_on_a_copy_and_enlarged() -> None:
    stub = _Stub()
    rgb = _photo(4500, 3000)
    proposal = pipeline.propose(rgb, stub, refinements=())
    assert stub.seen == [(2048, 1365, 3)], "the model and the refinements see the copy"
    assert proposal.mask.shape == (4500, 3000) and proposal.raw_mask.shape == (4500, 3000)
    assert proposal.shrunk is not None and proposal.shrunk.mask.shape == (2048, 1365)
    expected = (rgb[..., 0] // 37).astype(np.uint8)
    assert (proposal.mask == expected).mean() > 0.995, "nearest enlargement: edges within a pixel"
    where = np.zeros((4500, 3000), bool)
    where[::97, ::89] = True
    scores = proposal.scores_at(where)
    assert scores.shape == (7, int(where.sum()))
    assert (scores.argmax(axis=0) == proposal.mask[where]).all(), "scores read on the copy, in order"


def test_a_studio_photo_is_proposed_as_it_is() -> None:
    stub = _Stub()
    rgb = _photo(1728, 1152)
    proposal = pipeline.propose(rgb, stub, refinements=())
    assert stub.seen == [(1728, 1152, 3)] and proposal.shrunk is None
    assert (proposal.mask == (rgb[..., 0] // 37)).all()


def test_a_large_photo_agrees_with_its_cutouts_on_the_copy(monkeypatch) -> None:
    sizes = []
    agree = pipeline.make_consistent
    monkeypatch.setattr(pipeline, "make_consistent", lambda mask, *a: sizes.append(mask.shape) or agree(mask, *a))
    rgb = _photo(3000, 2400)
    proposal = pipeline.propose(rgb, _Stub(), refinements=())
    person = np.zeros((3000, 2400), bool)
    person[:, :1200] = True
    agreed = pipeline.with_cutouts(proposal, {"person": person})
    assert sizes == [proposal.shrunk.mask.shape] and max(sizes[0]) == large.PROPOSE_MAX_SIDE
    assert agreed.mask.shape == (3000, 2400) and "cutouts" in agreed.refinements
    assert (agreed.mask[:, 1300:] == 0).all(), "no person class outside the person cutout"


def test_a_curved_cutout_edge_is_agreed_with_at_full_size() -> None:
    """The copy's cutouts enlarged are not the photo's along a curved edge (3100 -> 2048 is no
    whole ratio): the enlarged agreement is applied again with the photo's own cutouts."""
    shape = (3100, 2300)
    proposal = pipeline.propose(_photo(*shape), _Stub(), refinements=())
    y, x = np.ogrid[: shape[0], : shape[1]]
    person = (x - 1150) ** 2 / 900**2 + (y - 1550) ** 2 / 1400**2 < 1
    garment = (x - 1150) ** 2 / 500**2 + (y - 1400) ** 2 / 800**2 < 1
    cutouts = {"person": person, "garment": garment}
    agreed = pipeline.with_cutouts(proposal, cutouts)
    assert agreed.mask.shape == shape and "cutouts" in agreed.refinements
    assert int(np.count_nonzero(agreed.mask[~person])) == 0, "no person class outside the person cutout"
    small = {name: large.resize_labels(m, proposal.shrunk.mask.shape) for name, m in cutouts.items()}
    big = pipeline.enlarged(pipeline.with_cutouts(proposal.shrunk, small), shape)
    pairs = [(m, compatibility("parsing7", name)) for name, m in cutouts.items()]
    full_size_rule = make_consistent(big.mask, pairs, big.scores_at)
    assert (big.mask != full_size_rule).any(), "the copy's edges differ from the photo's"
    assert (agreed.mask == full_size_rule).all(), "as the full-resolution rule on the enlarged inputs"


@pytest.mark.parametrize("shape", [(2048, 1365), (9000, 6000), (5, 7000)])
def test_a_copy_enlarged_and_shrunk_back_is_itself(shape) -> None:
    small = large.working_shape(shape) or shape
    labels = np.random.default_rng(0).integers(0, 9, small, dtype=np.uint8)
    big = large.resize_labels(labels, shape)
    assert big.shape == shape and (large.resize_labels(big, small) == labels).all()


@pytest.mark.parametrize(
    ("src", "dst"), [(2048, 6000), (2048, 9000), (2048, 2049), (2048, 4097), (6000, 2048), (9000, 2048),
                     (2049, 2048), (4097, 2048), (1365, 4000)])  # fmt: skip
def test_nearest_source_is_the_index_inter_nearest_exact_takes(src: int, dst: int) -> None:
    ramp = np.arange(src, dtype=np.int32)
    rows = cv2.resize(ramp.reshape(-1, 1), (1, dst), interpolation=cv2.INTER_NEAREST_EXACT)[:, 0]
    cols = cv2.resize(ramp.reshape(1, -1), (dst, 1), interpolation=cv2.INTER_NEAREST_EXACT)[0]
    got = large.nearest_source(np.arange(dst), src, dst)
    assert got.dtype == np.intp
    np.testing.assert_array_equal(got, rows)
    np.testing.assert_array_equal(got, cols)
    picked = np.array([dst - 1, 0, dst // 2])
    np.testing.assert_array_equal(large.nearest_source(picked, src, dst), rows[picked])


def test_scores_read_at_full_size_come_from_the_copy_pixel_of_the_enlarged_mask() -> None:
    shape = (6000, 4000)
    small = large.working_shape(shape)
    assert small == (2048, 1365)
    labels = np.random.default_rng(0).integers(0, 7, small, dtype=np.uint8)

    def scores_at(where: np.ndarray) -> np.ndarray:
        return labels[where][None].astype(np.float32)

    mask = large.resize_labels(labels, shape)
    where = np.zeros(shape, bool)
    where[::7, ::5] = True
    where[1500:1600, :] = True
    scores = large.enlarged_scores(scores_at, small, shape)(where)
    np.testing.assert_array_equal(scores[0], mask[where].astype(np.float32))
