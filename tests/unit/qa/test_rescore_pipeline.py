"""QA's "vs current model" scores the very mask the window proposes (one proposal pipeline)."""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from qa_synth import add_photo, square

from fashion_annotator.core.samples import list_samples, read_sample
from fashion_annotator.core.tasks import task_spec
from fashion_annotator.dataset.store import Project
from fashion_annotator.models.weights import meta_path, update_meta
from fashion_annotator.qa.scores import MODEL, predictor_cache_key, rescore_with_model, score_masks
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.segmentation.pipeline import model_refinements, project_superpixels
from fashion_annotator.segmentation.proposals import default_model_path, load_predictor
from fashion_annotator.segmentation.refine import guided_edges
from fashion_annotator.ui.annotate.proposal_source import ProposalSource


def test_rescore_scores_the_window_proposal(tmp_path: Path, ccp_dir: Path) -> None:
    samples = list_samples(ccp_dir, "val")[:2]
    with Project.create(tmp_path / "p", tasks=("garment",), user="qa") as project:
        ids = []
        for sample in samples:
            record = project.add_image(sample.image)
            _, labels = read_sample(sample)
            project.save_mask(record.id, "garment", (labels > 0).astype(np.uint8), status="done")
            ids.append(record.id)

        # What the window shows: the proposal source with the photo's cached superpixels.
        window = ProposalSource(project, device="cpu")
        window.prepare("garment")
        shown = {}
        for image_id in ids:
            rgb = project.load_photo(image_id).rgb
            regions = project_superpixels(project, image_id, rgb).levels[sp.DEFAULT_LEVEL]
            proposal, mask = window.propose("garment", rgb, regions)
            assert proposal.refinements == task_spec("garment").refinements == ("snap", "grabcut", "guided")
            shown[image_id] = mask

        kept = {}
        predictor = load_predictor("garment", project, device="cpu")
        rows = rescore_with_model(
            project, "garment", predictor, keep=lambda i, m: kept.setdefault(i, m)
        )
        taxonomy = project.taxonomy("garment")
        for row in rows:
            np.testing.assert_array_equal(kept[row.image_id], shown[row.image_id])
            saved = project.load_mask(row.image_id, "garment")
            assert row.reference == MODEL
            assert row.score == score_masks(shown[row.image_id], saved, taxonomy).score
        # The refinements changed something: the raw network output would score differently.
        raw = predictor.predict_batch([project.load_photo(ids[0]).rgb])[0].mask
        assert not np.array_equal(raw, shown[ids[0]])


def test_a_project_model_proposes_with_the_refinements_its_retrain_chose(
    tmp_path: Path, ccp_dir: Path
) -> None:
    model = tmp_path / "garment.safetensors"
    shutil.copyfile(default_model_path("garment"), model)
    shutil.copyfile(meta_path(default_model_path("garment")), meta_path(model))
    update_meta(model, refinements=["guided"])
    (sample,) = list_samples(ccp_dir, "val")[:1]
    with Project.create(tmp_path / "p", tasks=("garment",), user="op") as project:
        record = project.add_image(sample.image)
        project.models.register("garment", model, {}, [], activate=True)
        window = ProposalSource(project, device="cpu")
        window.prepare("garment")
        rgb = project.load_photo(record.id).rgb
        regions = project_superpixels(project, record.id, rgb).levels[sp.DEFAULT_LEVEL]
        proposal, mask = window.propose("garment", rgb, regions)
        assert proposal.refinements == ("guided",)
        np.testing.assert_array_equal(mask, guided_edges(rgb, proposal.raw_mask))
    # a name this version does not know: the task's chain serves
    update_meta(model, refinements=["sharpen"])
    assert model_refinements(load_predictor(model, device="cpu")) == ("snap", "grabcut", "guided")


def test_rescore_of_a_parsing_task_scores_the_window_proposal(tmp_path: Path, ccp_dir: Path) -> None:
    """A parsing task with cutout tasks: QA refines every model's proposal and agrees them as
    the window does (parsing7's guided filter, the cutouts' own chains), not the networks' masks."""
    from fashion_annotator.core.labels import mapping_from_taxonomies_json
    from fashion_annotator.segmentation.proposals import load_shown_predictor

    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    samples = list_samples(ccp_dir, "val")[:2]
    with Project.create(tmp_path / "p", tasks=("parsing7", "garment", "person"), user="qa") as project:
        ids = []
        for sample in samples:
            record = project.add_image(sample.image)
            project.save_mask(record.id, "parsing7", read_sample(sample, mapping)[1], status="done")
            ids.append(record.id)
        window = ProposalSource(project, device="cpu")
        for task in project.tasks:
            window.prepare(task)
        shown = {}
        for image_id in ids:
            rgb = project.load_photo(image_id).rgb
            regions = project_superpixels(project, image_id, rgb).levels[sp.DEFAULT_LEVEL]
            proposal, shown[image_id] = window.propose("parsing7", rgb, regions)
            assert proposal.refinements == ("guided", "cutouts")
        kept = {}
        predictor = load_shown_predictor("parsing7", project, device="cpu")
        rows = rescore_with_model(project, "parsing7", predictor, keep=lambda i, m: kept.setdefault(i, m))
        assert len(rows) == 2
        for row in rows:
            np.testing.assert_array_equal(kept[row.image_id], shown[row.image_id])
        # the networks' masks made to agree alone are not what the window shows
        predictor.set_image(project.load_photo(ids[0]).rgb)
        assert not np.array_equal(predictor.predict().mask, shown[ids[0]])


def test_a_rescore_finishes_when_its_prediction_cache_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault injection: ``qa-report --rescore`` on a full disk failed as a whole with
    ``.../qa-pred-garment-....npz: cannot write the cache: No space left on device`` (exit 1,
    no report), though the cache is optional and recomputed when missing."""
    with Project.create(tmp_path / "p", tasks=("garment",), user="qa") as project:
        ids = [add_photo(project, tmp_path / "src", f"{i}.png", i) for i in range(2)]
        for image_id in ids:
            project.save_mask(image_id, "garment", square(5, 5, 15, 15), status="done")
        predictor = load_predictor("garment", project, device="cpu")
        key = predictor_cache_key("garment", predictor)

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", full)
        with caplog.at_level(logging.WARNING):
            rows = rescore_with_model(
                project, "garment", predictor, keep=lambda i, m: project.cache.save(i, key, m),
                cached=lambda i: project.cache.load(i, key),
            )  # fmt: skip
        monkeypatch.undo()
        assert [r.image_id for r in rows] == ids
        assert all(not r.problem and r.reference == MODEL for r in rows), rows
        assert all(project.cache.load(i, key) is None for i in ids)
        assert "cannot write the cache: No space left on device" in caplog.text
