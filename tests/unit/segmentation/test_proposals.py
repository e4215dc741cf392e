"""The model predictor on tiny saved U-Nets: shapes, determinism, batching, and bad files."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch

from fashion_annotator.core.resample import source_axis
from fashion_annotator.dataset.store import Project
from fashion_annotator.evaluation.latency import benchmark_latency
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import save_model
from fashion_annotator.segmentation import proposals
from fashion_annotator.segmentation.proposals import (
    ModelLoadError,
    Predictor,
    Proposal,
    load_predictor,
)

BINARY = ("background", "garment")
PARTS = ("background", "top", "bottom")


def _meta(task: str, classes: tuple[str, ...], arch: dict, **extra) -> dict:
    return {
        "task": task,
        "classes": list(classes),
        "arch": arch,
        "input_size": [48, 32],
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "threshold": 0.5,
        "version": "7",
        "date": "2024-01-01T00:00:00Z",
        "training_data_fingerprint": "0" * 16,
        "trained_on": [],
        "metrics": {},
        **extra,
    }


def make_model(classes: tuple[str, ...] = BINARY, seed: int = 0) -> tuple[UNet, dict]:
    torch.manual_seed(seed)
    arch = {"in_ch": 3, "out_ch": 1 if len(classes) == 2 else len(classes), "base": 4, "depth": 2}
    return UNet(**arch).eval(), arch


def save_tiny(path: Path, classes: tuple[str, ...] = BINARY, task: str = "garment", **meta) -> Path:
    model, arch = make_model(classes)
    save_model(path, model, _meta(task, classes, arch, **meta))
    return path


@pytest.fixture
def garment_file(tmp_path) -> Path:
    return save_tiny(tmp_path / "garment.safetensors")


@pytest.fixture
def photos() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [
        rng.integers(0, 256, shape, dtype=np.uint8)
        for shape in ((100, 70, 3), (30, 20, 3), (96, 64, 3))
    ]


def test_binary_proposal_shapes_dtypes_and_consistency(garment_file, photos):
    predictor = load_predictor(garment_file, device="cpu")
    assert predictor.device_name == "CPU"
    assert predictor.task == "garment" and predictor.model_version == "7"
    for rgb in photos:  # larger and smaller than the 48x32 network input
        predictor.set_image(rgb)
        proposal = predictor.predict()
        assert isinstance(proposal, Proposal)
        assert proposal.task == "garment" and proposal.model_version == "7"
        assert proposal.mask.shape == rgb.shape[:2] and proposal.mask.dtype == np.uint8
        assert set(np.unique(proposal.mask)) <= {0, 1}
        probs = proposal.probs
        assert probs.shape == (2, *rgb.shape[:2]) and probs.dtype == np.float32
        np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-6)
        decided = np.abs(probs[1] - 0.5) > 1e-4
        np.testing.assert_array_equal(proposal.mask[decided], (probs[1] >= 0.5)[decided])
        assert proposal.probs is probs  # computed once


def test_multiclass_proposal_is_argmax_of_softmax(tmp_path, photos):
    path = save_tiny(tmp_path / "parts.safetensors", PARTS, task="parts")
    predictor = load_predictor(path, device="cpu")
    predictor.set_image(photos[0])
    proposal = predictor.predict()
    assert proposal.probs.shape == (3, 100, 70) and proposal.probs.dtype == np.float32
    np.testing.assert_allclose(proposal.probs.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_array_equal(proposal.mask, proposal.probs.argmax(axis=0))
    assert proposal.mask.max() < 3


def test_predictions_are_deterministic_and_batch_equals_single(garment_file, photos):
    predictor = load_predictor(garment_file, device="cpu")
    singles = []
    for rgb in photos:
        predictor.set_image(rgb)
        singles.append(predictor.predict())
    predictor.set_image(photos[0])
    np.testing.assert_array_equal(predictor.predict().probs, singles[0].probs)
    batch = predictor.predict_batch(photos, batch_size=2)
    assert len(batch) == len(photos)
    for one, many in zip(singles, batch, strict=True):
        np.testing.assert_allclose(many.probs, one.probs, atol=1e-5)
        assert (many.mask != one.mask).mean() < 1e-3
    assert predictor.predict_batch([]) == []


def test_probs_agree_with_torch_on_network_input_size(garment_file):
    """At the network's own input size no resizing happens: probs are sigmoid(forward(x))."""
    predictor = load_predictor(garment_file, device="cpu")
    rgb = np.random.default_rng(2).integers(0, 256, (48, 32, 3), dtype=np.uint8)
    x = (rgb / 255.0 - predictor.mean) / predictor.std
    with torch.no_grad():
        logits = predictor.module(torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32)))
    predictor.set_image(rgb)
    np.testing.assert_allclose(
        predictor.predict().probs[1], torch.sigmoid(logits)[0, 0].numpy(), atol=1e-5
    )


