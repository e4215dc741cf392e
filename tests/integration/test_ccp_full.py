"""Checks on the full CCP development split; skipped (with the path) when it is absent.

The rest of the suite runs on ``tests/fixtures/ccp_small``; these tests keep that subset honest
(same bytes as the full folder, same split order) and check the shipped garment model's README
figure on all 100 val photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main

pytestmark = [pytest.mark.ccp_full, pytest.mark.slow]


def test_fixture_subset_is_a_byte_copy_of_the_full_split(ccp_dir: Path, ccp_full_dir: Path) -> None:
    for name in ("labels.json", "taxonomies.json"):
        assert (ccp_dir / name).read_bytes() == (ccp_full_dir / name).read_bytes(), name
    for folder in ("images", "masks"):
        files = sorted((ccp_dir / folder).iterdir())
        assert files, folder
        for path in files:
            assert path.read_bytes() == (ccp_full_dir / folder / path.name).read_bytes(), path
    small = json.loads((ccp_dir / "splits.json").read_text())
    full = json.loads((ccp_full_dir / "splits.json").read_text())
    for split in ("train", "val"):
        assert small[split] == full[split][: len(small[split])], split


def test_full_split_photos_and_masks_agree(ccp_full_dir: Path) -> None:
    splits = json.loads((ccp_full_dir / "splits.json").read_text())
    assert (len(splits["train"]), len(splits["val"])) == (604, 100)
    assert not set(splits["train"]) & set(splits["val"])
    known = {int(k) for k in json.loads((ccp_full_dir / "labels.json").read_text())}
    for stem in splits["train"] + splits["val"]:
        with Image.open(ccp_full_dir / "images" / f"{stem}.jpg") as photo:
            size = photo.size
        mask = np.asarray(Image.open(ccp_full_dir / "masks" / f"{stem}.png"))
        assert mask.ndim == 2 and (mask.shape[1], mask.shape[0]) == size, stem
        assert set(np.unique(mask).tolist()) <= known, stem


def test_shipped_garment_model_reaches_its_readme_figure_on_full_val(
    ccp_full_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "garment.json"
    argv = ["evaluate", "--data", str(ccp_full_dir), "--task", "garment", "--device", "cpu",
            "--json", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 100
    assert result["median_dice"] >= 0.945  # README: median Dice 0.945 on CCP val
