"""A Label Studio export carries the labeling interface its results belong to.

Label Studio shows (and its converter reads) a result only through a control tag of the
project's labeling config named as the result's ``from_name``, pointing at the result's
``to_name`` object and listing its label. The export named none of them anywhere: a studio
had to guess ``tag`` / ``label`` to see any of its masks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project

H, W = 24, 32
CONTROL = {"brushlabels": "BrushLabels", "polygonlabels": "PolygonLabels"}
"""Label Studio's control tag for each result type (its documented tags)."""


@pytest.mark.parametrize("shapes", ["mask", "polygon"])
def test_every_result_fits_the_exported_labeling_config(tmp_path: Path, write_photo, shapes: str) -> None:
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        for n in range(2):
            record = project.add_image(write_photo(tmp_path / "shoot" / f"look {n}.png", (H, W), seed=n))
            mask = np.zeros((H, W), np.uint8)
            mask[2:10, 3:12] = 3 + n
            mask[14:20, 20:30] = 1
            project.save_mask(record.id, "parsing7", mask)
        names = project.taxonomy("parsing7").names
        assert export_project(project, tmp_path / "out", "labelstudio", "parsing7", shapes=shapes).count == 2
    view = ET.parse(tmp_path / "out" / "label_config.xml").getroot()
    assert view.tag == "View"
    objects = {el.get("name"): el for el in view.iter() if el.tag == "Image"}
    controls = {el.get("name"): el for el in view.iter() if el.tag in CONTROL.values()}
    tasks = json.loads((tmp_path / "out" / "tasks.json").read_text(encoding="utf-8"))
    seen = 0
    for task in tasks:
        for result in task["annotations"][0]["result"]:
            control = controls[result["from_name"]]
            assert control.tag == CONTROL[result["type"]]
            assert control.get("toName") == result["to_name"]
            image = objects[result["to_name"]]
            assert image.get("value", "").lstrip("$") in task["data"]
            (label,) = result["value"][result["type"]]
            assert label in {el.get("value") for el in control.iter("Label")}
            seen += 1
    assert seen >= 4
    (control,) = controls.values()
    assert [el.get("value") for el in control.iter("Label")] == list(names[1:])
