"""coco-instances import on small synthetic files: what it refuses and what it marks done."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.schema import load_instance_taxonomy

H, W = 40, 30


def _photo(path: Path, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (H, W, 3), np.uint8)).save(path)


def _box(ann_id: int, image_id: int, category: str, x0: int, y0: int, x1: int, y1: int, **extra: object) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": load_instance_taxonomy().index(category),
            "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]], "iscrowd": 0, **extra}  # fmt: skip


def _instances_file(src: Path, annotations: list[dict] | None, stems: tuple[str, ...] = ("look",)) -> Path:
    images = []
    for k, stem in enumerate(stems, 1):
        _photo(src / "images" / f"{stem}.png", k)
        images.append({"id": k, "file_name": f"{stem}.png", "width": W, "height": H})
    tax = load_instance_taxonomy()
    data: dict = {"images": images, "categories": [{"id": c.id, "name": c.name} for c in tax.categories]}
    if annotations is not None:
        data["annotations"] = annotations
    path = src / "instances.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("annotations", [None, []])
def test_a_file_without_annotations_is_refused(tmp_path: Path, annotations: list | None) -> None:
    """Every listed image got empty instances and an all-background parsing mask."""
    path = _instances_file(tmp_path / "src", annotations)
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        with pytest.raises(ValueError, match="1 image listed but no annotations") as caught:
            import_source(project, path, "coco-instances")
        assert str(caught.value).startswith(f"{path}: ")
        assert project.images() == []
