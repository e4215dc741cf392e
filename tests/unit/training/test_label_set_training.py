"""`train --project P --task NAME` for a project's own label set: a model of its classes,
registered as the project's version, and the proposals come from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project
from fashion_annotator.models.weights import read_meta
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation.proposals import load_shown_predictor

#: A tiny network on 64x48 inputs, from scratch, long enough (one step an epoch) to learn the
#: four colours: about five seconds on one thread.
TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--device", "cpu", "--threads", "1",
        "--epochs", "40", "--patience", "100", "--lr", "0.02"]  # fmt: skip


def test_a_label_set_is_trained_registered_and_proposes(label_set_project: Path, capsys) -> None:
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts",
                 "--promote-if-better", *TINY]) == 0  # fmt: skip
    with Project.open(label_set_project) as project:
        (record,) = project.models("garment_parts")
        assert record.version == 1 and record.active, "a first model better than background is promoted"
        assert project.models("garment") == []
        meta = read_meta(record.path)
        assert meta["task"] == "garment_parts"
        assert meta["classes"] == ["background", "garment", "label-tag", "hanger"]
        assert meta["arch"]["out_ch"] == 4
        assert record.metrics["miou"] > 0.5
        predictor = load_shown_predictor("garment_parts", project, "cpu")
        assert predictor.path == record.path
        image = project.images()[0]
        rgb = project.load_photo(image.id).rgb
        proposal = pipeline.propose(rgb, predictor, regions=None, compute_regions=False)
        truth = project.load_mask(image.id, "garment_parts")
        assert proposal.mask.shape == truth.shape and int(proposal.mask.max()) <= 3
        assert (proposal.mask == truth).mean() > 0.85
        assert set(np.unique(proposal.mask)) >= {0, 1, 3}
