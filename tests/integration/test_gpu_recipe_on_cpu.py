"""The GPU recipe's pieces on the CPU with tiny settings: pack, train a job, collect, ship.

The recipe itself runs on a GPU machine (``training/recipes/gpu_recipe.sh``); this runs the same
code paths on the CCP fixture so a change that breaks them fails here, not on scarce GPU time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fashion_annotator.segmentation.proposals import load_predictor
from training.recipes import collect, gpu, joint, pack, ship

pytestmark = pytest.mark.slow


def test_pack_train_collect_and_ship_a_letterbox_model(ccp_dir: Path, tmp_path: Path) -> None:
    packed = tmp_path / "pack"
    assert pack.main(["--ccp", str(ccp_dir), "--out", str(packed)]) == 0
    runs = tmp_path / "runs"
    assert gpu.main(["train", "--pack", str(packed), "--out", str(runs / "B2"), "--job", "B2",
                     "--minutes", "0.25", "--long-side", "96", "--batch", "4", "--warmup", "2",
                     "--val-every", "5", "--final-eval-s", "5", "--off-ccp-photos", "2",
                     "--threads", "1", "--device", "cpu", "--parsing18"]) == 0  # fmt: skip
    summary = json.loads((runs / "B2" / "summary.json").read_text())
    assert summary["job"] == "B2" and "ccp" in summary["figures"] and "mannequin" in summary["figures"]
    assert 0 <= summary["figures"]["ccp"]["parsing18"]["miou"] <= 1
    fine = load_predictor(runs / "B2" / "parsing18.safetensors", device="cpu")
    assert list(fine.classes) == joint.CLASSES["parsing18"] and len(fine.classes) == 18
    fine.set_image(np.full((90, 60, 3), 200, np.uint8))
    assert fine.predict().mask.max() < 18
    _exports_equal_the_jobs_files(runs / "B2", tmp_path / "brought_back")
    selected = collect.collect(runs)
    assert {t: s["job"] for t, s in selected.items()} == {t: "B2" for t in ship.TASKS}
    shipped_dir = tmp_path / "ship" / "models"  # created by ship
    assert ship.ship(runs / "selected", ccp_dir, shipped_dir) == list(ship.TASKS)
    assert not list(shipped_dir.glob(".*")), "no temporary file left behind"
    splits = json.loads((ccp_dir / "splits.json").read_text())
    for task in ship.TASKS:
        meta = json.loads((shipped_dir / f"{task}.json").read_text())
        assert meta["resize"] == "letterbox" and meta["long_side"] == 96
        assert meta["trained_on"] == sorted(splits["train"]) and "metrics" in meta
        predictor = load_predictor(shipped_dir / f"{task}.safetensors", device="cpu")
        predictor.set_image(np.full((120, 200, 3), 128, np.uint8))  # landscape, not CCP's 2:3
        assert predictor.predict().mask.shape == (120, 200)


def _exports_equal_the_jobs_files(job: Path, back: Path) -> None:
    """A joint brought back alone (with its .json and summary.json) exports the job's own files."""
    from safetensors.numpy import load_file

    back.mkdir()
    for name in ("joint.safetensors", "joint.json"):
        (back / name).write_bytes((job / name).read_bytes())
    with pytest.raises(FileNotFoundError, match="summary.json"):
        gpu.export(back / "joint.safetensors", back / "models")
    (back / "summary.json").write_bytes((job / "summary.json").read_bytes())
    assert gpu.main(["export", "--joint", str(back / "joint.safetensors"), "--out", str(back / "models")]) == 0
    for task in ship.TASKS:
        ours, theirs = load_file(back / "models" / f"{task}.safetensors"), load_file(job / f"{task}.safetensors")
        assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)
        meta, job_meta = (json.loads((d / f"{task}.json").read_text()) for d in (back / "models", job))
        for key in ("figures_val", "model_card", "threshold", "classes", "long_side"):
            assert meta.get(key) == job_meta.get(key), (task, key)


def test_parsing18_rows_start_from_their_parsing7_class(ccp_dir: Path) -> None:
    taxonomies = json.loads((ccp_dir / "taxonomies.json").read_text())
    parents = joint.coarse_parents(taxonomies)
    p7, p18 = joint.CLASSES["parsing7"], joint.CLASSES["parsing18"]
    named = {p18[i]: p7[j] for i, j in enumerate(parents)}
    assert named["outer"] == "top" and named["top"] == "top" and named["skirt"] == "bottom"
    assert named["footwear"] == "shoes" and named["romper"] == "dress" and named["bag"] == "background"
    assert named["skin"] == "skin" and named["hair"] == "hair" and named["background"] == "background"


