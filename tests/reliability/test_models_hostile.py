"""Hostile model files, checkpoints and training runs: refused before allocating or unpickling,
with a message that names the file and the cause; NaN losses save no model."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from fashion_annotator.cli import main as cli_main
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import ModelFileError, load_model, save_model
from fashion_annotator.runtime.exit_codes import EXIT_ERROR
from training.loop import load_checkpoint

pytestmark = pytest.mark.reliability

ARCH = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2, "norm": "group", "attention": False}
REPO = Path(__file__).resolve().parents[2]


def _meta(**change) -> dict:
    meta = {"task": "garment", "classes": ["background", "garment"], "arch": dict(ARCH),
            "input_size": [32, 32], "mean": [0.5] * 3, "std": [0.25] * 3, "threshold": 0.5}
    meta.update(change)
    return meta  # fmt: skip


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.safetensors"
    torch.manual_seed(0)
    save_model(path, UNet(**ARCH), _meta())
    return path


def _state(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return {k: v.clone() for k, v in load_file(str(path)).items()}  # not views of the file


class Payload:
    """A pickle that would create a file when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _weights_cases(path: Path, tmp: Path) -> dict[str, tuple[callable, str]]:
    def nan() -> None:
        state = _state(path)
        next(iter(state.values()))[0] = float("nan")
        save_file(state, str(path))

    def integer() -> None:
        save_file({k: v.to(torch.int32) for k, v in _state(path).items()}, str(path))

    def meta(**change) -> callable:
        return lambda: path.with_suffix(".json").write_text(json.dumps(_meta(**change)))

    def raw(data: bytes) -> callable:
        return lambda: path.write_bytes(data)

    return {
        "NaN weights": (nan, "NaN or infinite"),
        "integer weights": (integer, "floating point"),
        "huge base": (meta(arch={**ARCH, "base": 100_000}), "base=100000 outside"),
        "huge depth": (meta(arch={**ARCH, "depth": 1000}), "depth=1000 outside"),
        "huge out_ch": (meta(arch={**ARCH, "out_ch": 10**9}), "outside"),
        "huge input": (meta(input_size=[100_000, 100_000]), "outside 8..4096"),
        "float input": (meta(input_size=[32.5, 32]), "input_size must be [H, W] integers"),
        "NaN mean": (lambda: path.with_suffix(".json").write_text(
            json.dumps(_meta()).replace('"mean": [0.5, 0.5, 0.5]', '"mean": [NaN, 0.5, 0.5]')),
            "must be finite"),
        "zero std": (meta(std=[0, 1, 1]), "std positive"),
        "10^5 classes": (meta(classes=[f"c{i}" for i in range(100_000)]), "two names or more"),
        "unknown arch key": (meta(arch={**ARCH, "wings": 2}), "unknown keys"),
        "norm not known": (meta(arch={**ARCH, "norm": "x" * 10}), "norm"),
        "deeply nested meta": (lambda: path.with_suffix(".json").write_text("[" * 100_000),
                               "nested too deeply"),
        "meta is a list": (lambda: path.with_suffix(".json").write_text("[1]"), "JSON object"),
        "torch.save zip": (lambda: torch.save(_state(path), path), "zip archive"),
        "raw pickle": (lambda: path.write_bytes(pickle.dumps(Payload(tmp / "pwned"))),
                       "Python pickle"),
        "header length 2^60": (raw(struct.pack("<Q", 2**60) + b"{}"), "not a safetensors file"),
        "empty weights": (raw(b""), "not a safetensors file (empty file)"),
        "header not JSON": (raw(struct.pack("<Q", 4) + b"{abc"), "damaged header"),
        "truncated weights": (lambda: path.write_bytes(path.read_bytes()[:-100]), "corrupt"),
        "wrong shapes": (lambda: save_file({"w": torch.zeros(3)}, str(path)),
                         "do not match the architecture"),
    }  # fmt: skip


def test_hostile_model_files_are_refused_before_use(
    model_file: Path, tmp_path: Path, ledger
) -> None:
    pristine = {p: p.read_bytes() for p in (model_file, model_file.with_suffix(".json"))}
    for name, (damage, expected) in _weights_cases(model_file, tmp_path).items():
        ledger.try_("models", name)
        for p, data in pristine.items():
            p.write_bytes(data)
        load_model(model_file)  # the pristine file loads
        damage()
        with pytest.raises(ModelFileError, match="m\\.(safetensors|json)") as info:
            load_model(model_file)
        assert expected in str(info.value), (name, str(info.value))
        ledger.handled("models", name)
    assert not (tmp_path / "pwned").exists()


