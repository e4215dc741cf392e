"""``bench loop --json``: a run that failed says so in its JSON, and bad ``--train-arg`` values
are refused before the first photo is scored.

A CLI test: a round's retrain failed (exit 1), yet ``--json`` held valid JSON with only the
baseline round and nothing saying the run was unfinished; ``--train-arg "--nosuch 3"`` was
found out only after the scoring and a simulated round.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Three 64x48 photos with a garment rectangle (source id 1), in a plain mask folder."""
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (64, 48, 3), np.uint8)).save(root / "images" / f"{i}.png")
        mask = np.zeros((64, 48), np.uint8)
        mask[16:48, 12:36] = 1
        Image.fromarray(mask).save(root / "masks" / f"{i}.png")
    taxonomies = {"garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1}}}
    (root / "taxonomies.json").write_text(json.dumps(taxonomies))
    return root


def _argv(data: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["bench", "loop", "--data", str(data), "--split", "all", "--task", "garment",
            "--rounds", "1", "--minutes-per-round", "0.05", "--work", str(tmp_path / "w"),
            "--json", str(tmp_path / "loop.json"), *extra]  # fmt: skip


def test_a_train_arg_the_trainer_refuses_is_a_usage_error_before_any_scoring(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(data, tmp_path, "--train-arg=--nosuch 3")) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("fashion-annotator bench loop: error: --train-arg: ") and "--nosuch 3" in err
    assert main(_argv(data, tmp_path, "--train-arg=--epochs", "--train-arg=0")) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "w" / "project").exists() and not (tmp_path / "loop.json").exists()


def test_a_failed_round_leaves_json_that_says_the_run_is_unfinished(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one corrected photo is too few for a retrain: the round fails after the baseline
    assert main(_argv(data, tmp_path)) == 1
    err = capsys.readouterr().err
    assert "fashion-annotator bench loop: error: retrain failed" in err
    result = json.loads((tmp_path / "loop.json").read_text())
    assert result["finished"] is False and result["error"].startswith("retrain failed")
    assert [r["corrected"] for r in result["rounds"]] == [0]
