"""The project store on real CCP photos: plain import with a taxonomy mapping, export, re-import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ccp_sample(ccp_dir: Path, ccp_splits: dict[str, list[str]], tmp_path_factory) -> Path:
    """A plain folder with five CCP val photos, their masks and the CCP taxonomies.json."""
    root = tmp_path_factory.mktemp("ccp_sample")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for stem in ccp_splits["val"][:5]:
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", root / "images")
        shutil.copy(ccp_dir / "masks" / f"{stem}.png", root / "masks")
    for name in ("labels.json", "taxonomies.json"):
        shutil.copy(ccp_dir / name, root)
    return root


def test_cli_plain_import_maps_ccp_ids(ccp_sample: Path, tmp_path: Path, capsys) -> None:
    proj = tmp_path / "proj"
    assert main(["new", str(proj), "--images", str(ccp_sample / "images")]) == 0
    assert "5 photos added" in capsys.readouterr().out
    args = ["import", str(proj), str(ccp_sample), "--format", "plain", "--taxonomy", "parsing7"]
    assert main(args) == 0
    assert "0 photos added, 5 already present, 5 masks saved" in capsys.readouterr().out
    assert main(["info", str(proj), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "images": 5,
        "status": {"new": 0, "in_progress": 0, "done": 5, "approved": 0, "rejected": 0},
        "tasks": {"garment": 0, "parsing7": 5},
    }
    mapping = mapping_from_taxonomies_json(ccp_sample / "taxonomies.json", "parsing7")
    with Project.open(proj) as project:
        for rec in project.images():
            expected = apply_mapping(load_mask(ccp_sample / "masks" / f"{rec.stem}.png"), mapping)
            saved = project.load_mask(rec.id, "parsing7")
            np.testing.assert_array_equal(saved, expected)
            assert saved.shape == rec.shape == project.load_photo(rec.id).rgb.shape[:2]
            assert len(np.unique(saved)) > 2  # real parsing masks, not blank


def test_all_tasks_import_then_every_export(ccp_sample: Path, tmp_path: Path) -> None:
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7", "person")) as project:
        summary = import_source(project, ccp_sample, "plain")
        assert summary.errors == [] and (summary.added, summary.masks) == (5, 15)
        rec = project.images()[0]
        garment = project.load_mask(rec.id, "garment")
        assert set(np.unique(garment)) == {0, 1}
        for fmt, task, back_fmt in (("plain", "parsing7", "plain"), ("coco", "parsing7", "coco"),
                                    ("cutout", "garment", "alpha")):  # fmt: skip
            out = tmp_path / fmt
            assert export_project(project, out, fmt, task).count == 5
            with Project.create(tmp_path / f"back-{fmt}", tasks=(task,)) as back:
                again = import_source(back, out, back_fmt, task)
                assert again.errors == [] and again.masks == 5
                for image in back.images():
                    (orig,) = project.images_by_stem(image.stem)
                    np.testing.assert_array_equal(
                        back.load_mask(image.id, task), project.load_mask(orig.id, task)
                    )
        cutout = np.asarray(Image.open(tmp_path / "cutout" / f"{rec.stem}.png"))
        np.testing.assert_array_equal(cutout[..., 3] > 0, garment > 0)
        coco = json.loads((tmp_path / "coco" / "annotations.json").read_text())
        assert {c["name"] for c in coco["categories"]} == {
            "skin", "hair", "top", "shoes", "bottom", "dress"
        }  # fmt: skip
