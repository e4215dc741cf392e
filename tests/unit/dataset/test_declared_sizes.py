"""A photo size a source file declares that is no number of pixels refuses that file, naming it.

Python's JSON reader takes ``Infinity`` and ``NaN``: a labelme ``imageHeight`` or a Label Studio
``original_width`` of ``Infinity`` raised ``OverflowError`` from ``int()``, which stopped the whole
import (a traceback on the command line) before any other file was read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32
SQUARE = [[2, 2], [12, 2], [12, 12], [2, 12]]


def _labelme(src: Path, write_photo) -> None:
    for stem, height in (("bad", "Infinity"), ("good", str(H))):
        write_photo(src / f"{stem}.png", (H, W), seed=len(stem))
        shapes = json.dumps([{"label": "top", "points": SQUARE, "shape_type": "polygon"}])
        (src / f"{stem}.json").write_text(
            f'{{"shapes": {shapes}, "imagePath": "{stem}.png", "imageHeight": {height}, "imageWidth": {W}}}'
        )


def _labelstudio(src: Path, write_photo) -> None:
    tasks = []
    for stem, width in (("bad", "Infinity"), ("good", str(W))):
        write_photo(src / f"{stem}.png", (H, W), seed=len(stem))
        points = json.dumps([[x * 100 / W, y * 100 / H] for x, y in SQUARE])
        tasks.append(
            f'{{"data": {{"image": "{stem}.png"}}, "annotations": [{{"result": [{{"type": "polygonlabels", '
            f'"original_width": {width}, "original_height": {H}, "value": {{"points": {points}, '
            f'"polygonlabels": ["top"]}}}}]}}]}}'
        )
    (src / "tasks.json").write_text(f"[{', '.join(tasks)}]")


@pytest.mark.parametrize(("fmt", "build", "field"), [
    ("labelme", _labelme, "imageHeight"),
    ("labelstudio", _labelstudio, "original_width"),
])  # fmt: skip
def test_an_infinite_declared_size_refuses_its_file_and_the_rest_is_imported(
    project: Project, tmp_path: Path, write_photo, fmt: str, build, field: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    build(src, write_photo)
    summary = import_source(project, src, fmt)
    ((where, problem),) = summary.errors
    assert "bad" in where and problem == f"{field} inf is not a whole number of pixels"
    assert summary.masks == 1 and summary.without_mask == ["bad.png"]
    (good,) = project.images_by_stem("good")
    mask = project.load_mask(good.id, "parsing7")
    assert mask is not None and mask[5, 5] == project.taxonomy("parsing7").index("top")


def test_a_cvat_image_without_a_height_says_so(project: Project, tmp_path: Path, write_photo) -> None:
    """It said "invalid literal for int() with base 10: ''"."""
    write_photo(tmp_path / "images" / "look.png", (H, W))
    points = ";".join(f"{x},{y}" for x, y in SQUARE)
    (tmp_path / "annotations.xml").write_text(
        f'<annotations><image id="0" name="look.png" width="{W}">'
        f'<polygon label="top" points="{points}" z_order="0"/></image></annotations>'
    )
    summary = import_source(project, tmp_path / "annotations.xml", "cvat")
    ((where, problem),) = summary.errors
    assert where.endswith("image 'look.png'") and problem == "no height given"


def test_label_studio_results_drawn_on_images_of_other_sizes_refuse_their_task(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Each result's percent coordinates were scaled by its own ``original_width`` /
    ``original_height``, only the first result's size was checked against the photo: a second
    result declaring twice the size was painted twice as large, without a word."""
    write_photo(tmp_path / "look.png", (H, W))
    points = [[x * 100 / W, y * 100 / H] for x, y in SQUARE]
    results = [
        {"type": "polygonlabels", "original_width": w, "original_height": h,
         "value": {"points": points, "polygonlabels": [label]}}
        for label, w, h in (("top", W, H), ("shoes", 2 * W, 2 * H))
    ]  # fmt: skip
    tasks = [{"data": {"image": "look.png"}, "annotations": [{"result": results}]}]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    summary = import_source(project, tmp_path / "tasks.json", "labelstudio")
    ((where, problem),) = summary.errors
    assert "task 1 (look.png)" in where and summary.masks == 0
    assert problem == f"result 2 is drawn on a {2 * W}x{2 * H} image, an earlier one on {W}x{H}: their regions would not line up"
