"""A stopped ``train`` leaves nothing under a finished model's name.

A CLI test: Ctrl+C during the ``--refit`` phase left ``OUT/garment.safetensors`` in place, the
held-out model with complete-looking metadata, not the refit asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.models.weights import read_meta
from training.request import TrainRequest
from training.runner import run


def _request(data: Path, out: Path, **extra: object) -> TrainRequest:
    return TrainRequest(task="garment", data=data, out=out, input_size=(32, 32), model_size="tiny",
                        threads=1, epochs=2, batch_size=2, device="cpu", refit=True, **extra)  # fmt: skip


def test_an_interrupted_refit_leaves_no_finished_model_and_resumes(tiny_garment_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def stop_at_the_refit(event: dict) -> None:
        if event["event"] == "refit_step":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(_request(tiny_garment_data, out), stop_at_the_refit)
    assert not (out / "garment.safetensors").exists() and not (out / "garment.json").exists()
    assert not list(out.glob("*.safetensors")), "no model file of the unfinished run stays"
    assert (out / "checkpoint.pt").is_file(), "the held-out run's checkpoint stays for --resume"
    done = run(_request(tiny_garment_data, out, resume=True), lambda e: None)
    assert done["model_path"] == str(out / "garment.safetensors")
    meta = read_meta(out / "garment.safetensors")
    assert meta["refit"]["images"] == 6 and len(meta["trained_on"]) == 6
    assert sorted(p.name for p in out.glob("garment*")) == ["garment.json", "garment.safetensors"]
