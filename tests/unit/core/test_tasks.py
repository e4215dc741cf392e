"""Task specs: one definition per task, read from the taxonomy files."""

from __future__ import annotations

import pytest

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.core.tasks import available_tasks, primary_metric, spec_from_dict, task_spec
from fashion_annotator.qa.scores import metric_name
from training.heads import stack_heads


def test_shipped_specs() -> None:
    garment = task_spec("garment")
    assert (garment.title, garment.binary, garment.primary_metric) == (
        "Garment cutout", True, "median_dice"
    )  # fmt: skip
    assert garment.refinements == ("snap", "grabcut", "guided")
    # the class edges follow the photo; consensus lowers the shipped model (docs/superpixels.md)
    assert task_spec("parsing7").refinements == ("guided",)
    assert task_spec("person").refinements == ("grabcut", "guided")
    assert {task_spec(t).name for t in available_tasks()} == set(available_tasks())


def test_qa_and_training_decide_a_task_by_the_same_metric() -> None:
    # person is two-class but ranked by mIoU: QA must not score it by Dice while training
    # promotes by mIoU.
    import numpy as np

    for task in available_tasks():
        spec = task_spec(task)
        (head,) = stack_heads([(task, list(spec.taxonomy.names), np.arange(256, dtype=np.uint8))])
        assert head.primary_metric == spec.primary_metric
        assert metric_name(spec.taxonomy) == ("Dice" if spec.uses_dice else "mIoU")
    assert metric_name(load_taxonomy("person")) == "mIoU"


def test_defaults_and_bad_blocks() -> None:
    taxonomy = load_taxonomy("parsing18")
    spec = spec_from_dict(taxonomy, None, "x.json")
    assert (spec.title, spec.primary_metric, spec.refinements) == ("Parsing18", "miou", ())
    assert primary_metric("unknown-binary", True) == "median_dice"
    with pytest.raises(ValueError, match="x.json: task 'primary_metric' 'f1'"):
        spec_from_dict(taxonomy, {"primary_metric": "f1"}, "x.json")
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        task_spec("nope")
    assert spec.agrees_with == ()
    with pytest.raises(ValueError, match="x.json: task 'agrees_with' must be a list"):
        spec_from_dict(taxonomy, {"agrees_with": "garment"}, "x.json")
    with pytest.raises(ValueError, match="x.json: task 'agrees_with' is for parsing tasks"):
        spec_from_dict(load_taxonomy("garment"), {"agrees_with": ["person"]}, "x.json")


def test_only_parsing7_agrees_with_the_cutouts() -> None:
    # Measured per task (segmentation.consistency): parsing7 gains, parsing18 loses its hats and
    # sunglasses, which the cutout models rarely include.
    assert task_spec("parsing7").agrees_with == ("garment", "person")
    assert task_spec("parsing18").agrees_with == ()


def test_a_project_label_set_is_named_by_the_name_only_lookups_and_cannot_replace_a_shipped_task() -> None:
    from fashion_annotator.core.label_sets import label_set_from_dict
    from fashion_annotator.core.tasks import register_project_task, task_title

    classes = [{"name": "background", "color": [0, 0, 0], "shortcut": "1"},
               {"name": "logo", "color": [255, 200, 0], "shortcut": "2"},
               {"name": "lining", "color": [0, 90, 200], "shortcut": ""}]  # fmt: skip
    spec = label_set_from_dict({"name": "studio_parsing", "task": {"title": "Studio parsing"}, "classes": classes}, "ours.json")
    assert task_title("studio_parsing") == "Studio_parsing"  # not known yet
    register_project_task(spec)
    assert task_title("studio_parsing") == "Studio parsing"
    assert primary_metric("studio_parsing", False) == "miou" and task_spec("studio_parsing") is spec
    shipped = spec_from_dict(task_spec("garment").taxonomy, None, "x")
    with pytest.raises(ValueError, match="'garment' is a shipped task"):
        register_project_task(shipped)
    assert task_spec("garment").title == "Garment cutout"