def test_bad_input_and_order_errors(garment_file):
    predictor = load_predictor(garment_file, device="cpu")
    with pytest.raises(RuntimeError, match="set_image"):
        predictor.predict()
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8 photo, got shape \(4, 4\)"):
        predictor.set_image(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="dtype float32"):
        predictor.set_image(np.zeros((4, 4, 3), np.float32))


def test_auto_device_is_named(garment_file):
    predictor = load_predictor(garment_file)
    if torch.cuda.is_available():
        assert predictor.device.type == "cuda"
        assert predictor.device_name == torch.cuda.get_device_name(predictor.device)
    elif predictor.device.type == "cpu":
        assert predictor.device_name == "CPU"
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        load_predictor(garment_file, device="gpu0")


def test_corrupt_weights_file_is_refused(garment_file):
    garment_file.write_bytes(b"\x00\x01 not a safetensors file")
    with pytest.raises(ModelLoadError, match="garment.safetensors") as info:
        load_predictor(garment_file)
    assert info.value.path == garment_file


def test_wrong_shape_weights_are_refused(tmp_path):
    path = save_tiny(tmp_path / "garment.safetensors")
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["arch"]["base"] = 8
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="garment.safetensors"):
        load_predictor(path)


def test_missing_json_is_refused(garment_file):
    garment_file.with_suffix(".json").unlink()
    with pytest.raises(ModelLoadError, match=r"garment\.json: .*not found"):
        load_predictor(garment_file)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes": list(PARTS)}, "3 classes"),
        ({"input_size": "big"}, "input_size must be"),
        ({"std": [0.2, 0.0, 0.2]}, "std positive"),
        ({"threshold": 1.5}, "threshold must lie"),
        ({"crop_pass": "yes"}, "crop_pass must be true or false"),
        ({"flip_average": 1}, "flip_average must be true or false"),
        ({"logit_bias": [0.0, 1.0, 2.0]}, "logit_bias must list one number"),
        ({"logit_bias": [0.0, 99.0]}, "logit_bias must list one number"),
        ({"resize": "letterbox", "infer_long_side": 4}, "infer_long_side must be"),
        ({"classes": ["only"]}, "two names or more"),
    ],
)
def test_mismatched_meta_is_refused(garment_file, change, message):
    meta_path = garment_file.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.update(change)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=message) as info:
        load_predictor(garment_file)
    assert "garment." in str(info.value)


def test_meta_without_required_key_and_invalid_json(garment_file):
    meta_path = garment_file.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    del meta["input_size"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="lacks .*input_size"):
        load_predictor(garment_file)
    meta_path.write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_predictor(garment_file)


def test_predictor_refuses_incomplete_meta_in_memory():
    model, arch = make_model()
    meta = _meta("garment", BINARY, arch)
    del meta["mean"]
    with pytest.raises(ModelLoadError, match="lacks mean"):
        Predictor(SimpleNamespace(module=model, meta=meta), device="cpu")
    meta = _meta("parts", PARTS, arch)
    with pytest.raises(
        ModelLoadError, match=r"outputs \(1, 1, 12, 8\) but .* \(expected 3 channels\)"
    ):
        Predictor(SimpleNamespace(module=model, meta=meta), device="cpu")


