"""``training.recipes.inference_sweep`` on the shipped garment model and the CCP fixture photos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fashion_annotator.segmentation.proposals import default_model_path, load_predictor
from training.recipes import inference_sweep
from training.recipes.inference_sweep import Setting, pick

pytestmark = pytest.mark.slow


def test_sweep_scores_every_setting_and_writes_the_pick(ccp_dir: Path, tmp_path: Path, capsys) -> None:
    shipped = default_model_path("garment")
    model = tmp_path / "garment.safetensors"
    shutil.copyfile(shipped, model)
    meta = json.loads(shipped.with_suffix(".json").read_text())
    for key in ("infer_long_side", "flip_average", "inference_selection"):
        meta.pop(key, None)
    model.with_suffix(".json").write_text(json.dumps(meta))
    table = tmp_path / "sweep.json"
    assert inference_sweep.main([str(model), "--data", str(ccp_dir), "--long-sides", "192,384",
                                 "--latency-runs", "1", "--budget-ms", "100000", "--write",
                                 "--json", str(table)]) == 0  # fmt: skip
    result = json.loads(table.read_text())
    tried = [(s["long_side"], s["flip_average"]) for s in result["settings"]]
    assert tried == [(192, False), (192, True), (384, False), (384, True)]
    assert all(0.5 < s["score"] <= 1.0 and s["latency_ms"] > 0 for s in result["settings"])
    best = max(result["settings"], key=lambda s: (s["score"], -s["latency_ms"]))
    assert result["picked"] == best
    # a quarter of the pixels loses detail on real photos: the full long side wins
    assert best["long_side"] == 384
    written = json.loads(model.with_suffix(".json").read_text())
    assert written["infer_long_side"] == best["long_side"]
    assert written["flip_average"] == best["flip_average"]
    assert written["inference_selection"]["split"] == "val"
    predictor = load_predictor(model, device="cpu")
    assert predictor.spec.long_side == best["long_side"]
    assert predictor.flip_average == best["flip_average"]
    assert "<- picked" in capsys.readouterr().out


def test_pick_respects_the_latency_budget_and_refuses_when_nothing_fits() -> None:
    fast = Setting(384, False, 0.94, 0.92, 90.0)
    slow = Setting(512, True, 0.96, 0.94, 400.0)
    assert pick([fast, slow], 300.0) == fast
    assert pick([fast, slow], 500.0) == slow
    with pytest.raises(ValueError, match="no setting runs within 50 ms"):
        pick([fast, slow], 50.0)
