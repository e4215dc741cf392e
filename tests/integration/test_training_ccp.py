"""The ``train`` command on real CCP photos: learning, resume, cancel and the model registry.

Tiny networks on 32x24 to 64x48 inputs keep each run to a few seconds.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from fashion_annotator.cli import main
from fashion_annotator.core.samples import read_sample
from fashion_annotator.dataset.store import Project
from fashion_annotator.models.weights import load_model
from training.data import list_samples, split_samples, task_mapping
from training.finetune import PROMOTE_MARGIN, promotes

REPO = Path(__file__).resolve().parents[2]
TINY = ["--model-size", "tiny", "--threads", "1", "--json-progress", "--batch-size", "2"]
#: ``train --project`` runs the retrain recipe; these tests time the plain training steps.
PLAIN = ["--no-refit", "--no-object-crops", "--no-choose-refinements"]
pytestmark = pytest.mark.slow


def _events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _train(capsys: pytest.CaptureFixture, *args: str) -> list[dict]:
    assert main(["train", *args, *TINY]) == 0
    return _events(capsys.readouterr().out)


def _data_args(ccp_dir: Path, out: Path, task: str = "garment", size: str = "64 48") -> list[str]:
    return ["--data", str(ccp_dir), "--task", task, "--out", str(out),
            "--input-size", *size.split(), "--train-limit", "8", "--val-limit", "2",
            "--cache-dir", str(out.parent / "cache")]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, ccp_dir: Path) -> Path:
    """A garment project with eight done CCP images (the fewest a retrain takes) (masks mapped from the CCP labels)."""
    root = tmp_path / "proj"
    _, lut = task_mapping(ccp_dir, "garment")
    train, _ = split_samples(list_samples(ccp_dir), ccp_dir)
    with Project.create(root, tasks=("garment",)) as p:
        for s in train[:8]:
            record = p.add_image(s.image)
            mask = lut[read_sample(s)[1]]
            p.save_mask(record.id, "garment", mask)
            p.set_status(record.id, "done")
    return root


def test_two_epochs_lower_the_loss_and_write_a_loadable_model(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    events = _train(capsys, *_data_args(ccp_dir, out, "parsing7"), "--epochs", "2",
                    "--lr", "0.01", "--jitter", "0")  # fmt: skip
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("epoch") == 2
    steps = [e for e in events if e["event"] == "step"]
    assert {s["steps"] for s in steps} == {4} and all(s["eta_s"] >= 0 for s in steps)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert epochs[1]["loss"] < epochs[0]["loss"]
    assert 0 <= epochs[1]["val"]["parsing7"]["miou"] <= 1
    done = events[-1]
    assert done["comparison"]["new"]["pixel_accuracy"] > 0
    loaded = load_model(Path(done["model_path"]))
    assert loaded.meta["task"] == "parsing7" and len(loaded.meta["classes"]) == 7
    assert loaded.meta["input_size"] == [64, 48] and len(loaded.meta["trained_on"]) == 8
    assert len(loaded.meta["training_data_fingerprint"]) == 64
    with torch.no_grad():
        assert loaded.module(torch.zeros(1, 3, 64, 48)).shape == (1, 7, 64, 48)


def test_a_fine_tune_of_a_letterbox_model_stays_letterbox(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    first = Path(_train(capsys, *_data_args(ccp_dir, tmp_path / "a", "garment", "64 48"),
                        "--epochs", "1")[-1]["model_path"])  # fmt: skip
    meta_path = first.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.update(resize="letterbox", long_side=64, stride=16)
    meta_path.write_text(json.dumps(meta))
    done = _train(capsys, *_data_args(ccp_dir, tmp_path / "b", "garment", "64 48"),
                  "--epochs", "1", "--init", str(first), "--object-crops",
                  "--crop-long-side", "96")[-1]  # fmt: skip
    tuned = load_model(Path(done["model_path"])).meta
    assert (tuned["resize"], tuned["long_side"], tuned["stride"]) == ("letterbox", 64, 16)
    assert tuned["input_size"] == [64, 48] and 0 <= tuned["metrics"]["median_dice"] <= 1
    # the crop side is kept only when it beats the first pass's on the val photos
    choice = tuned["crop_long_side_val"]
    assert choice["images"] == 2 and set(choice["median_dice"]) == {"96", "first_pass"}
    kept = choice["median_dice"]["96"] > choice["median_dice"]["first_pass"]
    assert tuned["crop_pass"] is True and tuned.get("crop_long_side") == (96 if kept else None)
    from fashion_annotator.segmentation.proposals import load_predictor

    predictor = load_predictor(Path(done["model_path"]), device="cpu")
    assert predictor.spec.mode == "letterbox"
    assert (predictor.spec.long_side, predictor.crop_spec.long_side) == (64, 96 if kept else 64)
    new = done["comparison"]["new"]
    assert new["crop_long_side"] == (96 if kept else 64)
    at = choice["median_dice"]["96" if kept else "first_pass"]
    assert new["median_dice"] == pytest.approx(at)
    predictor.set_image(np.full((300, 500, 3), 200, np.uint8))
    assert predictor.predict().mask.shape == (300, 500)


def test_object_crops_train_the_zoomed_view_and_switch_the_crop_pass_on(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    events = _train(capsys, *_data_args(ccp_dir, tmp_path / "a", "garment", "64 48"),
                    "--epochs", "1", "--object-crops")  # fmt: skip
    start, done = events[0], events[-1]
    assert start["train_images"] == 8
    # each photo whose garments leave most of the frame free adds its crop: more steps
    steps = {e["steps"] for e in events if e["event"] == "step"}
    assert steps and min(steps) > 4
    meta = load_model(Path(done["model_path"])).meta
    assert meta["crop_pass"] is True and len(meta["trained_on"]) == 8
    assert not any("#crop" in name for name in meta["trained_on"])
    from fashion_annotator.segmentation.proposals import load_predictor

    assert load_predictor(Path(done["model_path"]), device="cpu").crop_pass is True
    # the promotion decision compares the two models as they propose: the new one with its
    # crop pass, the shipped one without, on the same two full-size val photos
    new, current = done["comparison"]["new"], done["comparison"]["current"]
    assert new["crop_pass"] is True and current["crop_pass"] is False
    assert len(new["per_image_dice"]) == len(current["per_image_dice"]) == 2
    assert done["comparison"]["paired"]["n"] == 2 and current["median_dice"] > 0.5
    plain = _train(capsys, *_data_args(ccp_dir, tmp_path / "b", "garment", "64 48"), "--epochs", "1")
    assert "crop_pass" not in load_model(Path(plain[-1]["model_path"])).meta


def test_joint_training_exports_one_model_per_task(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "joint"
    events = _train(capsys, *_data_args(ccp_dir, out, "garment+person", "32 24"), "--epochs", "1")
    done = events[-1]
    assert set(done["models"]) == {"garment", "person"}
    for task, path in done["models"].items():
        meta = load_model(Path(path)).meta
        assert meta["task"] == task and meta["arch"]["out_ch"] == 1
        assert 0.3 <= meta["threshold"] <= 0.8 and "median_dice" in meta["metrics"]


def test_resume_after_a_killed_run(tmp_path: Path, ccp_dir: Path, capsys) -> None:
    out = tmp_path / "killed"
    args = _data_args(ccp_dir, out, "garment", "32 24")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fashion_annotator", "train", *args, *TINY, "--epochs", "500"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ckpt = out / "checkpoint.pt"
    deadline = time.monotonic() + 60
    while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert ckpt.exists(), "no checkpoint after the first epoch"
    done_epochs = torch.load(ckpt, weights_only=True)["epoch"]
    assert 1 <= done_epochs < 500
    # a rerun that forgot --resume: the checkpoint (hours of a real run) was deleted
    assert main(["train", *args, *TINY, "--epochs", "1"]) == 1
    assert "checkpoint.pt from an earlier run; continue it with --resume" in capsys.readouterr().out
    assert torch.load(ckpt, weights_only=True)["epoch"] == done_epochs
    events = _train(capsys, *args, "--epochs", str(done_epochs + 2), "--resume")
    epochs = [e["epoch"] for e in events if e["event"] == "epoch"]
    assert epochs == [done_epochs + 1, done_epochs + 2]
    assert events[-1]["event"] == "done"
    model = Path(events[-1]["model_path"])
    assert load_model(model).meta["epochs_run"] == done_epochs + 2
    before = model.read_bytes()
    assert main(["train", *args, *TINY, "--epochs", "1"]) == 1  # nor is a finished model overwritten
    assert "garment.safetensors from an earlier run" in capsys.readouterr().out
    assert model.read_bytes() == before


def test_sigterm_cancels_and_registers_nothing(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fashion_annotator", "train", "--project", str(project),
         "--task", "garment", "--init", "scratch", "--input-size", "32", "24",
         "--epochs", "500", *TINY],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "step":
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143  # never 0: a scheduler's `train ... && next` stops here
    assert _events(rest)[-1] == {"event": "cancelled"}
    with Project.open(project) as p:
        assert p.models("garment") == []
    assert not list((project / "models").rglob("*.safetensors"))


def test_project_model_is_registered_and_promoted_only_when_asked_and_better(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    base = ["--project", str(project), "--task", "garment", "--input-size", "32", "24", *PLAIN]
    first = _train(capsys, *base, "--epochs", "1", "--init", "scratch")[-1]
    assert first["version"] == 1 and first["promoted"] is False
    with Project.open(project) as p:
        (record,) = p.models("garment")
        assert not record.active and p.active_model("garment") is None
        assert len(record.trained_on) >= 1 and "median_dice" in record.metrics
        meta = json.loads(record.path.with_suffix(".json").read_text())
        assert meta["registry_version"] == 1 and len(meta["version"]) == 15  # the run's 20261205-104212
        p.set_active_model("garment", 1)
    second = _train(capsys, *base, "--epochs", "2", "--init", "current", "--promote-if-better")[-1]
    new, current = second["comparison"]["new"], second["comparison"]["current"]
    assert current["model_path"].endswith("v1.safetensors")
    better = promotes("median_dice", second["comparison"])
    assert better == (new["median_dice"] >= current["median_dice"] + PROMOTE_MARGIN
                      and second["comparison"]["paired"]["better"] > second["comparison"]["paired"]["worse"])  # fmt: skip
    assert second["version"] == 2 and second["promoted"] is better
    with Project.open(project) as p:
        assert p.active_model("garment").version == (2 if better else 1)


def test_the_terminal_gives_a_promotion_verdict_only_when_one_was_asked_for(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    """A hand test: a retrain without --promote-if-better printed "better on 4, worse on 1 (a
    promotion needs 0.002 more and more better than worse)", as if a promotion had been tried."""
    base = ["train", "--project", str(project), "--task", "garment", "--input-size", "32", "24",
            "--epochs", "1", "--model-size", "tiny", "--threads", "1", "--batch-size", "2", *PLAIN]  # fmt: skip
    assert main([*base, "--init", "scratch"]) == 0
    with Project.open(project) as p:
        p.set_active_model("garment", 1)
    capsys.readouterr()
    assert main([*base, "--init", "current"]) == 0
    out = capsys.readouterr().out
    assert "registered as version 2 (not promoted)" in out
    assert re.search(r"^against the current model on the same \d val photos: better on \d, worse on \d$", out, re.M), out
    assert "promotion" not in out and "promoted (" not in out
    assert main([*base, "--init", "current", "--promote-if-better"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("against the current model"))
    assert line.endswith(": promoted") or "not promoted (a promotion needs 0.002 more" in line


def test_refit_trains_the_chosen_epochs_on_every_mask_after_the_held_out_decision(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    base = ["--project", str(project), "--task", "garment", "--input-size", "32", "24",
            "--epochs", "2", "--init", "scratch", "--seed", "3"]  # fmt: skip
    held_out = _train(capsys, *base, *PLAIN)[-1]  # the project recipe refits by default
    assert not (project / "cache" / "training" / "garment" / "checkpoint.pt").exists(), (
        "a finished run leaves no checkpoint for a later --resume to reuse"
    )
    events = _train(capsys, *base, "--refit", "--no-object-crops", "--no-choose-refinements")
    done = events[-1]
    best = done["best_epoch"]
    assert best >= 1 and {k: done["refit"][k] for k in ("epochs", "images")} == {"epochs": best, "images": 8}
    assert "held-out run" in done["refit"]["metrics_of"]
    refit_epochs = [e for e in events if e["event"] == "refit_epoch"]
    assert [e["epoch"] for e in refit_epochs] == list(range(1, best + 1))
    assert all(e["val"] == {} for e in refit_epochs)
    assert any(e["event"] == "info" and e["message"].startswith("refit:") for e in events)
    assert not (project / "cache" / "training" / "garment" / "refit" / "checkpoint.pt").exists()
    # the decision figures are the held-out run's, identical to a run without the refit
    assert done["comparison"]["new"]["per_image_dice"] == held_out["comparison"]["new"]["per_image_dice"]
    with Project.open(project) as p:
        first, second = p.models("garment")
        assert len(first.trained_on) == 3 and len(second.trained_on) == 8
    meta = json.loads(second.path.with_suffix(".json").read_text())
    assert meta["refit"] == done["refit"] and len(meta["val_images"]) == 5
    a, b = load_model(first.path).module.state_dict(), load_model(second.path).module.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)
    # the next retrain is compared with the refitted model, which trained on all 5 val photos
    with Project.open(project) as p:
        p.set_active_model("garment", second.version)
    third = _train(capsys, *base[:-4], "--init", "current", *PLAIN)[-1]["comparison"]
    assert third["images"] == 5 and third["left_out"] == 0 and third["current_trained_on"] == 5


def test_a_project_retrain_chooses_the_refinements_its_val_photos_favour(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    from fashion_annotator.segmentation.pipeline import model_refinements
    from fashion_annotator.segmentation.proposals import load_predictor
    from training.finetune import REFINEMENT_CHOICES

    base = ["--project", str(project), "--task", "garment", "--input-size", "32", "24",
            "--epochs", "1", "--init", "scratch", "--choose-refinements"]  # fmt: skip
    done = _train(capsys, *base)[-1]
    meta = json.loads(Path(done["model_path"]).with_suffix(".json").read_text())
    scores = meta["refinements_val"]["median_dice"]
    assert meta["refinements_val"]["images"] == 5
    assert set(scores) == {"snap+grabcut+guided", *("+".join(c) or "raw" for c in REFINEMENT_CHOICES)}
    chosen = "+".join(meta["refinements"]) or "raw"
    assert scores[chosen] == max(scores.values())
    assert model_refinements(load_predictor(Path(done["model_path"]))) == tuple(meta["refinements"])


def test_bad_input_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "data").mkdir()  # a folder with no images/ in it (the output goes beside it)
    assert main(["train", "--data", str(tmp_path / "data"), "--task", "garment", "--out",
                 str(tmp_path / "o"), "--json-progress"]) == 1  # fmt: skip
    event = _events(capsys.readouterr().out)[-1]
    assert event["event"] == "error" and "no images/ folder" in event["message"]
    empty = tmp_path / "empty"
    Project.create(empty, tasks=("garment",)).close()
    assert main(["train", "--project", str(empty), "--task", "garment", "--json-progress"]) == 1
    assert "a retrain needs at least" in _events(capsys.readouterr().out)[-1]["message"]


def test_a_retrain_of_the_shipped_parsing7_trains_its_fine_heads_too(tmp_path: Path, ccp_dir: Path, capsys) -> None:
    from fashion_annotator.segmentation.proposals import default_model_path

    shipped = load_model(default_model_path("parsing7"))
    out = tmp_path / "out"
    args = ["train", "--data", str(ccp_dir), "--task", "parsing7", "--out", str(out), "--train-limit", "4",
            "--val-limit", "2", "--cache-dir", str(tmp_path / "cache"), "--epochs", "1",
            "--init", str(default_model_path("parsing7")), "--threads", "1", "--batch-size", "2", "--json-progress"]  # fmt: skip
    assert main(args) == 0
    done = _events(capsys.readouterr().out)[-1]
    retrained = load_model(Path(done["model_path"]))
    # the members keep both heads and the mixture; the fine rows learnt from the parsing7 labels too
    assert [m.get("fine_head") for m in retrained.meta["arch"]["members"]] == [
        m.get("fine_head") for m in shipped.meta["arch"]["members"]
    ]
    before, after = shipped.module.state_dict(), retrained.module.state_dict()
    head = "members.1.head.weight"
    assert after[head].shape == before[head].shape == (7 + 18, 16, 1, 1)
    assert not torch.allclose(after[head][7:], before[head][7:])
    assert 0.0 <= done["comparison"]["new"]["miou"] <= 1.0


def test_a_cancelled_project_retrain_resumes(project: Path) -> None:
    """A re-test: every project `--resume` failed ("not a checkpoint written by this program"):
    the split's photo names were numpy strings, which the restricted checkpoint load refuses."""
    from training.loop import TrainingCancelled
    from training.request import TrainRequest
    from training.runner import run

    events: list[dict] = []
    request = dict(task="garment", project=str(project), input_size=(32, 24), model_size="tiny",
                   init="scratch", threads=1, epochs=2)  # fmt: skip
    run(TrainRequest(**{**request, "epochs": 1}), lambda e: None)  # decodes the photos into the cache
    with pytest.raises(TrainingCancelled):
        run(TrainRequest(**request), events.append, lambda: any(e["event"] == "epoch" for e in events))
    resumed: list[dict] = []
    done = run(TrainRequest(**request, resume=True), resumed.append)
    assert [e["epoch"] for e in resumed if e["event"] == "epoch"] == [2]
    assert done["event"] == "done" and done["version"] == 2


def test_a_refused_resume_names_the_command_that_made_the_checkpoint(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    """A hand test: after a kill -9 of a window retrain, `train --resume` with default flags was
    refused "resume with the command that made it", a command only the log file held; and a
    resume that worked did not say where it went on from."""
    import shlex

    from training.loop import TrainingCancelled
    from training.request import TrainRequest
    from training.runner import run

    events: list[dict] = []
    request = TrainRequest(task="garment", project=str(project), input_size=(32, 24), model_size="tiny",
                           init="scratch", threads=1, epochs=3, lr=5e-4, patience=40, object_crops=True)  # fmt: skip
    with pytest.raises(TrainingCancelled):  # as a kill after the first epoch's checkpoint
        run(request, events.append, lambda: any(e["event"] == "epoch" for e in events))
    base = ["train", "--project", str(project), "--task", "garment", "--input-size", "32", "24",
            "--model-size", "tiny", "--init", "scratch", "--threads", "1", "--no-refit"]  # fmt: skip
    assert main([*base, "--epochs", "3", "--lr", "0.002", "--patience", "12", "--resume"]) == 1
    err = capsys.readouterr().err
    assert "lr 0.0005 (now 0.002); patience 40 (now 12)" in err
    command = err.split("resume with the command that made it: ", 1)[1].split("; or train without --resume")[0]
    words = shlex.split(command)
    assert words[:2] == ["fashion-annotator", "train"] and words[-1] == "--resume"
    for option in (["--lr", "0.0005"], ["--patience", "40"], ["--object-crops"], ["--epochs", "3"]):
        assert " ".join(option) in command, option
    assert main([*words[1:], "--json-progress"]) == 0
    resumed = _events(capsys.readouterr().out)
    assert any(e["event"] == "info" and e["message"].startswith("--resume: continuing from epoch 1 of ")
               and "the next is epoch 2" in e["message"] for e in resumed)  # fmt: skip
    assert [e["epoch"] for e in resumed if e["event"] == "epoch"][0] == 2
    assert resumed[-1]["event"] == "done"


def test_retrains_keep_only_the_split_caches_a_resume_or_the_next_run_reads(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    """A hand test: after 5 runs PROJECT/cache/training held 6 split-*.npz files (46 MB); each
    run with other photos or settings added two and none was ever removed."""
    cache = project / "cache" / "training"
    cache.mkdir(parents=True, exist_ok=True)
    legacy = cache / "split-0123456789abcdef.npz"  # an older version's cache
    legacy.write_bytes(b"old")
    person = cache / "split-person-train-0123456789abcdef.npz"  # another task's: its next run reads it
    person.write_bytes(b"person")
    base = ["train", "--project", str(project), "--task", "garment", "--init", "scratch", "--epochs", "1",
            "--model-size", "tiny", "--threads", "1", "--batch-size", "2", *PLAIN]  # fmt: skip
    kept = []
    for size in (["32", "24"], ["48", "32"], ["32", "24"]):
        assert main([*base, "--input-size", *size]) == 0
        kept.append(sorted(p.name for p in cache.glob("split-*.npz") if p != person))
        assert not legacy.exists() and person.read_bytes() == b"person"
    assert len(kept[0]) == len(kept[1]) == len(kept[2]) >= 2, kept
    assert not set(kept[0]) & set(kept[1]), "a run with another input size keeps none of the first's"
    capsys.readouterr()
    assert main([*base, "--input-size", "32", "24", "--json-progress"]) == 0  # the same again: all read
    assert sorted(p.name for p in cache.glob("split-*.npz") if p != person) == kept[2]


def test_the_refit_shows_its_steps_on_a_terminal_as_the_held_out_epochs_do(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand test: the terminal showed each held-out epoch's progress bar, then nothing for
    over a minute of refit until "refit epoch 1: loss ..."."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    args = [*_data_args(ccp_dir, tmp_path / "out", "garment", "32 24"), "--epochs", "2", "--refit",
            "--model-size", "tiny", "--threads", "1", "--batch-size", "2", "--init", "scratch"]  # fmt: skip
    assert main(["train", *args]) == 0
    err = capsys.readouterr().err
    held_out, _, refit = err.partition("refit: ")
    assert "\repoch 1 [" in held_out and "\repoch 2 [" in held_out
    assert re.search(r"\rrefit epoch 1 \[#+ *\] (\d+)/\1 loss \d", refit), refit
    assert refit.index("\rrefit epoch 1 [") < refit.index("refit epoch 1: loss")


def test_a_retrain_on_masks_without_foreground_is_refused_before_training(
    tmp_path: Path, ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """A hand test: 10 all-background garment masks trained and compared Dice 0.0000 with
    0.0000 on every val photo, and the dialog offered "Use this model". (Each a proposal erased:
    one saved with no proposal shown is left out before, as blank.)"""
    root = tmp_path / "empty_masks"
    train, _ = split_samples(list_samples(ccp_dir), ccp_dir)
    with Project.create(root, tasks=("garment",)) as p:
        for s in train[:8]:
            record = p.add_image(s.image)
            shown = np.zeros(read_sample(s)[1].shape, np.uint8)
            shown[10:40, 10:30] = 1
            p.save_proposal(record.id, "garment", shown, "shipped")
            p.save_mask(record.id, "garment", np.zeros_like(shown), status="done")
    assert main(["train", "--project", str(root), "--task", "garment", "--input-size", "32", "24",
                 "--epochs", "1", "--init", "scratch", *TINY]) == 1  # fmt: skip
    events = _events(capsys.readouterr().out)
    assert [e["event"] for e in events] == ["error"]  # before any training started
    assert "none of the 3 garment masks to train on has a pixel other than background" in events[0]["message"]
    assert "(0 of all 8 usable masks have one)" in events[0]["message"]
    with Project.open(root) as p:
        assert p.models("garment") == []
