"""The fine-tune recipe: epochs for few masks, the retrain command, the paired comparison."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fashion_annotator.commands import train as train_cmd
from training.finetune import paired_comparison, retrain_command
from training.recipe import CROP_LONG_SIDE, LR, MAX_EPOCHS, MIN_EPOCHS, epochs_for


def test_epochs_for_few_masks():
    assert epochs_for(5) == MAX_EPOCHS
    assert epochs_for(40) == 10
    assert epochs_for(400) == MIN_EPOCHS
    assert all(MIN_EPOCHS <= epochs_for(n) <= MAX_EPOCHS for n in range(0, 500))


def test_retrain_command_parses_with_the_train_command(tmp_path):
    argv = retrain_command(tmp_path, "garment", 50, minutes=4, exclude_unchanged=True,
                           promote_if_better=True, threads=1, extra=["--model-size", "tiny"])  # fmt: skip
    assert argv[0] == "train"
    parser = argparse.ArgumentParser()
    train_cmd.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert args.project == str(tmp_path) and args.task == "garment"
    assert args.epochs == epochs_for(40) and args.lr == LR and args.max_minutes == 4
    assert args.exclude_unchanged and args.promote_if_better and args.threads == 1
    assert args.model_size == "tiny" and args.freeze == "none" and args.object_crops
    assert args.crop_long_side == CROP_LONG_SIDE and args.refit


def test_paired_comparison_counts_images():
    new = {"per_image_dice": [0.9, 0.95, 0.8, 0.7]}
    cur = {"per_image_dice": [0.85, 0.95, 0.9, 0.6]}
    assert paired_comparison(new, cur) == {
        "n": 4, "better": 2, "worse": 1, "median_gain": pytest.approx(0.025)}  # fmt: skip
    assert paired_comparison(new, None) == {}
    assert paired_comparison(new, {"per_image_dice": [0.9]}) == {}


def test_comparison_leaves_out_val_photos_the_current_model_trained_on(monkeypatch, tmp_path):
    from training import comparison
    from training.data import Sample

    val = [Sample(f"p{i}.jpg", tmp_path / f"p{i}.jpg", tmp_path / f"p{i}.png") for i in range(8)]
    trained = {"trained_on": ["p0.jpg", "p3.jpg", "x.jpg"]}
    monkeypatch.setattr(comparison, "read_meta", lambda _path: trained)
    fair, seen = comparison.unseen_by(tmp_path / "current.safetensors", val)
    assert [s.name for s in fair] == ["p1.jpg", "p2.jpg", "p4.jpg", "p5.jpg", "p6.jpg", "p7.jpg"]
    assert seen == 0
    # too few unseen photos left: all are compared, and how many the current model saw is said
    trained["trained_on"] = [f"p{i}.jpg" for i in range(5)]
    fair, seen = comparison.unseen_by(tmp_path / "current.safetensors", val)
    assert fair == val and seen == 5
    assert comparison.unseen_by(None, val) == (val, 0)
    # a model trained on a data folder (the shipped ones) lists stems: they count too
    trained["trained_on"] = ["p0", "p3"]
    fair, seen = comparison.unseen_by(tmp_path / "current.safetensors", val)
    assert [s.name for s in fair] == ["p1.jpg", "p2.jpg", "p4.jpg", "p5.jpg", "p6.jpg", "p7.jpg"]


@pytest.mark.parametrize(("at_side", "at_first", "kept"), [(0.98, 0.97, True), (0.97, 0.97, False),
                                                           (0.96, 0.97, False)])  # fmt: skip
def test_the_crop_side_is_kept_only_when_it_beats_the_first_pass_on_val(
    monkeypatch, tmp_path, at_side, at_first, kept
):
    from training import runner

    calls = []

    def fake(path, val, head, device, meta_changes=None):
        calls.append(meta_changes)
        return {"median_dice": at_first if meta_changes else at_side, "first": bool(meta_changes)}

    monkeypatch.setattr(runner, "evaluate_predictor", fake)
    meta = {"task": "garment", "crop_pass": True, "crop_long_side": 640}
    out, figures = runner._choose_crop_side(tmp_path / "m.safetensors", meta, [1, 2, 3, 4, 5], None,
                                            "cpu")  # fmt: skip
    assert calls == [None, {"crop_long_side": None}]
    assert figures["first"] is not kept  # the figures of the setting kept, for the comparison
    assert ("crop_long_side" in out) is kept and out["crop_pass"] is True
    assert out["crop_long_side_val"] == {
        "median_dice": {"640": at_side, "first_pass": at_first}, "images": 5}  # fmt: skip
    assert meta["crop_long_side"] == 640  # the caller's dict is untouched


def test_a_refit_cut_by_the_time_bound_is_not_used(tmp_path, monkeypatch) -> None:
    """Found in a hand test: with Train > Retrain's time limit the refit on every mask ran 6 of
    its 8 steps and those weights, never scored, were registered as the new model."""
    import torch.nn as nn

    from training import runner
    from training.loop import TrainConfig, TrainResult

    events: list[dict] = []
    partial = TrainResult(nn.Linear(1, 1), {}, 1, 1, [], complete=False)
    monkeypatch.setattr(runner, "train", lambda *a, **k: partial)
    args = (TrainConfig(out_dir=str(tmp_path)), [], [], 1, 1.0, events.append, lambda: False, None,
            lambda: None, [0.5] * 3, [0.2] * 3)  # fmt: skip
    assert runner._refit(*args) is None
    assert "stopped by the time bound" in events[-1]["message"]
    monkeypatch.setattr(runner, "train", lambda *a, **k: TrainResult(nn.Linear(1, 1), {}, 1, 1, []))
    assert runner._refit(*args) is not None


def test_resume_refuses_a_checkpoint_of_other_settings_or_photos(tmp_path) -> None:
    """Found in a hand test: a cancelled window retrain (object crops, lr 5e-4) resumed from a
    terminal without them took its old step count (epochs lost), changed its learning rate and
    crops without a word, and was registered."""
    from dataclasses import asdict

    import numpy as np

    from training.heads import stack_heads
    from training.loop import TrainConfig, _check_resumable, _heads_key

    lut = np.zeros(256, np.uint8)
    garment = stack_heads([("garment", ["background", "garment"], lut)])
    person = stack_heads([("person", ["background", "person"], lut)])
    train, val = [f"p{i:02d}" for i in range(12)], ["v1", "v2"]
    made = TrainConfig(out_dir=str(tmp_path), lr=5e-4, epochs=4)
    ckpt = {"config": asdict(made), "train_images": 12, "heads": _heads_key(garment),
            "train_names": sorted(train), "val_names": val}  # fmt: skip
    longer = TrainConfig(out_dir=str(tmp_path / "x"), lr=5e-4, epochs=8, max_minutes=3.0)
    path = tmp_path / "checkpoint.pt"
    _check_resumable(path, ckpt, longer, garment, train[::-1], val)  # more epochs, a time bound: fine
    with pytest.raises(ValueError, match=r"checkpoint\.pt: .*lr 0\.0005 \(now 0\.002\)"):
        _check_resumable(path, ckpt, TrainConfig(out_dir=str(tmp_path)), garment, train, val)
    with pytest.raises(ValueError, match=r"12 training samples \(now 6\)"):
        _check_resumable(path, ckpt, longer, garment, train[:6], val)
    # a code review: a garment checkpoint resumed as person was exported as a person model
    with pytest.raises(ValueError, match=r"tasks and classes \[\['garment'"):
        _check_resumable(path, ckpt, longer, person, train, val)
    # and a split recomputed after QA rejected a photo moved a trained-on photo into validation
    moved_train, moved_val = [*train[1:], "v2"], ["p00", "v1"]
    with pytest.raises(ValueError, match=r"other training photos: 1 no longer there \(e\.g\. p00\), 1 new \(e\.g\. v2\)"):
        _check_resumable(path, ckpt, longer, garment, moved_train, moved_val)


def test_a_retrain_is_promoted_only_when_better_by_a_margin_on_more_photos() -> None:
    """A code review: a network identical to the current one, only re-thresholded on the val
    photos it was then compared on, was promoted by 0.9584 against 0.9582."""
    from training.finetune import PROMOTE_MARGIN, promotes

    def comparison(new: float, current: float | None, better: int = 4, worse: int = 1) -> dict:
        return {"new": {"median_dice": new},
                "current": None if current is None else {"median_dice": current},
                "paired": {"n": 5, "better": better, "worse": worse}}  # fmt: skip

    # a first model beats predicting background everywhere on the same photos, by the margin
    floor = {"median_dice": 0.0, "images": 5}
    assert promotes("median_dice", {**comparison(0.90, None), "background": floor})
    assert not promotes("median_dice", {**comparison(0.001, None), "background": floor})
    assert not promotes("median_dice", comparison(0.90, None))  # no figures to beat: not promoted
    assert not promotes("median_dice", comparison(0.9584, 0.9582))
    assert promotes("median_dice", comparison(0.9582 + PROMOTE_MARGIN, 0.9582))
    assert not promotes("median_dice", comparison(0.97, 0.95, better=2, worse=3))  # loses more photos
    assert promotes("miou", {"new": {"miou": 0.72}, "current": {"miou": 0.70}, "paired": {}})


def _first_model_project(root, ccp_dir):
    """Ten CCP photos with ``done`` deepfashion24 masks (a task with no shipped model): every
    labelled pixel class 1 (top), its lower half class 2 (outer)."""
    import numpy as np

    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.dataset.store import Project

    project = Project.create(root, tasks=("deepfashion24",))
    for image in sorted((ccp_dir / "images").glob("*.jpg"))[:10]:
        record = project.add_image(image)
        source = load_mask(ccp_dir / "masks" / f"{image.stem}.png")
        mask = (source > 0).astype(np.uint8)
        mask[(source > 0) & (np.arange(source.shape[0])[:, None] > source.shape[0] // 2)] = 2
        project.save_mask(record.id, "deepfashion24", mask, status="done")
    return project


def test_a_first_model_is_promoted_only_when_it_beats_predicting_background(tmp_path, ccp_dir):
    """A code review: on a task with no shipped model (deepfashion24), --promote-if-better (what
    the background retrain passes) made the first retrain active however bad (mIoU 0.02):
    there was nothing to compare it with. Now it is registered, not promoted, and says why."""
    from training.finetune import PROMOTE_MARGIN
    from training.request import TrainRequest
    from training.runner import run

    events: list[dict] = []
    with _first_model_project(tmp_path / "p", ccp_dir) as project:
        request = TrainRequest(project=project.root, task="deepfashion24", epochs=1, max_minutes=0.5,
                               device="cpu", model_size="tiny", input_size=(64, 48), lr=1e-5,
                               threads=1, promote_if_better=True)  # fmt: skip
        done = run(request, events.append)
        assert done["promoted"] is False
        assert project.active_model("deepfashion24") is None
        comparison = done["comparison"]
        assert comparison["current"] is None
        floor, new = comparison["background"], comparison["new"]
        assert floor["images"] == comparison["images"]  # the same val photos
        # all background: the background IoU is the pixel accuracy; the garment classes score 0
        assert floor["per_class_iou"]["background"] == pytest.approx(floor["pixel_accuracy"])
        assert floor["per_class_iou"]["top"] == floor["per_class_iou"]["outer"] == 0.0
        assert new["miou"] < floor["miou"] + PROMOTE_MARGIN
        assert "does not beat predicting background everywhere" in done["not_promoted"]
        said = [e["message"] for e in events if e["event"] == "info"]
        assert any(m.startswith("not promoted: its miou") and "models --activate 1" in m for m in said)
        assert [m.version for m in project.models("deepfashion24")] == [1]


def test_predicting_background_everywhere_scores_a_binary_task(ccp_dir):
    """The floor a first cutout model must beat: Dice 0 on every photo with a garment."""
    import numpy as np

    from training.data import Sample
    from training.heads import Head
    from training.metrics import background_figures

    samples = [Sample(p.stem, p, ccp_dir / "masks" / f"{p.stem}.png")
               for p in sorted((ccp_dir / "images").glob("*.jpg"))[:3]]  # fmt: skip
    lut = (np.arange(256) > 0).astype(np.uint8)  # every labelled pixel is the object
    floor = background_figures(samples, Head("garment", ("background", "garment"), lut, 0))
    assert floor["images"] == 3 and floor["per_image_dice"] == [0.0, 0.0, 0.0]
    assert floor["median_dice"] == floor["iou"] == 0.0
    assert floor["miou"] == pytest.approx(floor["pixel_accuracy"] / 2)


def test_a_retrain_holds_for_validation_first_the_photos_the_current_model_did_not_train_on(
    tmp_path, ccp_dir
) -> None:
    """The project's split, given the current model's ``trained_on`` (names or stems), keeps
    the photos that model trained on out of val where it can."""
    from training.finetune import project_samples

    with _first_model_project(tmp_path / "p", ccp_dir) as project:
        train, val = project_samples(project, "deepfashion24")
        again = project_samples(project, "deepfashion24", trained_on=[s.name for s in val])
        assert len(again[1]) == len(val)
        overlap = {s.name for s in again[1]} & {s.name for s in val}
        assert len(overlap) < len(val)  # the new val avoids what the current model saw
        stems = project_samples(project, "deepfashion24", trained_on=[Path(s.name).stem for s in val])
        assert [s.name for s in stems[1]] == [s.name for s in again[1]]
        assert project_samples(project, "deepfashion24", trained_on=()) == (train, val)
