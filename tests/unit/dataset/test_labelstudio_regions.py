"""Label Studio results: ellipses are painted, other result types are named, never dropped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 40, 50


def _result(kind: str, value: dict, label: str | None) -> dict:
    labels = {kind: [label]} if label else {}
    return {"type": kind, "from_name": "l", "to_name": "image", "original_width": W,
            "original_height": H, "image_rotation": 0, "value": {**value, **labels}}  # fmt: skip


def _import(project: Project, src: Path, write_photo, results: dict[str, list[dict]]):
    tasks = []
    for k, (stem, task_results) in enumerate(results.items(), 1):
        write_photo(src / "images" / f"{stem}.png", (H, W), seed=k)
        tasks.append({"id": k, "data": {"image": f"/data/local-files/?d=images/{stem}.png"},
                      "annotations": [{"id": k, "was_cancelled": False, "result": task_results}]})  # fmt: skip
    (src / "tasks.json").write_text(json.dumps(tasks))
    return import_source(project, src, "labelstudio", "parsing7")


def test_an_ellipse_is_painted_about_its_centre(project: Project, tmp_path: Path, write_photo) -> None:
    """Ellipses were dropped without a word: a task with only one was saved as an all-background
    mask marked done."""
    ellipse = {"x": 50, "y": 50, "radiusX": 30, "radiusY": 25, "rotation": 90}
    summary = _import(project, tmp_path / "ls", write_photo, {"look": [_result("ellipselabels", ellipse, "dress")]})
    assert (summary.masks, summary.errors, summary.skipped) == (1, [], [])
    (record,) = project.images_by_stem("look")
    mask = project.load_mask(record.id, "parsing7")
    dress = project.taxonomy("parsing7").names.index("dress")
    rows, cols = np.nonzero(mask == dress)
    # centre (25, 20); radii 15 px across and 10 px down, turned 90 degrees: 10 across, 15 down
    assert abs(rows.mean() - 19.5) < 0.5 and abs(cols.mean() - 24.5) < 0.5
    assert cols.max() - cols.min() + 1 in (20, 21) and rows.max() - rows.min() + 1 in (30, 31)
    assert abs(len(rows) - np.pi * 15 * 10) < 0.05 * np.pi * 15 * 10


def test_results_that_paint_nothing_are_named_and_a_task_of_only_those_saves_no_mask(
    project: Project, tmp_path: Path, write_photo
) -> None:
    box = {"x": 10, "y": 10, "width": 40, "height": 40, "rotation": 0}
    point = {"x": 20, "y": 20, "width": 1}
    results = {
        "mixed": [_result("rectanglelabels", box, "top"), _result("keypointlabels", point, "shoes"),
                  _result("keypointlabels", point, "shoes"), {"type": "choices", "value": {"choices": ["ok"]}}],
        "points": [_result("keypointlabels", point, "shoes"), _result("rectanglelabels", box, None)],
    }  # fmt: skip
    summary = _import(project, tmp_path / "ls", write_photo, results)
    assert (summary.masks, summary.errors) == (1, [])
    where = str(tmp_path / "ls" / "tasks.json")
    assert summary.skipped == [
        (f"{where}: task 1 (images/mixed.png)", "1 choices, 2 keypointlabels left out (only brushlabels, "
         "polygonlabels, rectanglelabels, ellipselabels paint pixels)"),
        (f"{where}: task 2 (images/points.png)", "1 keypointlabels, 1 rectanglelabels without a label left out "
         "(only brushlabels, polygonlabels, rectanglelabels, ellipselabels paint pixels)"),
        (f"{where}: task 2 (images/points.png)", "no region to paint; no mask imported"),
    ]  # fmt: skip
    assert summary.without_mask == ["points.png"]
    (points,) = project.images_by_stem("points")
    assert project.load_mask(points.id, "parsing7") is None and points.status == "new"


def test_a_submitted_annotation_without_regions_is_an_all_background_mask(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A review: this app's own export of a done, all-background mask (nothing of the task on
    the photo) came back as "no region to paint; no mask imported", the image new again."""
    from fashion_annotator.dataset.formats import export_project

    rec = project.add_image(write_photo(tmp_path / "src" / "empty.png"))
    project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8), status="done")
    export_project(project, tmp_path / "ls", "labelstudio", "garment")
    with Project.create(tmp_path / "again", user="bob") as again:
        summary = import_source(again, tmp_path / "ls", "labelstudio")
        (back,) = again.images()
        assert summary.masks == 1 and back.status == "done"
        mask = again.load_mask(back.id, "garment")
        assert mask is not None and not mask.any()