def test_load_predictor_by_task_prefers_project_active_model(tmp_path, monkeypatch):
    shipped = tmp_path / "resources"
    (shipped / "models").mkdir(parents=True)
    monkeypatch.setattr(proposals, "resource_path", lambda *parts: shipped.joinpath(*parts))
    with pytest.raises(ModelLoadError, match="no model for task 'garment'"):
        load_predictor("garment")
    save_tiny(shipped / "models" / "garment.safetensors", version="shipped")
    assert load_predictor("garment", device="cpu").model_version == "shipped"

    own = save_tiny(tmp_path / "out" / "own.safetensors", version="2")
    with Project.create(tmp_path / "project", tasks=("garment",)) as project:
        project.models.register("garment", own, {}, [], activate=True)
        assert load_predictor("garment", project=project, device="cpu").model_version == "2"
        project.models.set_active("garment", None)
        assert load_predictor("garment", project=project, device="cpu").model_version == "shipped"


def test_load_predictor_checks_the_task(tmp_path, monkeypatch):
    monkeypatch.setattr(proposals, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    save_tiny(tmp_path / "models" / "person.safetensors", task="garment")
    with pytest.raises(ModelLoadError, match="for task 'garment', not 'person'"):
        load_predictor("person")
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_predictor(tmp_path / "absent.safetensors")


def test_benchmark_latency_reports_medians(garment_file):
    predictor = load_predictor(garment_file, device="cpu")
    result = benchmark_latency(predictor, (90, 60), repeats=3)
    assert result["shape"] == [90, 60] and result["repeats"] == 3 and result["device"] == "CPU"
    assert 0 < result["min_s"] <= result["median_s"] <= result["median_with_probs_s"]
    with pytest.raises(ValueError, match="repeats"):
        benchmark_latency(predictor, (90, 60), repeats=0)


class BrightIsForeground(torch.nn.Module):
    """Logit +10 where the normalised red channel is positive, else -10; counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return (x[:, :1] > 0).float() * 20 - 10


def test_crop_pass_sharpens_a_small_subject():
    meta = _meta("garment", BINARY, {}, mean=[0.5] * 3, std=[0.5] * 3, input_size=[24, 16])
    rgb = np.zeros((240, 160, 3), np.uint8)
    rgb[101:131, 61:83] = 255  # 30x22 subject, off the 10x10 network grid
    truth = rgb[..., 0] > 0

    def iou(mask: np.ndarray) -> float:
        return (mask.astype(bool) & truth).sum() / (mask.astype(bool) | truth).sum()

    plain = Predictor(SimpleNamespace(module=BrightIsForeground(), meta=meta), device="cpu")
    plain.set_image(rgb)
    first = plain.predict()
    module = BrightIsForeground()
    cropped = Predictor(SimpleNamespace(module=module, meta=meta), device="cpu", crop_pass=True)
    calls = module.calls
    cropped.set_image(rgb)
    second = cropped.predict()
    assert module.calls == calls + 2  # the photo, then the crop
    assert iou(second.mask) > iou(first.mask) + 0.1
    assert iou(second.mask) > 0.9
    np.testing.assert_allclose(second.probs.sum(axis=0), 1.0, atol=1e-6)
    [batched] = cropped.predict_batch([rgb])
    np.testing.assert_array_equal(batched.mask, second.mask)
    rgb[:] = 255  # a subject filling the photo: no zoom to gain, no second pass
    calls = module.calls
    cropped.set_image(rgb)
    assert cropped.predict().mask.all() and module.calls == calls + 1


def test_crop_pass_follows_the_model_metadata_unless_asked():
    meta = _meta("garment", BINARY, {}, mean=[0.5] * 3, std=[0.5] * 3, input_size=[24, 16])
    model = SimpleNamespace(module=BrightIsForeground(), meta=meta)
    assert Predictor(model, device="cpu").crop_pass is False
    tuned = SimpleNamespace(module=BrightIsForeground(), meta={**meta, "crop_pass": True})
    assert Predictor(tuned, device="cpu").crop_pass is True
    assert Predictor(tuned, device="cpu", crop_pass=False).crop_pass is False
    assert Predictor(model, device="cpu", crop_pass=True).crop_pass is True


class ShapeRecorder(BrightIsForeground):
    """BrightIsForeground that records the spatial size of each input."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[tuple[int, int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append((int(x.shape[2]), int(x.shape[3])))
        return super().forward(x)


def test_crop_pass_runs_at_the_metadata_crop_long_side():
    meta = _meta("garment", BINARY, {}, mean=[0.5] * 3, std=[0.5] * 3, input_size=[24, 16],
                 resize="letterbox", long_side=24, stride=8, crop_pass=True)  # fmt: skip
    rgb = np.zeros((240, 160, 3), np.uint8)
    rgb[101:131, 61:83] = 255
    masks = {}
    for side in (None, 48):
        module = ShapeRecorder()
        extra = {} if side is None else {"crop_long_side": side}
        predictor = Predictor(SimpleNamespace(module=module, meta={**meta, **extra}), device="cpu")
        predictor.set_image(rgb)
        masks[side] = predictor.predict().mask
        # the photo at long side 24, then its object crop (taller than wide) at 24 or 48
        assert module.sizes[-2][0] == 24 and module.sizes[-1][0] == (side or 24)
        assert predictor.spec.long_side == 24
    truth = rgb[..., 0] > 0
    for mask in masks.values():
        assert (mask.astype(bool) & truth).sum() / (mask.astype(bool) | truth).sum() > 0.9
    with pytest.raises(ModelLoadError, match="crop_long_side"):
        Predictor(SimpleNamespace(module=ShapeRecorder(), meta={**meta, "crop_long_side": 2}),
                  device="cpu")  # fmt: skip


class RampLogits(torch.nn.Module):
    """Logits rising from -10 at the input's left edge to +10 at its right edge, whatever the
    photo: a model that is not mirror-consistent at all. Counts calls and batch sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(x.shape[0])
        ramp = torch.linspace(-10, 10, x.shape[-1])
        return ramp.expand(x.shape[0], 1, x.shape[-2], x.shape[-1]).clone()


def test_flip_average_averages_the_photo_and_its_mirror_in_one_batch():
    meta = _meta("garment", BINARY, {}, mean=[0.5] * 3, std=[0.5] * 3, input_size=[24, 16])
    rgb = np.random.default_rng(0).integers(0, 256, (48, 32, 3), dtype=np.uint8)
    module = RampLogits()
    plain = Predictor(SimpleNamespace(module=module, meta=meta), device="cpu")
    plain.set_image(rgb)
    assert plain.predict_mirrored() is None
    right = plain.predict().mask
    assert right[:, -1].all() and not right[:, 0].any()
    flipped = Predictor(SimpleNamespace(module=module, meta=meta), device="cpu", flip_average=True)
    module.batches.clear()  # the load-time output check ran the network once
    flipped.set_image(rgb)
    assert module.batches == [2]  # the photo and its mirror, one forward pass
    probs = flipped.predict().probs
    np.testing.assert_allclose(probs[1], 0.5, atol=1e-5)  # the ramp and its mirror cancel
    mirror = flipped.predict_mirrored()
    assert mirror is not None
    np.testing.assert_array_equal(mirror.mask, right[:, ::-1])
    [batched] = flipped.predict_batch([rgb])
    np.testing.assert_allclose(batched.probs, probs, atol=1e-6)


def test_flip_average_and_inference_long_side_follow_the_metadata_unless_asked():
    meta = _meta("garment", BINARY, {}, mean=[0.5] * 3, std=[0.5] * 3, input_size=[24, 16],
                 resize="letterbox", long_side=24, stride=8)  # fmt: skip
    model = SimpleNamespace(module=BrightIsForeground(), meta=meta)
    default = Predictor(model, device="cpu")
    assert default.flip_average is False and default.spec.long_side == 24
    tuned_meta = {**meta, "flip_average": True, "infer_long_side": 32}
    tuned = Predictor(SimpleNamespace(module=BrightIsForeground(), meta=tuned_meta), device="cpu")
    assert tuned.flip_average is True and tuned.spec.long_side == 32
    asked = Predictor(SimpleNamespace(module=BrightIsForeground(), meta=tuned_meta), device="cpu",
                      flip_average=False, long_side=40)  # fmt: skip
    assert asked.flip_average is False and asked.spec.long_side == 40
    tuned_meta["crop_pass"] = True
    fast = Predictor(SimpleNamespace(module=BrightIsForeground(), meta=tuned_meta), device="cpu",
                     one_pass=True)  # fmt: skip
    assert (fast.flip_average, fast.crop_pass, fast.spec.long_side) == (False, False, 24)
    flipped = Predictor(SimpleNamespace(module=BrightIsForeground(), meta=tuned_meta), device="cpu",
                        one_pass=True, flip_average=True)  # fmt: skip
    assert flipped.flip_average is True and flipped.spec.long_side == 24  # explicit wins
    rgb = np.zeros((90, 60, 3), np.uint8)
    rgb[30:60, 20:40] = 255
    for predictor in (default, tuned, asked):
        predictor.set_image(rgb)
        mask = predictor.predict().mask
        assert mask.shape == (90, 60) and mask[45, 30] == 1 and mask[5, 5] == 0
    squash = {**_meta("garment", BINARY, {}, input_size=[24, 16]), "infer_long_side": 32}
    assert Predictor(SimpleNamespace(module=BrightIsForeground(), meta=squash),
                     device="cpu").spec.input_size == (24, 16)  # fmt: skip
    with pytest.raises(ModelLoadError, match="infer_long_side must be"):
        Predictor(SimpleNamespace(module=BrightIsForeground(), meta=meta), device="cpu", long_side=2)


@pytest.mark.parametrize("small, big", [((45, 30), (173, 115)), ((20, 30), (13, 17)), ((9, 9), (9, 9))])
@pytest.mark.parametrize("smooth", [False, True])
def test_enlarged_argmax_matches_argmax_of_the_enlarged_logits(small, big, smooth):
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((18, *small)).astype(np.float32)
    if smooth:  # class regions as a network gives them: most source cells of one class
        logits = np.stack([cv2.GaussianBlur(layer, (0, 0), 3) * 10 for layer in logits])
    fast = proposals._enlarged_argmax(logits, big)
    enlarged = proposals._enlarge(logits, big)
    slow = enlarged.argmax(axis=0)
    assert fast.dtype == np.uint8 and fast.shape == big
    differ = fast != slow
    # only exact-tie pixels may differ (the per-class resize rounds within 1e-4)
    assert differ.mean() < 1e-3
    top2 = np.sort(enlarged, axis=0)[-2:]
    assert np.all(top2[1][differ] - top2[0][differ] < 1e-3)


@pytest.mark.parametrize("small, big", [((45, 30), (173, 115)), ((20, 30), (13, 17)), ((7, 5), (7, 5))])
def test_cell_pixels_are_the_pixels_of_the_enlarged_cell_mask(small, big):
    cells = np.random.default_rng(6).random(small) < 0.3
    rows = source_axis(np.arange(big[0]), small[0], big[0])[0]
    cols = source_axis(np.arange(big[1]), small[1], big[1])[0]
    ys, xs = proposals._cell_pixels(cells, rows, cols)
    found = np.zeros(big, int)
    np.add.at(found, (ys, xs), 1)
    assert found.max() == 1  # each pixel once
    assert np.array_equal(found.astype(bool), cells[rows][:, cols])
    none = proposals._cell_pixels(np.zeros(small, bool), rows, cols)
    assert none[0].size == 0 and none[1].size == 0
