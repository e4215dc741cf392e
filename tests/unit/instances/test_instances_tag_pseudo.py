"""Tag-filtered pseudo-labels for the category classifier (``training.instances --unlabeled``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.instances.schema import load_instance_taxonomy
from training.instances import PARENT_TASK, ccp_fine_ids, tag_pseudo_samples

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ccp_small"


def _tagged_folder(root: Path, n: int, tags_of) -> Path:
    """``n`` fixture photos with ``tags.json`` = ``tags_of(mask ids present)``."""
    (root / "images").mkdir(parents=True)
    tags = {}
    for img in sorted((FIXTURE / "images").glob("*.jpg"))[:n]:
        shutil.copy(img, root / "images" / img.name)
        present = np.unique(np.asarray(Image.open(FIXTURE / "masks" / f"{img.stem}.png")))
        tags[img.stem] = tags_of([int(v) for v in present if v != 0])
    (root / "tags.json").write_text(json.dumps(tags))
    return root


def test_kept_instances_carry_the_one_tagged_category_of_their_class(tmp_path: Path) -> None:
    folder = _tagged_folder(tmp_path / "tagged", 3, lambda ids: ids)
    taxonomy = load_instance_taxonomy("ccp")
    parents = load_taxonomy(PARENT_TASK).names
    data, counts = tag_pseudo_samples(folder, FIXTURE, taxonomy, 48, parents, log=lambda s: None)

    assert counts["photos"] == 3
    assert counts["kept"] == len(data) > 0
    assert counts["proposed"] == counts["kept"] + counts["ambiguous"] + counts["untagged"]
    assert data.crops.shape == (len(data), 48, 48, 4) and data.crops.dtype == np.uint8
    fine = ccp_fine_ids(FIXTURE, taxonomy)
    tags = json.loads((folder / "tags.json").read_text())
    tagged_cats = {fine[t] for ids in tags.values() for t in ids if t in fine}
    for label, parent in zip(data.labels, data.parents, strict=True):
        assert int(label) in tagged_cats
        # the label is a category of the instance's parsing class
        assert taxonomy.categories[int(label)].parent(PARENT_TASK) == parents[int(parent)]


def test_photos_without_garment_tags_give_no_samples(tmp_path: Path) -> None:
    folder = _tagged_folder(tmp_path / "untagged", 2, lambda ids: [])
    taxonomy = load_instance_taxonomy("ccp")
    parents = load_taxonomy(PARENT_TASK).names
    with pytest.raises(ValueError, match="no instance got a single category"):
        tag_pseudo_samples(folder, FIXTURE, taxonomy, 48, parents, log=lambda s: None)
