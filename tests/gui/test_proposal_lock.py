"""A proposal waiting for its photo's superpixels never keeps the window waiting.

Review 52b: the proposal thread waited for the superpixels (about 29 s on a 54 MP photo) while
holding the predictor lock, which the GUI thread takes in ``ProposalSource.reload()`` (fast
proposals toggled, a model promoted, every photo opening): the window froze meanwhile. The lock
is now held for the network alone.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.photo_regions import PhotoRegions
from fashion_annotator.ui.annotate.proposal_source import ProposalSource


class _Stub:
    """A garment model refined with ``snap`` (so its proposal waits for the superpixels)."""

    task = "garment"
    is_binary = True
    meta = {"refinements": ["snap"]}

    def set_image(self, rgb: np.ndarray) -> None:
        self.shape = rgb.shape[:2]

    def predict(self) -> pipeline.Proposal:
        mask = np.zeros(self.shape, np.uint8)
        mask[8:24, 8:24] = 1
        return pipeline.Proposal(mask, np.stack([1.0 - mask, mask]).astype(np.float32), "garment")


def test_reload_does_not_wait_for_a_proposal_waiting_for_superpixels(tmp_path: Path) -> None:
    rgb = np.random.default_rng(1).integers(0, 255, (32, 32, 3)).astype(np.uint8)
    computing, release = threading.Event(), threading.Event()

    def held(photo: np.ndarray) -> sp.SuperpixelHierarchy:
        computing.set()
        release.wait(30)
        return sp.compute_superpixels(photo)

    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        source = ProposalSource(project, use_shipped=False)
        source._predictors["garment"] = _Stub()  # type: ignore[assignment]
        regions = PhotoRegions(rgb, compute=held)
        results: list[object] = []
        proposing = threading.Thread(target=lambda: results.append(source.propose("garment", rgb, regions)))
        proposing.start()
        try:
            assert computing.wait(10), "the proposal never asked for the superpixels"
            reloading = threading.Thread(target=source.reload)  # what the GUI thread does
            reloading.start()
            reloading.join(5)
            still_held = not release.is_set()
            reloaded = not reloading.is_alive()
        finally:
            release.set()
            proposing.join(30)
            reloading.join(30)
    assert reloaded and still_held, "reload() waited for the proposal's superpixels"
    assert len(results) == 1 and isinstance(results[0], tuple)
    assert results[0][0].refinements == ("snap",)
    assert "garment" not in source._recent  # computed with a model reloaded since: not reused
