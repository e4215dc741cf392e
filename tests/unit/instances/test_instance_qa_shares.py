"""The instance QA figures say what their labels claim: the share of categories changed is of
the instances that had a proposed category, and unknown shares are NaN, not 0."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from qa_synth import banded_instances

from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.qa import instance_qa_rows, instance_qa_summary

SHAPE = (60, 40)


def _set(insts: list[Instance]) -> InstanceSet:
    return banded_instances(insts, SHAPE)


@pytest.fixture
def project(tmp_path: Path):
    """Two images worked on: one from the model's two proposals (one category changed), one
    whose two instances were drawn by hand (nothing proposed)."""
    rng = np.random.default_rng(0)
    with Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="ann") as proj:
        ids = []
        for name in ("a", "b"):
            path = tmp_path / f"{name}.png"
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            ids.append(proj.add_image(path).id)
        proj.save_instances(ids[0], _set([Instance(1, 3, "blouse", "blouse"), Instance(2, 5, "pants", "skirt")]))
        proj.save_instances(ids[1], _set([Instance(1, 3, "coat"), Instance(2, 5, "jeans")]))
        yield proj


def test_the_share_of_categories_changed_is_of_those_proposed(project):
    rows = instance_qa_rows(project)
    assert [r.category_proposed for r in rows] == [2, 0]
    s = instance_qa_summary(rows)
    assert s["instances"] == 4 and s["category_changed"] == 1 and s["category_proposed"] == 2
    assert s["category_changed_share"] == pytest.approx(0.5), "1 of the 2 proposed, not of all 4"


def test_no_proposed_category_is_an_unknown_share_not_0(project):
    rows = [r for r in instance_qa_rows(project) if r.category_proposed == 0]
    assert math.isnan(instance_qa_summary(rows)["category_changed_share"])


def test_attributes_filled_counts_a_persons_values_not_the_models_kept(tmp_path: Path):
    """A proposed value left as it was is the model's work; one changed or set by hand is a
    person's. 2 instances x 6 attribute groups = 12 slots."""
    rng = np.random.default_rng(1)
    path = tmp_path / "a.png"
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
    proposed = {"pattern": "floral", "sleeve": "long"}
    with Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="ann") as proj:
        image_id = proj.add_image(path).id
        kept = Instance(1, 3, "blouse", "blouse", 0.9, dict(proposed), dict(proposed))
        edited = Instance(2, 5, "skirt", "skirt", 0.8, {"pattern": "striped", "fabric": "denim"},
                          {"pattern": "floral"})  # fmt: skip
        proj.save_instances(image_id, _set([kept, edited]))
        (row,) = instance_qa_rows(proj)
    assert row.attributes_filled == pytest.approx(2 / 12), "striped (changed) and denim (by hand)"
    assert row.attributes_kept == pytest.approx(2 / 12), "floral and long, as proposed"
    s = instance_qa_summary([row])
    assert s["attributes_filled"] == pytest.approx(2 / 12) and s["attributes_kept"] == pytest.approx(2 / 12)
    assert math.isnan(instance_qa_summary([])["attributes_filled"]), "no instances: unknown, not 0"


def test_without_a_parsing_mask_consistency_is_unchecked_not_0(project):
    """Neither image has a parsing mask: nothing to check the instances against."""
    rows = instance_qa_rows(project)
    assert [r.parsing_saved for r in rows] == [False, False]
    s = instance_qa_summary(rows)
    assert s["inconsistent_images"] == 0 and s["unchecked_images"] == 2
    image_id = rows[0].image_id
    project.save_mask(image_id, "parsing7", np.zeros(SHAPE, np.uint8))
    checked = {r.image_id: r for r in instance_qa_rows(project)}[image_id]
    assert checked.parsing_saved and checked.inconsistent_pixels > 0, "instances on background"
