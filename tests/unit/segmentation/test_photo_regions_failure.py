"""A photo whose superpixels cannot be computed still gets its proposals.

Review 52b: once proposals waited for the photo's superpixels, a failure to compute them (a
MemoryError on a 54 MP photo) made every proposal of the photo fail too, each computing them
again first. The failure is now kept, and the proposals leave out the refinements that need
superpixels, as they did before they waited for them.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.photo_regions import PhotoRegions


class _Stub:
    """A garment model whose proposal is a fixed mask, refined with ``snap`` and ``clean``."""

    task = "garment"
    is_binary = True
    meta = {"refinements": ["snap", "clean"]}

    def set_image(self, rgb: np.ndarray) -> None:
        self.shape = rgb.shape[:2]

    def predict(self) -> pipeline.Proposal:
        mask = np.zeros(self.shape, np.uint8)
        mask[10:50, 10:50] = 1
        return pipeline.Proposal(mask, np.stack([1.0 - mask, mask]).astype(np.float32), "garment")


def test_a_superpixel_failure_is_computed_once_and_the_proposal_comes_without_snap() -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (64, 64, 3)).astype(np.uint8)
    calls: list[int] = []
    release = threading.Event()

    def boom(_rgb: np.ndarray) -> sp.SuperpixelHierarchy:
        calls.append(1)
        release.wait(5)
        raise MemoryError("superpixels: out of memory")

    shared = PhotoRegions(rgb, compute=boom)
    failures: list[BaseException] = []

    def wait() -> None:
        try:
            shared.hierarchy()
        except MemoryError as exc:
            failures.append(exc)

    waiters = [threading.Thread(target=wait) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    release.set()
    for waiter in waiters:
        waiter.join(10)
    assert calls == [1] and len(failures) == 3
    with pytest.raises(MemoryError):
        shared()
    for _ in range(2):  # the garment proposal, then the parsing one's garment cutout
        proposal = pipeline.propose(rgb, _Stub(), regions=shared, compute_regions=False)
        assert proposal.refinements == ("clean",)
        assert (proposal.mask == 1).any()
    assert calls == [1]