def test_shipped_init_goes_on_from_the_shipped_parsing18(ccp_dir: Path) -> None:
    from fashion_annotator.models.weights import load_model
    from fashion_annotator.segmentation.proposals import default_model_path

    taxonomies = json.loads((ccp_dir / "taxonomies.json").read_text())
    parents = joint.coarse_parents(taxonomies)
    files = {t: default_model_path(t) for t in ("parsing7", "person", "garment")}
    fresh, _ = joint.joint_from_models(files, "small", parents)
    shipped18 = load_model(default_model_path("parsing18"))  # an ensemble: its U-Net member goes on
    fine = joint.single_network(shipped18.module, shipped18.meta, "unet", default_model_path("parsing18")).state_dict()
    goes_on, meta = joint.joint_from_models({**files, "parsing18": default_model_path("parsing18")}, "small", parents)
    lo, hi = joint.OFFSETS["parsing18"]
    state = goes_on.state_dict()
    assert torch.equal(state["head.weight"][lo:hi], fine["head.weight"])
    assert torch.equal(state["head.bias"][lo:hi], fine["head.bias"])
    trunk = [k for k in fine if not k.startswith("head.")]
    assert all(torch.equal(state[k], fine[k]) for k in trunk)
    # the coarse heads keep their shipped rows; without the file, parsing18 rows copy parsing7's
    assert torch.equal(state["head.weight"][:lo], fresh.state_dict()["head.weight"][:lo])
    assert torch.equal(fresh.state_dict()["head.weight"][lo:hi], fresh.state_dict()["head.weight"][parents])
    assert meta["task"] == "parsing18"
    # a parsing7 trunk trained longer goes on with the shipped parsing18 head rows
    kept, meta7 = joint.joint_from_models({**files, "parsing18": default_model_path("parsing18")}, "small",
                                          parents, trunk="parsing7")  # fmt: skip
    coarse = fresh.state_dict()
    assert all(torch.equal(kept.state_dict()[k], coarse[k]) for k in trunk)
    assert torch.equal(kept.state_dict()["head.weight"][lo:hi], fine["head.weight"])
    assert meta7["task"] == "parsing7"
    with pytest.raises(ValueError, match="trunk 'parsing18'"):
        joint.joint_from_models(files, "small", parents, trunk="parsing18")


def test_an_imagenet_started_lite0_network_trains_and_exports(ccp_dir: Path, tmp_path: Path) -> None:
    from training.pretrained import IMAGENET_MEAN, load_imagenet

    packed = tmp_path / "pack"
    assert pack.main(["--ccp", str(ccp_dir), "--out", str(packed)]) == 0
    out = tmp_path / "L0"
    assert gpu.main(["train", "--pack", str(packed), "--out", str(out), "--job", "L0", "--size", "lite0",
                     "--init", "imagenet", "--encoder-lr-scale", "0.3", "--minutes", "0.25",
                     "--long-side", "96", "--batch", "2", "--warmup", "2", "--val-every", "5",
                     "--final-eval-s", "5", "--off-ccp-photos", "1", "--threads", "1", "--device", "cpu",
                     "--parsing18", "--limit", "4"]) == 0  # fmt: skip
    for task in ship.TASKS:
        meta = json.loads((out / f"{task}.json").read_text())
        assert meta["architecture"] == "effunet" and meta["mean"] == IMAGENET_MEAN
        predictor = load_predictor(out / f"{task}.safetensors", device="cpu")
        predictor.set_image(np.full((70, 110, 3), 128, np.uint8))
        assert predictor.predict().mask.shape == (70, 110)
    # The encoder started from ImageNet and moved only a little (a quarter minute, lr scaled down).
    trained = joint.load_joint(out / "joint.safetensors", torch.device("cpu"))[0].state_dict()
    imagenet, _ = load_imagenet()
    key = "blocks.15.project.0.weight"
    start = imagenet[key]
    assert torch.linalg.norm(trained[f"encoder.{key}"] - start) < 0.5 * torch.linalg.norm(start)


