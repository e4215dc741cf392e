"""Shipping selected models: the Smart-click model travels with the task models when selected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fashion_annotator.segmentation.clicks import ClickPredictor
from training.recipes import ship


def test_a_selected_click_model_ships_with_its_provenance(disk_click_model, tmp_path: Path) -> None:
    model = disk_click_model(-3.0)
    selected = tmp_path / "selected"
    selected.mkdir()
    shutil.copyfile(model, selected / "click.safetensors")
    shutil.copyfile(model.with_suffix(".json"), selected / "click.json")
    ccp = tmp_path / "ccp"
    ccp.mkdir()
    (ccp / "splits.json").write_text(json.dumps({"train": ["0002", "0001"], "val": ["0003"]}))
    out = tmp_path / "models"
    assert ship.ship(selected, ccp, out) == ["click"]  # no task model selected: only the click model
    meta = json.loads((out / "click.json").read_text())
    assert meta["trained_on"] == ["0001", "0002"] and meta["val_images"] == ["0003"]
    assert meta["network"] == json.loads((selected / "click.json").read_text())["network"]
    assert ClickPredictor(out / "click.safetensors").version == meta.get("version")
    assert not list(out.glob(".*")), "no temporary file left behind"
