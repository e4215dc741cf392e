"""A photo's proposal is a function of the photo, the model and the settings alone.

A hand test (studio head, week trial): mannequin_05's untouched parsing proposal changed between
two sessions. At the first opening the superpixels were still being computed, so the garment
proposal left out ``snap`` and the parsing proposal agreed with that garment mask; at the next
opening they were cached, and both proposals came out differently. QA scores saved masks
against "the proposal shown", so the same photo must always get the same proposal.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from fashion_annotator.core.images import load_image
from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.ui.annotate.proposal_source import ProposalSource

PHOTO = Path(__file__).resolve().parents[2] / "fixtures" / "ccp_small" / "images" / "0002.jpg"
TASKS = ("garment", "parsing7")


def _shown(
    source: ProposalSource, rgb: np.ndarray, regions: np.ndarray | None, order: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Each task's proposal mask of a newly decoded copy of ``rgb`` (another opening: nothing
    of an earlier one is reused), tasks proposed in ``order``."""
    photo = rgb.copy()
    shown = {}
    for task in order:
        result = source.propose(task, photo, regions)
        assert result is not None
        shown[task] = result[1]
    return shown


def test_the_proposals_are_the_same_whether_the_superpixels_were_ready_or_not(tmp_path: Path) -> None:
    rgb = load_image(PHOTO).rgb
    cached = sp.compute_superpixels(rgb).levels[sp.DEFAULT_LEVEL]
    with Project.create(tmp_path / "p", tasks=TASKS) as project:
        source = ProposalSource(project, device="cpu", one_pass=True)  # the shipped models
        for task in project.tasks:
            source.prepare(task)
        # The first opening: no superpixels yet, the garment proposal first (the project's order).
        first = _shown(source, rgb, None, ("garment", "parsing7"))
        # A later one: the superpixels cached, and the parsing proposal (with its garment one) first.
        later = _shown(source, rgb, cached, ("parsing7", "garment"))
    for task in TASKS:
        changed = int((first[task] != later[task]).sum())
        assert changed == 0, f"{task}: {changed} pixels differ between the two openings"
    assert (first["garment"] == 1).any() and (first["parsing7"] > 0).any()


def test_the_window_proposal_waits_for_the_superpixel_job_and_never_computes_them_twice() -> None:
    """The window's superpixel job and proposal share a :class:`PhotoRegions`: a proposal that
    needs them takes the job's (computed once); one that does not never waits."""
    from fashion_annotator.segmentation.photo_regions import PhotoRegions

    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, 30:] = 200
    calls: list[int] = []
    started = threading.Event()

    def slow(photo: np.ndarray) -> sp.SuperpixelHierarchy:
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return sp.compute_superpixels(photo)

    shared = PhotoRegions(rgb, compute=slow)
    job = threading.Thread(target=shared.hierarchy)
    job.start()
    started.wait(5)
    mask = np.zeros((40, 60), np.uint8)
    mask[:, 28:] = 1
    proposal = pipeline.Proposal(mask, np.stack([1.0 - mask, mask]).astype(np.float32), "garment")
    snapped = pipeline.refine_proposal(proposal, rgb, shared, ("snap",))
    job.join()
    assert calls == [1] and shared.ready
    assert snapped.refinements == ("snap",)
    np.testing.assert_array_equal(snapped.mask, pipeline.refine_proposal(proposal, rgb, shared(), ("snap",)).mask)
    # a chain without superpixels never asks for them (a parsing proposal never waits)
    untouched = PhotoRegions(rgb, compute=lambda photo: (_ for _ in ()).throw(AssertionError("computed")))
    assert pipeline.refine_proposal(proposal, rgb, untouched, ("clean",)).refinements == ("clean",)
    assert not untouched.ready
    # a cached hierarchy of another photo's shape is not used
    other = sp.compute_superpixels(np.zeros((20, 20, 3), np.uint8))
    assert not PhotoRegions(rgb, other).ready
