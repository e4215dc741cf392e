"""`train --project P --task NAME` for a project's own label set: a model of its classes,
registered as the project's version, and the proposals come from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project
from fashion_annotator.models.weights import read_meta
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation.proposals import default_model_path, load_shown_predictor

#: A tiny network on 64x48 inputs, from scratch, long enough (one step an epoch) to learn the
#: four colours: about five seconds on one thread.
TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--device", "cpu", "--threads", "1",
        "--epochs", "40", "--patience", "100", "--lr", "0.02", "--no-refit"]  # fmt: skip


def test_a_label_set_is_trained_registered_and_proposes(label_set_project: Path, capsys) -> None:
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts",
                 "--promote-if-better", "--init", "scratch", *TINY]) == 0  # fmt: skip
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


def _tiny_garment_model(path: Path) -> Path:
    """A tiny untrained garment U-Net (base 4, depth 2) written to ``path``."""
    import torch

    from fashion_annotator.models.unet import UNet
    from fashion_annotator.models.weights import save_model

    torch.manual_seed(1)
    arch = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}
    meta = {"task": "garment", "classes": ["background", "garment"], "arch": arch, "input_size": [64, 48],
            "mean": [0.4, 0.4, 0.4], "std": [0.3, 0.3, 0.3], "threshold": 0.35, "flip_average": False,
            "version": "1", "date": "2026-01-01T00:00:00Z", "training_data_fingerprint": "0" * 16,
            "trained_on": [], "metrics": {}}  # fmt: skip
    save_model(path, UNet(**arch).eval(), meta)
    return path


def test_a_label_set_starts_from_another_tasks_trunk(label_set_project: Path, tmp_path: Path, capsys) -> None:
    from fashion_annotator.models.weights import load_model

    trunk = _tiny_garment_model(tmp_path / "garment-tiny.safetensors")
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts", "--trunk", str(trunk),
                 "--epochs", "1", "--lr", "1e-9", "--device", "cpu", "--threads", "1", "--json-progress"]) == 0  # fmt: skip
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    said = [e["message"] for e in events if e["event"] == "info"]
    assert any(m.startswith(f"trunk from {trunk} (a 'garment' model)") for m in said), said
    start = next(e for e in events if e["event"] == "start")
    assert start["input_size"] == [64, 48] and start["arch"]["base"] == 4 and start["arch"]["out_ch"] == 4
    with Project.open(label_set_project) as project:
        (record,) = project.models("garment_parts")
    new, old = load_model(record.path), load_model(trunk)
    assert new.meta["classes"] == ["background", "garment", "label-tag", "hanger"]
    assert new.meta["mean"] == [0.4, 0.4, 0.4] and "flip_average" not in new.meta and "threshold" not in new.meta
    before, after = old.module.state_dict(), new.module.state_dict()
    trunk_keys = [k for k in before if not k.startswith("head.")]
    assert trunk_keys and all(np.allclose(before[k], after[k], atol=1e-5) for k in trunk_keys), "started from the trunk"
    assert after["head.weight"].shape[0] == 4


def test_a_first_retrain_of_a_label_set_starts_from_the_shipped_garment_network(
    label_set_project: Path, capsys
) -> None:
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts", "--device", "cpu",
                 "--threads", "1", "--epochs", "1", "--json-progress"]) == 0  # fmt: skip
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    said = [e["message"] for e in events if e["event"] == "info"]
    shipped = default_model_path("garment")
    assert any(m.startswith("no model of this task yet: starting from the shipped garment network") for m in said), said
    assert any(m.startswith(f"trunk from {shipped} (a 'garment' model)") for m in said), said
    with Project.open(label_set_project) as project:
        (record,) = project.models("garment_parts")
        meta, garment = read_meta(record.path), read_meta(shipped)
        assert meta["arch"]["out_ch"] == 4
        assert {k: v for k, v in meta["arch"].items() if k != "out_ch"} == {
            k: v for k, v in garment["arch"].items() if k != "out_ch"
        }, "the garment network's architecture, with a four-class last layer"
        assert meta["input_size"] == garment["input_size"]


def test_an_ensemble_is_no_trunk(label_set_project: Path, capsys) -> None:
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts", "--trunk", "parsing7",
                 "--epochs", "1", "--device", "cpu", "--threads", "1"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "parsing7.safetensors: an ensemble of 2 networks has no single trunk" in err
    assert main(["train", "--project", str(label_set_project), "--task", "garment_parts", "--trunk", "deepfashion24",
                 "--epochs", "1"]) == 1  # fmt: skip
    assert "--trunk deepfashion24: no shipped deepfashion24 model to start from" in capsys.readouterr().err
    assert main(["train", "--project", str(label_set_project), "--task", "click", "--trunk", "garment"]) == 1
    assert "--trunk is for mask tasks; the click trainer builds its own network" in capsys.readouterr().err
