"""A very large photo's proposal never waits for the photo's own superpixels.

Review 52b: a photo longer than 2048 px is proposed on a 2048 px copy, but its proposal waited
for the full-resolution superpixels (about 29 s on a 54 MP photo) only to shrink them, and
computed them itself, beside the superpixel job, when that job had not started. The copy's
refinements now use the copy's own superpixels: seconds, and the same whatever was cached.
"""

from __future__ import annotations

import numpy as np

from fashion_annotator.segmentation import large_photos as large
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.photo_regions import PhotoRegions


class _Stub:
    """A garment model refined with ``snap``: a rectangle a little off the photo's block."""

    task = "garment"
    is_binary = True
    meta = {"refinements": ["snap"]}

    def set_image(self, rgb: np.ndarray) -> None:
        self.shape = rgb.shape[:2]

    def predict(self) -> pipeline.Proposal:
        h, w = self.shape
        mask = np.zeros((h, w), np.uint8)
        mask[h // 4 : 3 * h // 4 + 7, w // 4 - 5 : 3 * w // 4] = 1
        return pipeline.Proposal(mask, np.stack([1.0 - mask, mask]).astype(np.float32), "garment")


def _photo() -> np.ndarray:
    rgb = np.random.default_rng(3).integers(0, 40, (2400, 1600, 3)).astype(np.uint8)
    rgb[600:1800, 400:1200] += 180
    return rgb


def test_a_large_photo_proposal_uses_its_copy_superpixels_only_and_is_reproducible() -> None:
    rgb = _photo()
    small = large.working_shape(rgb.shape[:2])
    assert small is not None
    shapes: list[tuple[int, ...]] = []

    def counting(photo: np.ndarray) -> sp.SuperpixelHierarchy:
        shapes.append(photo.shape[:2])
        return sp.compute_superpixels(photo)

    shared = PhotoRegions(rgb, compute=counting)
    first = pipeline.propose(rgb, _Stub(), regions=shared, compute_regions=False)
    again = pipeline.propose(rgb, _Stub(), regions=shared, compute_regions=False)  # the photo's next task
    assert shapes == [small], "the proposal computed the full-resolution superpixels"
    assert not shared.ready  # the superpixel job computes the photo's own
    assert first.refinements == ("snap",) and first.mask.shape == rgb.shape[:2]
    # another opening, whatever is known of the photo's superpixels: the same proposal
    reopened = pipeline.propose(rgb.copy(), _Stub(), regions=PhotoRegions(rgb.copy()), compute_regions=False)
    cached = np.zeros(rgb.shape[:2], np.int32)  # the full-resolution level, never read
    given = pipeline.propose(rgb, _Stub(), regions=cached)
    computed = pipeline.propose(rgb, _Stub())
    for other in (again, reopened, given, computed):
        np.testing.assert_array_equal(other.mask, first.mask)
