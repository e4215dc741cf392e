"""A coco-instances import into a project whose parsing masks it agrees with saves the
instances: its summary said "0 masks saved" and nothing else, as though nothing came in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.schema import load_instance_taxonomy

H, W = 24, 32


def test_saved_instances_are_counted_in_the_summary(tmp_path: Path, write_photo) -> None:
    parsing = np.zeros((H, W), np.uint8)
    parsing[2:10, 3:14] = 3  # top
    parsing[12:22, 16:28] = 6  # dress
    photo = write_photo(tmp_path / "shoot" / "look.png", (H, W))
    tax = load_instance_taxonomy()
    anns = []
    for n, (label, category) in enumerate(((3, "blouse"), (6, "dress")), 1):
        rle = mask_utils.encode(np.asfortranarray((parsing == label).astype(np.uint8)))
        anns.append({"id": n, "image_id": 1, "category_id": tax.index(category), "iscrowd": 0,
                     "segmentation": {"size": [H, W], "counts": rle["counts"].decode()},
                     "area": int((parsing == label).sum()), "bbox": mask_utils.toBbox(rle).tolist()})  # fmt: skip
    coco = {"images": [{"id": 1, "file_name": "look.png", "width": W, "height": H}], "annotations": anns,
            "categories": [{"id": i, "name": c.name} for i, c in enumerate(tax.categories)]}  # fmt: skip
    src = tmp_path / "src"
    src.mkdir()
    (src / "instances.json").write_text(json.dumps(coco), encoding="utf-8")
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        record = project.add_image(photo)
        project.save_mask(record.id, "parsing7", parsing)
        summary = import_source(project, src, "coco-instances")
        assert summary.errors == []
        assert len(project.load_instances(record.id).instances) == 2
    assert "instances of 1 image saved" in summary.lines()[0]
    assert summary.instances == 1
