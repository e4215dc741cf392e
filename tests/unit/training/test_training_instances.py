"""The instance category classifier's training (``python -m training.instances``) on CCP photos."""

from __future__ import annotations

import json
from pathlib import Path

from fashion_annotator.instances.classifier import CATEGORY_TASK
from training.instances import main


def test_trains_and_saves_a_classifier_on_the_ccp_subset(ccp_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "inst"
    main(["--data", str(ccp_dir), "--out", str(out), "--epochs", "1", "--size", "32", "--width", "8",
          "--max-minutes", "2"])  # fmt: skip
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "data" and events[0]["train"] > 0 and events[0]["val"] > 0
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [0]
    assert (out / f"{CATEGORY_TASK}.safetensors").is_file()
    meta = json.loads((out / f"{CATEGORY_TASK}.json").read_text())
    assert meta["train_samples"] == events[0]["train"] and meta["metrics"]["epochs"] == 1