def _checkpoint_cases(path: Path, tmp: Path) -> dict[str, tuple[callable, str]]:
    return {
        "hostile pickle checkpoint": (
            lambda: torch.save({"model": Payload(tmp / "pwned")}, path), "refused without"),
        "raw pickle checkpoint": (
            lambda: path.write_bytes(pickle.dumps(Payload(tmp / "pwned"))), "refused without"),
        "garbage checkpoint": (lambda: path.write_bytes(b"\x00" * 64), "refused without"),
        "empty checkpoint": (lambda: path.write_bytes(b""), "refused without"),
        "checkpoint missing keys": (lambda: torch.save({"model": {}}, path), "missing keys"),
        "checkpoint is a list": (lambda: torch.save([1, 2], path), "missing keys"),
    }  # fmt: skip


def test_hostile_checkpoints_are_refused_without_unpickling(tmp_path: Path, ledger) -> None:
    path = tmp_path / "checkpoint.pt"
    for name, (write, expected) in _checkpoint_cases(path, tmp_path).items():
        ledger.try_("checkpoints", name)
        write()
        with pytest.raises(ValueError) as info:
            load_checkpoint(path)
        message = str(info.value)
        assert str(path) in message and expected in message, message
        assert "weights_only=False" not in message  # never suggest loading arbitrary code
        ledger.handled("checkpoints", name)
    assert not (tmp_path / "pwned").exists()


def _train(data: Path, out: Path, *extra: str, capsys) -> tuple[int, list[dict]]:
    rc = cli_main(["train", "--data", str(data), "--out", str(out), "--task", "garment",
                   "--model-size", "tiny", "--input-size", "32", "32", "--batch-size", "2",
                   "--device", "cpu", "--threads", "1", "--json-progress", *extra])  # fmt: skip

    def no_nan(token: str) -> float:
        raise AssertionError(f"invalid JSON constant {token} on stdout")

    lines = capsys.readouterr().out.splitlines()
    return rc, [json.loads(line, parse_constant=no_nan) for line in lines if line.startswith("{")]


def test_nan_loss_stops_training_and_saves_nothing(
    tiny_garment_data: Path, tmp_path: Path, capsys, ledger
) -> None:
    ledger.try_("training", "NaN loss")
    rc, events = _train(tiny_garment_data, tmp_path / "out", "--epochs", "3", "--lr", "1e38",
                        "--jitter", "0", capsys=capsys)  # fmt: skip
    assert rc == EXIT_ERROR, events
    assert events[-1]["event"] == "error" and "loss became" in events[-1]["message"]
    assert not list((tmp_path / "out").glob("*.safetensors"))
    ledger.handled("training", "NaN loss")


def test_init_from_a_model_of_another_task_is_refused(
    tiny_garment_data: Path, tmp_path: Path, capsys, ledger
) -> None:
    ledger.try_("training", "--init with a parsing7 model")
    parsing7 = REPO / "resources" / "models" / "parsing7.safetensors"
    rc, events = _train(tiny_garment_data, tmp_path / "out", "--epochs", "1", "--init", str(parsing7),
                        capsys=capsys)  # fmt: skip
    assert rc == EXIT_ERROR
    assert "'parsing7' model cannot initialise a garment training" in events[-1]["message"]
    ledger.handled("training", "--init with a parsing7 model")


def test_resume_from_a_hostile_checkpoint(tiny_garment_data: Path, tmp_path: Path, capsys, ledger) -> None:
    ledger.try_("training", "--resume from a hostile checkpoint")
    out = tmp_path / "out"
    out.mkdir()
    torch.save({"model": Payload(tmp_path / "pwned")}, out / "checkpoint.pt")
    rc, events = _train(tiny_garment_data, out, "--epochs", "1", "--resume", capsys=capsys)
    assert rc == EXIT_ERROR and "refused without unpickling" in events[-1]["message"]
    assert not (tmp_path / "pwned").exists()
    ledger.handled("training", "--resume from a hostile checkpoint")
