"""The effort benchmark on three CCP val photos, through the command line, without a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.cli import main

pytestmark = pytest.mark.slow


def test_bench_effort_without_model_writes_sane_figures(
    ccp_dir: Path, ccp_splits: dict[str, list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "effort.json"
    argv = ["bench", "effort", "--data", str(ccp_dir), "--task", "garment", "--limit", "3"]
    assert main([*argv, "--no-model", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "garment" and result["n_images"] == 3
    assert result["target"] == 0.98 and result["tool_start"] == "empty"
    for method in ("tool", "no_model", "polygon"):
        figures = result[method]
        assert set(figures) == {"median_actions", "mean_actions", "reached_share"}
        assert 0.0 <= figures["reached_share"] <= 1.0
        assert 1 <= figures["median_actions"]
    assert result["tool"]["median_actions"] <= 60 and result["no_model"]["median_actions"] <= 60
    # A full-body garment outline takes dozens of vertices; region clicks need far fewer.
    assert result["polygon"]["median_actions"] >= 20
    assert result["polygon"]["reached_share"] == 1.0
    assert result["tool"]["median_actions"] < result["polygon"]["median_actions"]
    assert [row["name"] for row in result["per_image"]] == ccp_splits["val"][:3]


def test_bench_refine_names_an_unusable_model(ccp_dir: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.safetensors"
    argv = ["bench", "refine", "--data", str(ccp_dir), "--task", "garment", "--limit", "1"]
    assert main([*argv, "--model", str(missing)]) == 1
    assert str(missing) in capsys.readouterr().err
