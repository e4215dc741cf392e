"""``fashion-annotator evaluate`` end to end: a model whose output is known, and real CCP photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import save_model

PARSING7 = load_taxonomy("parsing7").names


def save_constant_model(path: Path, task: str, classes: list[str], threshold: float = 0.5) -> Path:
    """A U-Net with every parameter zero: its logits are exactly 0 everywhere.

    A binary model then gives p = 0.5 at every pixel, so a threshold below 0.5 marks the whole
    photo as foreground and one above marks none; a multi-class model ties, and argmax picks 0.
    """
    arch = {"in_ch": 3, "out_ch": 1 if len(classes) == 2 else len(classes), "base": 4, "depth": 2}
    model = UNet(**arch)
    with torch.no_grad():
        for param in model.parameters():
            param.zero_()
    meta = {
        "task": task,
        "classes": classes,
        "arch": arch,
        "input_size": [32, 24],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "threshold": threshold,
        "version": "const",
        "date": "2024-01-01T00:00:00Z",
        "training_data_fingerprint": "none",
        "trained_on": [],
        "metrics": {},
    }
    save_model(path, model, meta)
    return path


def write_dataset(root: Path) -> tuple[Path, dict[str, int]]:
    """Three 40x30 photos; masks in source ids 0..2, where 2 maps to background for "garment"."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    fg = {}
    for i, stem in enumerate(("p1", "p2", "p3")):
        Image.fromarray(np.full((40, 30, 3), 60 * i, np.uint8)).save(
            root / "images" / f"{stem}.jpg"
        )
        mask = np.zeros((40, 30), np.uint8)
        mask[5 : 15 + 5 * i, 5:25] = 1
        mask[30:35, :] = 2
        Image.fromarray(mask).save(root / "masks" / f"{stem}.png")
        fg[stem] = int((mask == 1).sum())
    taxonomies = {
        "garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1, "2": 0}},
        "parsing7": {
            "classes": PARSING7,
            "from_ccp": {"0": 0, "1": 1, "2": 2},
        },
    }
    (root / "taxonomies.json").write_text(json.dumps(taxonomies))
    (root / "splits.json").write_text(json.dumps({"train": ["p1"], "val": ["p2", "p3"]}))
    return root, fg


