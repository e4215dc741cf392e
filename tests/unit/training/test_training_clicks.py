"""The click trainer: a tiny CPU run on real CCP photos writes a loadable model and NoC figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.models.click import NETWORK, load_click_model, next_click
from training import click_data, clicks
from training.data import list_samples, task_mapping


@pytest.fixture(scope="module")
def tiny_ccp(ccp_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six CCP photos in the plain-folder layout: four train, two val."""
    root = tmp_path_factory.mktemp("ccp6")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    names = [s.name for s in list_samples(ccp_dir)[:6]]
    for name in names:
        shutil.copy(ccp_dir / "images" / f"{name}.jpg", root / "images")
        shutil.copy(ccp_dir / "masks" / f"{name}.png", root / "masks")
    shutil.copy(ccp_dir / "taxonomies.json", root)
    (root / "splits.json").write_text(json.dumps({"train": names[:4], "val": names[4:]}))
    return root


def test_tiny_cpu_run_writes_a_loadable_model(tiny_ccp: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    status = clicks.main([
        "--data", str(tiny_ccp), "--out", str(out), "--device", "cpu", "--max-minutes", "0.4",
        "--tasks", "garment,person,parsing7", "--batch", "2", "--input-size", "96", "64",
        "--threads", "1", "--seed", "1", "--proposal-starts",
    ])
    assert status == 0
    loaded = load_click_model(out / "click.safetensors")
    assert loaded.meta["network"] == NETWORK
    assert loaded.meta["input_size"] == [96, 64]
    assert loaded.meta["val_images"] == [p.stem for p in sorted((tiny_ccp / "images").iterdir())][4:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["tasks"]) == {"garment", "person"}
    for figures in metrics["tasks"].values():
        assert figures["n"] == 2
        assert 1 <= figures["noc90"] <= figures["noc95"] <= clicks.MAX_CLICKS
        # each photo's clicks, which the click retrain's promotion compares photo by photo
        assert len(figures["per_image_noc90"]) == 2
        assert np.mean(figures["per_image_noc90"]) == figures["noc90"]
    events = [json.loads(line)["event"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert events[0] == "start" and events[-1] == "done"
    assert "step" in events and "val" in events


def test_start_masks_cached_for_a_machine_without_the_models(
    tiny_ccp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GPU machine is sent without the shipped models: the start masks made here travel."""
    samples = list_samples(tiny_ccp)
    names = [s.name for s in samples]
    images, _ = click_data.load_photos(samples, print)
    tasks = [click_data.TaskSpec(t, *task_mapping(tiny_ccp, t)) for t in ("garment", "person", "parsing7")]
    cache = tmp_path / "starts.npz"
    made = click_data.cached_starts(cache, names, images, tasks, "cpu", print)
    assert cache.is_file() and [sorted(m) for m in made] == [["garment", "person"]] * len(images)
    assert any(m["garment"].any() for m in made) and all(m["person"].shape == im.shape[:2] for m, im in zip(made, images, strict=True))

    def no_models(*args: object, **kwargs: object) -> None:
        raise AssertionError("the proposal models ran although the cache holds their masks")

    monkeypatch.setattr(click_data, "proposal_starts", no_models)
    read = click_data.cached_starts(cache, names, images, tasks, "cpu", print)
    assert all(np.array_equal(a[t], b[t]) for a, b in zip(made, read, strict=True) for t in ("garment", "person"))
    with pytest.raises(ValueError, match="starts.npz: start masks of other photos"):
        click_data.cached_starts(cache, names[::-1], images[::-1], tasks, "cpu", print)
    with pytest.raises(ValueError, match="starts.npz: start masks of garment, person, not garment"):
        click_data.cached_starts(cache, names, images, tasks[:1], "cpu", print)
    smaller = [im[:-4] for im in images]
    with pytest.raises(ValueError, match=f"photo {names[0]} is"):
        click_data.cached_starts(cache, names, smaller, tasks, "cpu", print)
    # made with other shipped models than the ones here: stale, refused
    from fashion_annotator.segmentation import proposals

    other = tmp_path / "models"
    other.mkdir()
    for task in ("garment", "person"):
        (other / f"{task}.safetensors").write_bytes(b"another model")
    monkeypatch.setattr(proposals, "default_model_path", lambda task: other / f"{task}.safetensors")
    with pytest.raises(ValueError, match="made with other garment, person models"):
        click_data.cached_starts(cache, names, images, tasks, "cpu", print)
    # no model files at all (the GPU machine): the cache is taken as it is
    monkeypatch.setattr(proposals, "default_model_path", lambda task: tmp_path / "none" / f"{task}.safetensors")
    again = click_data.cached_starts(cache, names, images, tasks, "cpu", print)
    assert all(np.array_equal(a["garment"], b["garment"]) for a, b in zip(made, again, strict=True))
    with pytest.raises(SystemExit, match="--starts-file goes with --proposal-starts"):
        clicks.main(["--data", str(tiny_ccp), "--out", str(tmp_path / "o"), "--max-minutes", "0.1",
                     "--device", "cpu", "--starts-file", str(cache)])  # fmt: skip


def test_a_diverging_click_run_saves_no_model(tiny_ccp: Path, tmp_path: Path) -> None:
    """A code review: the click trainer went on past a NaN loss and saved NaN weights, which a
    project retrain then registered."""
    from training.loop import TrainingDiverged

    out = tmp_path / "out"
    with pytest.raises(TrainingDiverged, match="the click loss became nan"):
        clicks.main([
            "--data", str(tiny_ccp), "--out", str(out), "--device", "cpu", "--max-minutes", "0.2",
            "--tasks", "garment", "--init", "scratch", "--batch", "2", "--input-size", "64", "48",
            "--threads", "1", "--lr", "1e12",
        ])  # fmt: skip
    assert not (out / "click.safetensors").exists()


def test_training_crops_have_targets_and_perturbed_masks(tiny_ccp: Path) -> None:
    samples = list_samples(tiny_ccp)
    images, labels = click_data.load_photos(samples, print)
    tasks = [click_data.TaskSpec(t, *task_mapping(tiny_ccp, t)) for t in ("garment", "parsing7")]
    data = click_data.ClickCrops(images, labels, tasks, (96, 64), seed=3)
    items = [data[k] for k in range(24)]
    assert all(img.shape == (96, 64, 3) and img.dtype == np.uint8 for img, _, _, _ in items)
    assert all(gt.any() for _, gt, _, _ in items)
    # Starting masks are a mix of empty and perturbed (never exactly the ground truth).
    assert any(not prev.any() for _, _, prev, _ in items)
    assert any(prev.any() for _, _, prev, _ in items)
    assert not any(np.array_equal(gt, prev) for _, gt, prev, _ in items)
    assert not any(logged.any() for _, _, _, logged in items)  # no click logs here
    # Item k is reproducible.
    again = data[5]
    assert all(np.array_equal(a, b) for a, b in zip(items[5], again, strict=True))


def test_crops_start_from_the_shown_proposal_or_from_grabcut(tiny_ccp: Path) -> None:
    samples = list_samples(tiny_ccp)
    images, labels = click_data.load_photos(samples, print)
    tasks = [click_data.TaskSpec("garment", *task_mapping(tiny_ccp, "garment"))]
    # a "proposal" that is the garment itself: its crop is then exactly the crop's target
    shown = [{"garment": tasks[0].lut[lab] == 1} for lab in labels]
    data = click_data.ClickCrops(images, labels, tasks, (96, 64), seed=0, starts=shown, p_start=1.0)
    for k in range(12):
        _, gt, prev, _ = data[k]
        assert np.array_equal(prev, gt)
    boxes = click_data.ClickCrops(images, labels, tasks, (96, 64), seed=0, p_start=0.0, p_grabcut=1.0)
    overlaps = []
    for k in range(16):
        _, gt, prev, _ = boxes[k]
        inter = np.logical_and(gt, prev).sum()
        overlaps.append(2 * inter / max(1, gt.sum() + prev.sum()))
    assert np.median(overlaps) > 0.6  # GrabCut in a box around the garment mostly finds it


def test_product_crops_are_the_windows_correction_of_the_proposal(tiny_ccp: Path) -> None:
    from fashion_annotator.segmentation.clicks import (
        Click,
        ClickPredictor,
        correction_crop,
        local_input_size,
    )

    samples = list_samples(tiny_ccp)
    images, labels = click_data.load_photos(samples, print)
    tasks = [click_data.TaskSpec("garment", *task_mapping(tiny_ccp, "garment"))]
    targets = [tasks[0].lut[lab] == 1 for lab in labels]
    # a proposal that misses the garment's lower third: the first click is a positive one there
    shown = []
    for t in targets:
        rows = np.flatnonzero(t.any(axis=1))
        cut = rows[0] + 2 * (rows[-1] - rows[0]) // 3
        proposal = t.copy()
        proposal[cut:] = False
        shown.append({"garment": proposal})
    rng = np.random.default_rng(0)
    size = (96, 64)
    for start, target in zip(shown, targets, strict=True):
        box = click_data.product_box(start["garment"], target, rng, size)
        assert box is not None and box.size == size
        y, x, positive = next_click(start["garment"], target)
        assert positive
        # the window's first correction (object crop) or a later one (focus crop where coarse)
        click = Click(y, x, True)
        windows = [correction_crop(start["garment"], clicks, size) for clicks in ([click], [click, click])]
        assert all(w.size == local_input_size(size) for w in windows)  # the window's local input size ...
        # ... one of them at the same pixel scale and centre
        assert any(box.scale == pytest.approx(w.scale)
                   and box.y0 + box.height / 2 == pytest.approx(w.y0 + w.height / 2) for w in windows)  # fmt: skip
        cy, cx = box.to_crop(np.array([[y, x]]))[0]
        assert 0 <= cy < size[0] and 0 <= cx < size[1]  # the click is inside the crop
    exact = click_data.product_box(targets[0], targets[0], rng, size)
    assert exact is None
    data = click_data.ClickCrops(images, labels, tasks, size, seed=0, starts=shown, p_product=1.0)
    for k in range(8):
        _, gt, prev, _ = data[k]
        assert 0 < prev.sum() < gt.sum()  # the proposal, cropped: it misses part of the garment
        assert np.logical_and(prev, gt == 0).sum() <= 0.02 * gt.sum()
    # the predictor's own crop choice is this function
    predictor = ClickPredictor()
    y, x, _ = next_click(shown[0]["garment"], targets[0])
    ours = predictor.crop_for(shown[0]["garment"], [Click(y, x, True)])
    assert ours == correction_crop(shown[0]["garment"], [Click(y, x, True)], predictor.size)


def test_grabcut_start_finds_a_contrasting_object_in_its_box() -> None:
    rng = np.random.default_rng(0)
    image = np.full((96, 64, 3), 200, np.uint8)
    image += rng.integers(0, 20, image.shape, dtype=np.uint8)
    gt = np.zeros((96, 64), np.uint8)
    gt[30:70, 15:45] = 1
    image[gt == 1] = (40, 60, 150)
    start = click_data.grabcut_start(image, gt, rng)
    assert start.dtype == np.uint8 and start.shape == gt.shape
    assert 2 * np.logical_and(start, gt).sum() / (start.sum() + gt.sum()) > 0.9
    assert not click_data.grabcut_start(image, np.zeros_like(gt), rng).any()


def test_trainer_imports_neither_qt_nor_shapely_nor_pycocotools() -> None:
    code = (
        "import sys, training.clicks\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shapely', 'pycocotools')"
        " or m.startswith('fashion_annotator.ui')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_project_masks_and_their_click_logs_become_training_data(
    ccp_dir: Path, tmp_path: Path
) -> None:
    from fashion_annotator.dataset.click_logs import write_click_log
    from fashion_annotator.dataset.store import Project

    classes, lut = task_mapping(ccp_dir, "garment")
    root = tmp_path / "proj"
    with Project.create(root, tasks=("garment",)) as project:
        for i, sample in enumerate(list_samples(ccp_dir)[:8]):
            record = project.add_image(sample.image)
            from PIL import Image

            mask = lut[np.asarray(Image.open(sample.mask))]
            if i == 0:  # the proposal the operator of the first image started from
                proposal = np.zeros_like(mask)
                proposal[:40] = 1
                project.save_proposal(record.id, "garment", proposal, "1")
            saved = project.save_mask(record.id, "garment", mask, status="done")
            ys, xs = np.nonzero(mask)
            write_click_log(saved.path, [
                {"kind": "click", "y": float(ys.mean()), "x": float(xs.mean()), "positive": True,
                 "label": 1},
                {"kind": "click", "y": 5.0, "x": 5.0, "positive": False, "label": 1},
            ])
    with Project.open(root) as project:
        first = project.images()[0]
        second = project.images()[1]
        late = np.zeros(second.shape, np.uint8)
        late[:40] = 1
        project.save_proposal(second.id, "garment", late, "2")  # after its save: no start
    tasks, train_s, val_s, logs, shown = click_data.project_samples(root, ["garment"])
    samples = train_s + val_s
    # the proposal the operator was shown is a starting mask; images without one have none
    with_proposal = [name for name, starts in shown.items() if starts]
    assert with_proposal == [Path(first.path).name]
    assert np.array_equal(shown[with_proposal[0]]["garment"], proposal == 1)
    assert tasks[0].classes == classes and len(samples) == 8
    # the split of every project retrain (the Retrain dialog's): 5 of 8 held for validation
    from training.finetune import project_samples as retrain_split

    with Project.open(root) as project:
        expected = retrain_split(project, "garment")
    assert [s.name for s in val_s] == [s.name for s in expected[1]] and len(val_s) == 5
    assert all(len(logs[s.name]) == 2 and logs[s.name][0][2] for s in samples)

    images, labels = click_data.load_photos(samples, print)
    data = click_data.ClickCrops(images, labels, tasks, (96, 64), seed=0,
                             logs=[logs[s.name] for s in samples])
    replayed = [item for item in (data[k] for k in range(16)) if item[3][0, 2] != 0]
    assert replayed, "half the items replay logged clicks"
    for _image, gt, prev, logged in replayed:
        assert not prev.any()  # a replayed session starts from an empty mask
        assert list(logged[:3, 2]) == [1.0, -1.0, 0.0]
        y, x = np.round(logged[0, :2]).astype(int)
        assert gt[y, x] == 1  # the logged positive click lies on the object

    out = tmp_path / "out"
    assert clicks.main([
        "--project", str(root), "--out", str(out), "--device", "cpu", "--max-minutes", "0.3",
        "--tasks", "garment", "--batch", "2", "--input-size", "96", "64", "--threads", "1",
    ]) == 0
    assert load_click_model(out / "click.safetensors").meta["tasks"] == ["garment"]


@pytest.mark.parametrize("architecture", ["effunet", "unet"])
def test_a_click_net_from_a_proposal_model_starts_as_that_model(tmp_path: Path, architecture: str) -> None:
    """The photo weights are copied and the mask and click channels start at zero."""
    import torch

    from fashion_annotator.models.registry import build_model
    from fashion_annotator.models.weights import save_model

    arch = {"in_ch": 3, "out_ch": 1, **({"decoder": [8, 8, 8, 8, 8]} if architecture == "effunet" else
                                       {"base": 4, "depth": 2, "norm": "group"})}
    proposal = build_model({"architecture": architecture, "arch": arch}).eval()
    torch.manual_seed(0)
    with torch.no_grad():
        for param in proposal.parameters():
            param.add_(0.05 * torch.randn_like(param))
    meta = {"task": "garment", "classes": ["background", "garment"], "architecture": architecture,
            "arch": arch, "input_size": [96, 64], "mean": [0.5] * 3, "std": [0.5] * 3}
    save_model(tmp_path / "garment.safetensors", proposal, meta)
    net, click_arch, read = clicks.click_net_from(tmp_path / "garment.safetensors")
    assert click_arch["in_ch"] == 6 and click_arch["out_ch"] == 1 and read["task"] == "garment"
    photo = torch.randn(2, 3, 96, 64)
    extra = torch.rand(2, 3, 96, 64).round()  # mask and click maps: ignored until trained
    with torch.no_grad():
        torch.testing.assert_close(net.eval()(torch.cat([photo, extra], 1)), proposal(photo))


def test_a_click_net_cannot_start_from_an_instance_classifier() -> None:
    from fashion_annotator.resources import resource_path

    with pytest.raises(ValueError, match="instance_net model cannot start a click network"):
        clicks.click_net_from(resource_path("models", "instance_categories.safetensors"))


def _band(x0: int, x1: int, shape: tuple[int, int] = (24, 32)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[4:20, x0:x1] = 1
    return mask


def _band_project(root: Path, n: int = 8):
    """A project of ``n`` noise photos (24 x 32), each shown the proposal ``_band(8, 20)``."""
    from PIL import Image

    from fashion_annotator.dataset.store import Project

    project = Project.create(root, tasks=("garment",))
    ids = []
    for i in range(n):
        photo = root.parent / f"src/{i:03d}.png"
        photo.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(photo)
        ids.append(project.add_image(photo).id)
        project.save_proposal(ids[-1], "garment", _band(8, 20), "shipped")
    return project, ids


def test_an_undone_click_of_an_autosaved_version_is_not_replayed(tmp_path: Path) -> None:
    """A code review: a positive click saved by the autosave (v1), then undone before the
    next save (v2), was replayed on v2, where its pixel is background."""
    from fashion_annotator.dataset.click_logs import write_click_log

    project, ids = _band_project(tmp_path / "proj")
    with project:
        for i in ids:
            v1 = project.save_mask(i, "garment", _band(6, 28), status="in_progress")
            write_click_log(v1.path, [
                {"kind": "click", "y": 12.0, "x": 26.0, "positive": True, "label": 1},  # undone below
                {"kind": "click", "y": 12.0, "x": 1.0, "positive": False, "label": 1},  # still off
            ])  # fmt: skip
            v2 = project.save_mask(i, "garment", _band(2, 22), status="done")
            write_click_log(v2.path, [
                {"kind": "click", "y": 10.4, "x": 3.4, "positive": True, "label": 1},  # on the object
                {"kind": "click", "y": 12.0, "x": 23.0, "positive": False, "label": 1},  # off it
            ])  # fmt: skip
    _, train_s, val_s, logs, _ = click_data.project_samples(tmp_path / "proj", ["garment"])
    assert len(train_s + val_s) == len(ids)
    for sample in train_s + val_s:
        assert logs[sample.name] == [(12.0, 1.0, False), (10.4, 3.4, True), (12.0, 23.0, False)]


def test_the_start_mask_is_the_proposal_shown_before_the_save(tmp_path: Path) -> None:
    """A code review: the start mask was the latest proposal, even one recorded after the mask
    was saved (the image reopened after a retrain: a model refit on this very mask proposes it)."""
    import time

    project, ids = _band_project(tmp_path / "proj")
    with project:
        for i in ids:
            project.save_mask(i, "garment", _band(2, 28), status="done")
        time.sleep(0.01)
        project.save_proposal(ids[0], "garment", _band(2, 28), "refit")
        names = [project.image(i).name for i in ids]
    _, _, _, _, starts = click_data.project_samples(tmp_path / "proj", ["garment"])
    assert sorted(starts) == sorted(names)
    assert all(np.array_equal(s["garment"], _band(8, 20) == 1) for s in starts.values())
    assert not np.array_equal(starts[names[0]]["garment"], _band(2, 28) == 1)


def test_one_click_saved_on_one_val_photo_does_not_promote_a_click_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code review: a click model was promoted on any lower NoC@90, the best of several
    evaluations on the same val photos; on 5 photos one click saved on one photo promoted it,
    with NoC@95 worse. Now it needs a margin, more photos better than worse, NoC@95 not worse."""
    from fashion_annotator.segmentation.clicks import default_click_model_path
    from training import click_retrain
    from training.request import TrainRequest

    current = {"noc90": 3.0, "noc95": 6.0, "fail90": 0.0, "fail95": 0.2, "n": 5,
               "per_image_noc90": [3, 3, 3, 3, 3], "per_image_noc95": [6, 6, 6, 6, 6]}  # fmt: skip
    figures = {"noc90": 2.8, "noc95": 6.4, "fail90": 0.0, "fail95": 0.2, "n": 5,
               "per_image_noc90": [2, 3, 3, 3, 3], "per_image_noc95": [6, 6, 6, 7, 7]}  # fmt: skip

    def trainer(argv: list[str], emit, cancelled) -> int:  # the trainer's files, these figures
        out = Path(argv[argv.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(default_click_model_path(), out / "click.safetensors")
        shutil.copy(default_click_model_path().with_suffix(".json"), out / "click.json")
        metrics = {"tasks": {"garment": figures}, "compare": {"garment": current}}
        (out / "metrics.json").write_text(json.dumps(metrics))
        return 0

    monkeypatch.setattr(clicks, "main", trainer)
    project, ids = _band_project(tmp_path / "proj")
    with project:
        for i in ids:
            project.save_mask(i, "garment", _band(2, 28), status="done")
    events: list[dict] = []
    request = TrainRequest(project=tmp_path / "proj", task="click", device="cpu", promote_if_better=True)
    done = click_retrain.run(request, events.append, lambda: False)
    assert not done["promoted"]
    assert done["not_promoted"] == (
        "on the same 5 val photos, its NoC@90 2.80 is not at least 0.25 clicks lower than the current "
        "model's 3.00; its NoC@95 6.40 is higher than the current model's 6.00")  # fmt: skip
    assert any(e["event"] == "info" and e["message"].startswith("not promoted: on the same 5") for e in events)
    # better by the margin, on more photos than worse, NoC@95 not worse: promoted
    figures.update(noc90=2.4, noc95=6.0, per_image_noc90=[1, 2, 3, 3, 3])
    assert click_retrain.run(request, events.append, lambda: False)["promoted"]
    # by the margin on the mean, but worse on more photos than better: not promoted
    figures.update(noc90=2.6, per_image_noc90=[1, 1, 4, 4, 3])
    done = click_retrain.run(request, events.append, lambda: False)
    assert not done["promoted"] and done["not_promoted"] == (
        "on the same 5 val photos, it needs fewer clicks on 2 of the 5 photos and more on 2")
