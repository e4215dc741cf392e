"""``bench loop`` end to end on nine photos of the CCP fixture subset: one round with a tiny model, JSON and plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.slow

TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


def test_bench_loop_one_round_writes_json_and_plot(ccp_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "loop.json"
    argv = ["bench", "loop", "--data", str(ccp_dir), "--split", "all", "--limit", "9",
            "--task", "garment", "--rounds", "8", "--order", "tool", "--minutes-per-round", "0.2",
            "--work", str(tmp_path / "w"), "--json", str(out)]  # fmt: skip
    argv += [f"--train-arg={a}" for a in TINY]
    assert main(argv) == 0
    captured = capsys.readouterr()
    said = captured.out.splitlines()  # the results on stdout (all went to stderr)
    assert said[0].startswith("start: {") and said[1].startswith("round 1: {")
    assert said[-1] == f"wrote {out} and {out.with_suffix('.png')}"
    # numbered as stderr numbered them as they ended (stdout said "round 2" for stderr's round 1)
    assert [line for line in captured.err.splitlines() if line.startswith(("start: ", "round 1: {"))] == said[:2]
    result = json.loads(out.read_text())
    assert (result["task"], result["n_images"], result["order"]) == ("garment", 9, "tool")
    assert result["finished"] is True and "error" not in result
    first, last = result["rounds"]
    assert first["corrected"] == 0 and first["n_rest"] == 9 and first["promoted"] is None
    assert last["corrected"] == 8 and last["n_rest"] == 1
    for key in ("median_dice_rest", "mean_dice_rest", "median_dice_rest_shown",
                "mean_dice_rest_shown", "median_actions", "mean_actions", "train_seconds", "promoted"):  # fmt: skip
        assert key in last
    assert 0.0 <= last["median_dice_rest"] <= 1.0 and 0 <= last["median_actions"] <= 60
    # the shown masks are the network's after the garment task's refinements: never identical
    # on all nine photos of the first round
    shown = [first["median_dice_rest_shown"], first["mean_dice_rest_shown"]]
    assert all(0.0 <= v <= 1.0 for v in shown) and shown != [first["median_dice_rest"], first["mean_dice_rest"]]
    # a tiny network trained from scratch for seconds does not beat the shipped model
    assert last["promoted"] is False and last["val"]["paired"]["n"] == 5
    # so the starting model still proposes: its figure on the same photo is the round's own
    assert last["median_dice_rest_start"] == pytest.approx(last["median_dice_rest"])
    assert last["median_dice_rest_shown_start"] == pytest.approx(last["median_dice_rest_shown"])
    with Image.open(out.with_suffix(".png")) as plot:
        assert plot.size == (1100, 440)
    with Project.open(tmp_path / "w" / "project") as project:
        assert project.counts()["done"] == 8
        versions = project.mask_versions(project.images(status="done")[0].id, "garment")
        assert versions[-1].source == "operator" and versions[-1].actions >= 0
        assert len(project.models("garment")) == 2  # the starting model and the trained one


def test_bench_loop_refuses_rounds_that_leave_nothing_to_score(ccp_dir: Path, tmp_path: Path, capsys):
    argv = ["bench", "loop", "--data", str(ccp_dir), "--split", "all", "--limit", "5",
            "--task", "garment", "--rounds", "5", "--json", str(tmp_path / "x.json")]  # fmt: skip
    assert main(argv) == 2
    assert "must leave some to score" in capsys.readouterr().err


def test_bench_loop_and_studio_errors_and_output_follow_the_command_line_contract(
    ccp_dir: Path, tmp_path: Path, capsys
) -> None:
    """A fresh user's README walk: a retrain that failed inside ``bench loop`` exited 2 (usage)
    without the ``fashion-annotator bench loop: error:`` prefix, and ``bench studio`` printed
    JSON nobody asked for."""
    argv = ["bench", "loop", "--data", str(ccp_dir), "--split", "all", "--limit", "3", "--task", "garment",
            "--rounds", "1", "--minutes-per-round", "0.05", "--json", str(tmp_path / "loop.json")]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "fashion-annotator bench loop: error: " in err and "retrain" in err
    assert main(["bench", "studio", "--data", str(ccp_dir), "--out", str(tmp_path / "st"), "--count", "2",
                 "--json", str(tmp_path / "st.json")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("2 mannequin photos written to ") and "{" not in out
    assert json.loads((tmp_path / "st.json").read_text())["count"] == 2
