"""``train --data`` and ``evaluate --data`` name every unusable mask before any work.

Found in a hand test: both stopped at ``bad/masks/0001.png`` (wrong size), leaving a mask with
an unmapped label id and one that is not a PNG to later runs; ``import`` listed all three.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.core import samples as samples_mod
from fashion_annotator.core.samples import check_samples, list_samples, task_mapping
from fashion_annotator.evaluation.datasets import evaluate_dataset


def _dataset(root: Path, n: int = 6) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        Image.fromarray(np.full((40, 30, 3), 20 * i, np.uint8)).save(root / "images" / f"p{i}.jpg")
        mask = np.zeros((40, 30), np.uint8)
        mask[5:20, 5:25] = 1
        Image.fromarray(mask).save(root / "masks" / f"p{i}.png")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "masks" / "p1.png")  # wrong size
    unmapped = np.zeros((40, 30), np.uint8)
    unmapped[0, 0] = 99
    Image.fromarray(unmapped).save(root / "masks" / "p2.png")
    (root / "masks" / "p3.png").write_text("not a PNG")
    taxonomies = {"garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1}}}
    (root / "taxonomies.json").write_text(json.dumps(taxonomies))
    return root


def test_every_bad_mask_is_named_with_a_count(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "d")
    found = list_samples(data, "all")
    with pytest.raises(ValueError) as info:
        check_samples(found, task_mapping(data, "garment")[1], "d")
    lines = str(info.value).splitlines()
    assert lines[0] == "d: 3 of 6 samples cannot be used; fix or remove them:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [str(data / "masks" / f"p{i}.png") for i in (1, 2, 3)]
    assert "differs from the photo size" in lines[1] and "99" in lines[2]
    check_samples([found[0], found[4]])  # the good ones pass


def test_the_list_is_capped_with_a_count_of_the_rest(tmp_path: Path, monkeypatch) -> None:
    data = _dataset(tmp_path / "d")
    monkeypatch.setattr(samples_mod, "MAX_LISTED", 1)
    with pytest.raises(ValueError, match=r"\n  \.\.\. and 1 more$"):
        check_samples(list_samples(data, "all"))  # no mapping: the size and the format only


def test_evaluate_and_train_refuse_before_any_work(tmp_path: Path, capsys) -> None:
    data = _dataset(tmp_path / "d")
    predicted: list[int] = []

    def predict(photos: list[np.ndarray]) -> list[np.ndarray]:
        predicted.append(len(photos))
        return [np.zeros(p.shape[:2], np.uint8) for p in photos]

    with pytest.raises(ValueError, match="3 of 6 samples cannot be used"):
        evaluate_dataset(predict, data, "garment", split="all")
    assert predicted == [], "nothing predicted before the check"
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "o"), "--task", "garment",
                 "--device", "cpu", "--epochs", "1"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "2 of 6 samples cannot be used" in err  # training maps unmapped ids to background
    assert "p1.png" in err and "p3.png" in err
    assert not (tmp_path / "o" / "garment.safetensors").exists()
