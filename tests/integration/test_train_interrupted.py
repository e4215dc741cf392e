"""A stopped ``train`` leaves nothing under a finished model's name, and says it stopped.

A CLI test: Ctrl+C during the ``--refit`` phase left ``OUT/garment.safetensors`` in place, the
held-out model with complete-looking metadata, not the refit asked for; SIGTERM exited 0.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_annotator.models.weights import read_meta
from fashion_annotator.runtime.exit_codes import EXIT_TERMINATED
from training.request import TrainRequest
from training.runner import run

REPO = Path(__file__).resolve().parents[2]


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


def test_sigterm_exits_non_zero_with_a_cancelled_event(tiny_garment_data: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fashion_annotator", "train", "--data", str(tiny_garment_data), "--task",
         "garment", "--out", str(tmp_path / "out"), "--input-size", "32", "32", "--model-size", "tiny",
         "--threads", "1", "--batch-size", "2", "--epochs", "500", "--json-progress"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "step":
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_TERMINATED == 143
    assert json.loads(rest.splitlines()[-1]) == {"event": "cancelled"}
    assert not list((tmp_path / "out").glob("*.safetensors"))
