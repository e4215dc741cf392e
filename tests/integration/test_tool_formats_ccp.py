"""Every tool format round-trips CCP parsing masks: exact for bitmaps, IoU >= 0.99 for polygons."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.slow

ROUND_TRIPS = [
    ("labelme", "polygon"),
    ("cvat", "polygon"),
    ("cvat", "mask"),
    ("voc", "mask"),
    ("labelstudio", "mask"),
    ("labelstudio", "polygon"),
    ("yolo", "polygon"),
    ("coco", "polygon"),
]


@pytest.fixture(scope="module")
def ccp_project(ccp_dir: Path, ccp_splits: dict[str, list[str]], tmp_path_factory) -> Path:
    """A project with four CCP val photos and their parsing7 masks."""
    root = tmp_path_factory.mktemp("ccp_tools")
    src = root / "plain"
    (src / "images").mkdir(parents=True)
    (src / "masks").mkdir()
    for stem in ccp_splits["val"][:4]:
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", src / "images")
        shutil.copy(ccp_dir / "masks" / f"{stem}.png", src / "masks")
    shutil.copy(ccp_dir / "taxonomies.json", src)
    with Project.create(root / "proj", tasks=("parsing7",)) as project:
        summary = import_source(project, src, "plain")
        assert summary.errors == [] and summary.masks == 4
    return root / "proj"


@pytest.mark.parametrize(("fmt", "shapes"), ROUND_TRIPS)
def test_round_trip_on_ccp(ccp_project: Path, tmp_path: Path, fmt: str, shapes: str) -> None:
    out = tmp_path / "export"
    with Project.open(ccp_project) as project:
        written = export_project(project, out, fmt, "parsing7", shapes=shapes)
        assert written.count == 4
        originals = {r.stem: project.load_mask(r.id, "parsing7") for r in project.images()}
    with Project.create(tmp_path / "back", tasks=("parsing7",)) as back:
        summary = import_source(back, out, fmt)
        assert summary.errors == [] and summary.masks == 4 and summary.added == 4
        for stem, original in originals.items():
            (record,) = back.images_by_stem(stem)
            mask = back.load_mask(record.id, "parsing7")
            if shapes == "mask":
                np.testing.assert_array_equal(mask, original)
                continue
            for label in np.unique(original)[1:]:
                a, b = original == label, mask == label
                iou = (a & b).sum() / (a | b).sum()
                assert iou >= 0.99, f"{fmt} {stem} class {label}: IoU {iou:.4f}"
    assert DEFAULT_TOLERANCE > 0.5  # the polygons above were really simplified