def test_the_continuation_recipe_runs_its_three_jobs(ccp_dir: Path, tmp_path: Path) -> None:
    """``gpu_continue.sh`` end to end on the CPU with tiny settings, as before a GPU lease."""
    import os
    import subprocess
    import sys

    from fashion_annotator.models.preprocess import InputSpec

    packed = tmp_path / "pack"
    assert pack.main(["--ccp", str(ccp_dir), "--out", str(packed)]) == 0
    spec = InputSpec.from_meta({"resize": "letterbox", "long_side": 384, "stride": 32, "input_size": [384, 256],
                                "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]})  # fmt: skip
    inits = {}
    for size in ("lite0", "small"):
        inits[size] = tmp_path / "init" / size / "joint.safetensors"
        joint.save_joint(inits[size], joint.build_net(size, joint.FULL_CHANNELS), size, spec, {})
    out = tmp_path / "out"
    env = os.environ | {
        "PYTHON": sys.executable, "LIMIT": "3", "FINAL_S": "5", "L0_BATCH": "2", "U_BATCH": "2", "CLICK_WORKERS": "0",
        "CLICK_VAL": "1", "CLICK_EXTRA": "--device cpu --batch 2 --threads 1",
    }  # fmt: skip
    script = Path(__file__).parents[2] / "training" / "recipes" / "gpu_continue.sh"
    done = subprocess.run(["bash", str(script), str(packed), str(inits["lite0"]), str(inits["small"]), str(out), "0.4"],
                          env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    log = (out / "recipe.log").read_text()
    assert "done" in log and "L0_1 {" in log and "U_1 {" in log, log
    for job, size in (("L0_1", "lite0"), ("U_1", "small")):
        assert json.loads((out / job / "summary.json").read_text())["job"] == job
        meta = json.loads((out / job / "joint.json").read_text())
        assert meta["size"] == size and meta["long_side"] == 448
        assert (out / job / "parsing18.safetensors").is_file()
    click = json.loads((out / "CK_1" / "click.json").read_text())
    assert click["task"] == "click" and (out / "CK_1" / "click.safetensors").is_file()


def test_what_a_continuation_round_is_sent(ccp_dir: Path, tmp_path: Path) -> None:
    """``carry``: half-size joints (the U-Net's cutout rows fitted on its own features), the click
    model and the start masks, so the round travels without the shipped model files."""
    from safetensors.torch import load_file

    from fashion_annotator.core.samples import read_sample
    from fashion_annotator.models.preprocess import InputSpec
    from fashion_annotator.segmentation.proposals import default_model_path
    from training.click_data import TaskSpec, cached_starts, load_photos
    from training.data import list_samples, split_samples, task_mapping
    from training.recipes import carry

    packed = tmp_path / "pack"
    assert pack.main(["--ccp", str(ccp_dir), "--out", str(packed)]) == 0
    spec = InputSpec.from_meta(json.loads(default_model_path("parsing7").with_suffix(".json").read_text()))
    lite0 = tmp_path / "lite0" / "joint.safetensors"
    joint.save_joint(lite0, joint.build_net("lite0", joint.FULL_CHANNELS), "lite0", spec, {})
    out = tmp_path / "carry"
    assert carry.main(["--pack", str(packed), "--lite0", str(lite0), "--out", str(out), "--fit-photos", "3"]) == 0
    for name in ("u", "l0"):
        state = load_file(out / f"{name}.safetensors")
        assert all(v.dtype == torch.float16 for v in state.values())
        net, _ = joint.load_joint(out / f"{name}.safetensors", torch.device("cpu"))
        assert next(net.parameters()).dtype == torch.float32
    assert (out / "click.safetensors").is_file() and (out / "click.json").is_file()
    # the fitted person row separates a photo it was not fitted on better than the rows
    # joint_from_models copies from the (Lite0) person file
    u, u_spec = joint.load_joint(out / "u.safetensors", torch.device("cpu"))
    taxonomies = json.loads((packed / "ccp" / "taxonomies.json").read_text())
    files = {t: default_model_path(t) for t in ("parsing7", "person", "garment", "parsing18")}
    copied, _ = joint.joint_from_models(files, "small", joint.coarse_parents(taxonomies), trunk="parsing7")
    train, _ = split_samples(list_samples(packed / "ccp"), packed / "ccp")
    rgb, labels = read_sample(train[-1])
    person = task_mapping(packed / "ccp", "person")[1][labels] == 1
    accuracy = {}
    for name, net in (("fitted", u), ("copied", copied.eval())):
        prob = joint.joint_outputs(net, u_spec, rgb, torch.device("cpu"))["person"]
        accuracy[name] = float(((prob > 0.5) == person).mean())
    assert accuracy["fitted"] > accuracy["copied"] and accuracy["fitted"] > 0.85, accuracy
    # the start masks are read back without running the models (as on the GPU machine)
    photos, _ = load_photos(train, print)
    tasks = [TaskSpec(t, *task_mapping(packed / "ccp", t)) for t in ("garment", "person")]
    starts = cached_starts(packed / "starts.npz", [s.name for s in train], photos, tasks, "cpu", print)
    assert len(starts) == len(train)
    assert all(s["person"].shape == p.shape[:2] for s, p in zip(starts, photos, strict=True))
