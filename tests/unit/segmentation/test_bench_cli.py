"""``fashion-annotator bench`` subcommands on a tiny synthetic dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.resources import resource_path


def test_bench_superpixels_reports_levels_and_timing(tiny_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "sp.json"
    argv = ["bench", "superpixels", "--data", str(tiny_dataset), "--task", "garment"]
    assert main([*argv, "--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 2 and len(result["levels"]) == 4
    assert all(0.9 <= row["asa"] <= 1.0 for row in result["levels"])
    timing = result["timing"]
    assert timing["photo"] == "1152x1728" and timing["hierarchy_median_ms"] > 0
    assert timing["felzenszwalb_median_ms"] > 0  # separate runs: no order between the two


def test_bench_effort_prints_the_three_methods(
    tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "effort.json"
    argv = ["bench", "effort", "--data", str(tiny_dataset), "--task", "garment", "--no-model"]
    assert main([*argv, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(method in printed for method in ("tool", "no_model", "polygon"))
    result = json.loads(out.read_text())
    assert {"tool", "no_model", "polygon", "task", "n_images", "target"} <= set(result)


def test_bench_reports_a_bad_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["bench", "effort", "--data", str(tmp_path), "--task", "garment", "--no-model"]) == 1
    )
    assert "taxonomies.json: missing" in capsys.readouterr().err


def test_bench_save_reports_save_and_encode_medians(tmp_path: Path) -> None:
    out = tmp_path / "save.json"
    assert main(["bench", "save", "--runs", "3", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n"] == 3
    assert result["save_median_ms"] > result["encode_median_ms"] > 0
    assert result["ratio"] == pytest.approx(result["save_median_ms"] / result["encode_median_ms"])


def test_bench_infer_times_the_shipped_garment_model(tmp_path: Path) -> None:
    out = tmp_path / "infer.json"
    argv = ["bench", "infer", "--task", "garment", "--runs", "1", "--device", "cpu"]
    assert main([*argv, "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["garment"]
    assert figures["device"] == "CPU" and figures["task"] == "garment"
    assert 0 < figures["median_s"] <= figures["median_with_probs_s"] + 1e-3
    assert "median_agree_s" not in figures  # a cutout agrees with nothing


def test_bench_infer_times_parsing7_agreeing_with_its_cutouts(tmp_path: Path, capsys) -> None:
    out = tmp_path / "infer.json"
    assert main(["bench", "infer", "--task", "parsing7", "--runs", "1", "--device", "cpu", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["parsing7"]
    assert figures["cutouts"] == ["garment", "person"] and figures["median_agree_s"] > 0
    assert "to agree with garment+person" in capsys.readouterr().out


def test_bench_infer_reports_a_corrupt_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = resource_path("models", "garment.json")
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a model")
    bad.with_suffix(".json").write_text(shipped.read_text())
    assert main(["bench", "infer", "--model", str(bad), "--runs", "1"]) == 1
    assert "broken.safetensors" in capsys.readouterr().err


def test_bench_infer_refuses_a_model_of_another_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CLI test: ``--task garment --model PARSING7_MODEL`` timed the parsing7 model, --task
    ignored without a word."""
    model = resource_path("models", "parsing7.safetensors")
    out = tmp_path / "infer.json"
    argv = ["bench", "infer", "--task", "garment", "--model", str(model), "--runs", "1", "--json", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{model}: a 'parsing7' model, but --task says garment; nothing was timed" in err, err
    assert not out.exists()


def test_bench_json_that_cannot_be_written_names_the_file(tmp_path: Path, capsys, monkeypatch) -> None:
    """A CLI test: ``--json`` on a full disk left a 0-byte file and went through the catch-all."""
    import errno
    import os
    import shutil

    from fashion_annotator.core import atomic

    out = tmp_path / "save.json"
    usage = shutil.disk_usage(tmp_path)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if any(p.name.endswith(atomic.TMP_SUFFIX) for p in tmp_path.iterdir()):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: usage._replace(free=4096))
    assert main(["bench", "save", "--runs", "1", "--json", str(out)]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.startswith(f"fashion-annotator bench save: error: {out}: cannot write: the disk is full"), err
    assert list(tmp_path.iterdir()) == []


def test_bench_superpixels_measures_a_one_colour_first_photo(tiny_dataset: Path, tmp_path: Path) -> None:
    """A CLI test: a flat first photo (one Felzenszwalb region) crashed the timing's skimage
    route with ``KeyError: np.int32(0)``; the timing now runs on the photo with most regions."""
    import cv2

    cv2.imwrite(str(tiny_dataset / "images" / "0000.png"), np.full((80, 60, 3), 128, np.uint8))
    cv2.imwrite(str(tiny_dataset / "masks" / "0000.png"), np.zeros((80, 60), np.uint8))
    out = tmp_path / "sp.json"
    argv = ["bench", "superpixels", "--data", str(tiny_dataset), "--task", "garment", "--split", "all"]
    argv += ["--runs", "1"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 3 and result["timing"]["source_photo"] != "0000"
    assert result["timing"]["skimage_rag_merge_ms"] > 0
    for name in ("0001", "0002"):  # only flat photos: measured, the skimage route skipped
        (tiny_dataset / "images" / f"{name}.png").unlink()
        (tiny_dataset / "masks" / f"{name}.png").unlink()
    (tiny_dataset / "splits.json").unlink()
    assert main([*argv, "--json", str(out)]) == 0
    timing = json.loads(out.read_text())["timing"]
    assert timing["source_photo"] == "0000" and timing["skimage_rag_merge_ms"] is None
    assert timing["graph_speedup"] is None and timing["hierarchy_median_ms"] > 0


@pytest.mark.parametrize("bench", [["superpixels"], ["effort", "--no-model"], ["refine"], ["noc"]])
def test_a_photo_too_small_for_superpixels_is_named(
    bench: list[str], tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CLI test: "photo too small for superpixels: 1x1" named no file."""
    import cv2

    photo = tiny_dataset / "images" / "0001.png"
    cv2.imwrite(str(photo), np.full((1, 1, 3), 128, np.uint8))
    cv2.imwrite(str(tiny_dataset / "masks" / "0001.png"), np.zeros((1, 1), np.uint8))
    argv = ["bench", *bench, "--data", str(tiny_dataset), "--task", "garment", "--split", "all"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"error: {photo}: photo too small for superpixels: 1x1" in err, err


def test_bench_selection_sorts_alike_both_ways_and_prints_the_ratio(tmp_path: Path, capsys) -> None:
    out = tmp_path / "selection.json"
    assert main(["bench", "selection", "--images", "12", "--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["kinds"] == [7, 3, 2] and result["same_kinds"] is True  # 12 masks: corrected, unchanged, blank
    ms = result["ms_per_mask"]
    assert ms["scanlines"] > 0 and ms["decode"] > 0
    assert result["ratio"] == pytest.approx(ms["scanlines"] / ms["decode"])
    assert "ratio" in capsys.readouterr().out


def test_bench_superpixels_without_splits_json_says_it_scored_all(tiny_dataset: Path, tmp_path: Path) -> None:
    """Its JSON said "split": "val" for a folder without splits.json, where it scored every photo."""
    (tiny_dataset / "splits.json").unlink()
    out = tmp_path / "sp.json"
    argv = ["bench", "superpixels", "--data", str(tiny_dataset), "--task", "garment"]
    assert main([*argv, "--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["split"] == "all" and result["n_images"] == 3