def test_evaluate_binary_all_foreground_model_matches_hand_metrics(tmp_path, capsys):
    data, fg = write_dataset(tmp_path / "data")
    model = save_constant_model(
        tmp_path / "m" / "garment.safetensors", "garment", ["background", "garment"], 0.4
    )
    out = tmp_path / "out" / "eval.json"
    rc = main(
        [
            "evaluate",
            "--data",
            str(data),
            "--task",
            "garment",
            "--model",
            str(model),
            "--json",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    n = 40 * 30
    val_fg = np.array([fg["p2"], fg["p3"]])
    assert result["task"] == "garment" and result["n_images"] == 2 and result["split"] == "val"
    assert result["device"] == "CPU" and result["model_version"] == "const"
    assert result["per_class_iou"] == {
        "background": 0.0,
        "garment": pytest.approx(val_fg.sum() / (2 * n)),
    }
    assert result["miou"] == pytest.approx(val_fg.sum() / (4 * n))
    assert result["pixel_accuracy"] == pytest.approx(val_fg.sum() / (2 * n))
    assert result["subject_accuracy"] == pytest.approx(1.0)
    dices = 2 * val_fg / (val_fg + n)
    assert result["mean_dice"] == pytest.approx(dices.mean())
    assert result["median_dice"] == pytest.approx(np.median(dices))
    iou = result["per_class_iou"]["garment"]
    assert result["per_class_dice"]["garment"] == pytest.approx(2 * iou / (1 + iou))
    assert result["seconds_per_image"] > 0
    # the console line names the README's headline figure, median Dice, beside the file
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"garment: median Dice {result['median_dice']:.4f}, mean Dice ") and line.endswith(str(out))


def test_evaluate_binary_all_background_and_split_limit(tmp_path, capsys):
    data, fg = write_dataset(tmp_path / "data")
    model = save_constant_model(
        tmp_path / "garment.safetensors", "garment", ["background", "garment"], 0.6
    )
    rc = main(
        [
            "evaluate",
            "--data",
            str(data),
            "--task",
            "garment",
            "--model",
            str(model),
            "--split",
            "all",
            "--limit",
            "1",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out  # no --json: a summary in words, no JSON (a hand test)
    assert not text.lstrip().startswith("{")
    n = 40 * 30
    background = 1 - fg["p1"] / n
    assert text.splitlines()[0] == ("garment: median Dice 0.0000, mean Dice 0.0000, mIoU "
                                    f"{background / 2:.4f}, pixel accuracy {background:.4f}, subject "
                                    "accuracy 0.0000 on 1 photo of split all")  # fmt: skip
    assert f"  background: IoU {background:.4f}, Dice {2 * background / (1 + background):.4f}" in text
    assert "  garment: IoU 0.0000, Dice 0.0000" in text


def test_evaluate_multiclass_constant_model(tmp_path, capsys):
    data, fg = write_dataset(tmp_path / "data")
    model = save_constant_model(tmp_path / "parsing7.safetensors", "parsing7", PARSING7)
    out = tmp_path / "eval.json"
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(data),
                "--task",
                "parsing7",
                "--model",
                str(model),
                "--json",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    n = 40 * 30
    background = (2 * n - fg["p2"] - fg["p3"] - 2 * 150) / (2 * n)
    assert result["per_class_iou"]["background"] == pytest.approx(background)
    # Source id 1 maps to "skin", 2 to "hair"; neither is ever predicted.
    assert result["per_class_iou"]["skin"] == 0.0 and result["per_class_iou"]["hair"] == 0.0
    assert result["per_class_iou"]["dress"] is None
    assert result["miou"] == pytest.approx(background / 3)
    assert result["mean_dice"] is None and result["median_dice"] is None


def test_evaluate_reports_unusable_model_and_mismatch(tmp_path, capsys):
    data, _ = write_dataset(tmp_path / "data")
    model = save_constant_model(
        tmp_path / "garment.safetensors", "garment", ["background", "garment"]
    )
    rc = main(["evaluate", "--data", str(data), "--task", "parsing7", "--model", str(model)])
    assert rc == 1
    assert "garment.safetensors: model is for 'garment'" in capsys.readouterr().err
    model.write_bytes(b"garbage")
    rc = main(["evaluate", "--data", str(data), "--task", "garment", "--model", str(model)])
    assert rc == 1
    assert "garment.safetensors" in capsys.readouterr().err
    rc = main(
        [
            "evaluate",
            "--data",
            str(tmp_path),
            "--task",
            "garment",
            "--model",
            str(tmp_path / "none.safetensors"),
        ]
    )
    assert rc == 1
    assert "none.safetensors: model file does not exist" in capsys.readouterr().err
    swapped = [PARSING7[0], PARSING7[2], PARSING7[1], *PARSING7[3:]]  # skin and hair swapped
    model = save_constant_model(tmp_path / "p7.safetensors", "parsing7", swapped)
    rc = main(["evaluate", "--data", str(data), "--task", "parsing7", "--model", str(model)])
    assert rc == 1
    assert "p7.safetensors: model classes" in capsys.readouterr().err


def test_evaluate_refuses_a_json_inside_the_dataset_and_names_a_bad_mask(tmp_path, capsys):
    data, _ = write_dataset(tmp_path / "data")
    model = save_constant_model(tmp_path / "g.safetensors", "garment", ["background", "garment"], 0.4)
    before = (data / "taxonomies.json").read_bytes()
    rc = main(["evaluate", "--data", str(data), "--task", "garment", "--model", str(model),
               "--json", str(data / "taxonomies.json")])  # fmt: skip
    assert rc == 1 and "inside the dataset" in capsys.readouterr().err
    assert (data / "taxonomies.json").read_bytes() == before
    mask = np.array(Image.open(data / "masks" / "p2.png"))
    mask[0, 0] = 250  # an id the task does not map
    Image.fromarray(mask).save(data / "masks" / "p2.png")
    rc = main(["evaluate", "--data", str(data), "--task", "garment", "--model", str(model), "--split", "all"])
    assert rc == 1 and "p2.png" in capsys.readouterr().err


def test_evaluate_json_on_a_full_disk_names_the_file_and_leaves_none(tmp_path, capsys, monkeypatch):
    """A CLI test: ``--json OUT`` on a full disk left a 0-byte OUT and said only "OSError:
    [Errno 28] No space left on device" through the catch-all, naming no file."""
    import errno
    import os
    import shutil

    from fashion_annotator.core import atomic

    data, _ = write_dataset(tmp_path / "data")
    model = save_constant_model(tmp_path / "g.safetensors", "garment", ["background", "garment"], 0.4)
    out = tmp_path / "out" / "eval.json"
    usage = shutil.disk_usage(tmp_path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: usage._replace(free=4096))
    rc = main(["evaluate", "--data", str(data), "--task", "garment", "--model", str(model),
               "--json", str(out), "--device", "cpu"])  # fmt: skip
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert rc == 1, captured.err
    assert captured.err.startswith(f"fashion-annotator evaluate: error: {out}: cannot write: the disk is full")
    assert "Errno" not in captured.err and "traceback" not in captured.err and "->" not in captured.out
    assert list(out.parent.iterdir()) == [], "neither a partial file nor a temporary one"


def test_evaluate_refine_names_a_photo_too_small_for_superpixels(tmp_path, capsys):
    """A CLI test: "photo too small for superpixels: 1x1" named no file."""
    data, _ = write_dataset(tmp_path / "data")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(data / "images" / "p3.jpg")
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(data / "masks" / "p3.png")
    model = save_constant_model(tmp_path / "g.safetensors", "garment", ["background", "garment"], 0.4)
    rc = main(["evaluate", "--data", str(data), "--task", "garment", "--model", str(model),
               "--refine", "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and f"error: {data / 'images' / 'p3.jpg'}: photo too small for superpixels: 1x1" in err, err


@pytest.mark.slow
def test_evaluate_on_ccp_val_photos(ccp_dir, ccp_splits, tmp_path):
    classes = json.loads((ccp_dir / "taxonomies.json").read_text())["parsing7"]["classes"]
    model = save_constant_model(tmp_path / "parsing7.safetensors", "parsing7", classes)
    out = tmp_path / "ccp.json"
    rc = main(
        [
            "evaluate",
            "--data",
            str(ccp_dir),
            "--task",
            "parsing7",
            "--model",
            str(model),
            "--limit",
            "2",
            "--json",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 2 and result["split"] == "val"
    assert list(result["per_class_iou"]) == classes
    # All-background predictions: pixel accuracy is the background share of the first two
    # val photos (in the order of splits.json), at full resolution.
    lut = np.zeros(256, np.uint8)
    for src, dst in json.loads((ccp_dir / "taxonomies.json").read_text())["parsing7"][
        "from_ccp"
    ].items():
        lut[int(src)] = dst
    masks = [
        lut[np.asarray(Image.open(ccp_dir / "masks" / f"{s}.png"))] for s in ccp_splits["val"][:2]
    ]
    background = sum(int((m == 0).sum()) for m in masks) / sum(m.size for m in masks)
    assert result["pixel_accuracy"] == pytest.approx(background)
    assert result["per_class_iou"]["background"] == pytest.approx(background)
    assert result["subject_accuracy"] == 0.0


@pytest.mark.slow
def test_evaluate_inference_options_override_the_model_metadata(ccp_dir, tmp_path):
    """``--flip-average`` / ``--long-side`` run the shipped model as asked and say so."""
    figures = {}
    for flags in (["--no-flip-average", "--long-side", "256"], ["--flip-average", "--long-side", "448"]):
        out = tmp_path / f"{flags[0]}.json"
        rc = main(["evaluate", "--data", str(ccp_dir), "--task", "garment", "--limit", "2",
                   "--device", "cpu", "--json", str(out), *flags])  # fmt: skip
        assert rc == 0
        figures[flags[0]] = json.loads(out.read_text())
    plain, averaged = figures["--no-flip-average"], figures["--flip-average"]
    assert (plain["flip_average"], plain["long_side"]) == (False, 256)
    assert (averaged["flip_average"], averaged["long_side"]) == (True, 448)
    assert plain["n_images"] == averaged["n_images"] == 2
    assert plain["mean_dice"] != averaged["mean_dice"]
    assert 0.5 < plain["mean_dice"] < 1.0 and 0.5 < averaged["mean_dice"] < 1.0


def test_evaluate_parsing_with_cutouts_scores_the_masks_the_window_shows(ccp_dir, tmp_path, capsys):
    """``--cutouts``: the shipped parsing7 masks made to agree with the shipped cutouts."""
    figures = {}
    for name, flags in (("plain", []), ("agreed", ["--cutouts", "garment,person"])):
        out = tmp_path / f"{name}.json"
        rc = main(["evaluate", "--data", str(ccp_dir), "--task", "parsing7", "--limit", "2",
                   "--device", "cpu", "--json", str(out), *flags])  # fmt: skip
        assert rc == 0
        figures[name] = json.loads(out.read_text())
    plain, agreed = figures["plain"], figures["agreed"]
    assert plain["cutouts"] == {} and sorted(agreed["cutouts"]) == ["garment", "person"]
    assert plain["n_images"] == agreed["n_images"] == 2
    assert agreed["miou"] != plain["miou"]  # some pixels changed class
    assert plain["refinements"] == agreed["refinements"] == {}
    capsys.readouterr()
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "garment", "--cutouts", "person"]) == 1
    assert "'garment' is a cutout task" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "parsing7", "--cutouts", "parsing18"]) == 1
    assert "no compatibility table between 'parsing7' and 'parsing18'" in capsys.readouterr().err


def test_evaluate_refine_scores_exactly_the_proposals_of_the_window(ccp_dir, tmp_path):
    """``--cutouts garment,person --refine`` scores the masks the window's proposal source makes
    (each task's refinements, the parsing mask agreeing with the refined cutouts)."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.evaluation.datasets import score_masks, task_classes
    from fashion_annotator.evaluation.effort import iter_dataset
    from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL, compute_superpixels
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    out = tmp_path / "shown.json"
    rc = main(["evaluate", "--data", str(ccp_dir), "--task", "parsing7", "--limit", "2", "--device", "cpu",
               "--json", str(out), "--cutouts", "garment,person", "--refine"])  # fmt: skip
    assert rc == 0
    shown = json.loads(out.read_text())
    assert shown["refinements"] == {"parsing7": ["guided"], "garment": ["snap", "grabcut", "guided"],
                                    "person": ["grabcut", "guided"]}  # fmt: skip
    with Project.create(tmp_path / "p", tasks=("parsing7", "garment", "person")) as project:
        source = ProposalSource(project, device="cpu")
        for task in project.tasks:
            source.prepare(task)
        pairs = []
        for photo in iter_dataset(ccp_dir, "parsing7", split="val", limit=2):
            regions = compute_superpixels(photo.rgb).levels[DEFAULT_LEVEL]
            proposal, mask = source.propose("parsing7", photo.rgb, regions)
            assert proposal.refinements == ("guided", "cutouts")
            pairs.append((mask, photo.gt))
    window = score_masks(pairs, task_classes(ccp_dir, "parsing7"))
    assert shown["miou"] == pytest.approx(window["miou"], abs=1e-12)
    assert shown["pixel_accuracy"] == pytest.approx(window["pixel_accuracy"], abs=1e-12)


def test_evaluate_without_splits_json_names_the_photos_it_scored_all(tmp_path, capsys):
    # No splits.json: the default split scores every photo, and the JSON says "all" (it said
    # "val", a split the folder does not have: --split val elsewhere scores other photos).
    data, _ = write_dataset(tmp_path / "data")
    (data / "splits.json").unlink()
    models = {
        "garment": save_constant_model(tmp_path / "g.safetensors", "garment", ["background", "garment"]),
        "parsing7": save_constant_model(tmp_path / "p.safetensors", "parsing7", PARSING7),
    }
    for task, model in models.items():
        out = tmp_path / f"{task}.json"
        rc = main(["evaluate", "--data", str(data), "--task", task, "--model", str(model),
                   "--json", str(out), "--device", "cpu"])  # fmt: skip
        assert rc == 0, capsys.readouterr().err
        result = json.loads(out.read_text())
        assert result["split"] == "all" and result["n_images"] == 3, task
        capsys.readouterr()
        rc = main(["evaluate", "--data", str(data), "--task", task, "--model", str(model),
                   "--split", result["split"], "--device", "cpu", "--json", str(out)])  # fmt: skip
        assert rc == 0
        again = json.loads(out.read_text())
        assert again["split"] == "all" and again["miou"] == result["miou"]
