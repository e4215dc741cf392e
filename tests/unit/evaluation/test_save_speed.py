"""The save benchmark runs and reports sane medians (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.evaluation.save_speed import bench_save


def test_bench_save_reports_medians(tmp_path: Path) -> None:
    result = bench_save(n=3, shape=(60, 40), folder=tmp_path)
    assert result["n"] == 3
    assert result["save_median_ms"] > 0 and result["encode_median_ms"] > 0
    assert result["ratio"] == result["save_median_ms"] / result["encode_median_ms"]
