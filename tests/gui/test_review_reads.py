"""What one refresh of the Review tab reads: the image list once and each task's mask versions
in one query, however many images have no mask (at 20,000 images and 2,005 masks a refresh read
the image list 3 times and made 46,018 queries: 7 s with the window frozen)."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import approve, reject
from fashion_annotator.qa.scores import MODEL, ImageScore
from fashion_annotator.ui.review.instances import InstanceReviewPanel, attach
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _photo(folder: Path, name: str, seed: int) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
    return path


def _square(x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:x1] = 1
    return mask


def _add_plain(project: Project, folder: Path, count: int, start: int) -> None:
    for i in range(start, start + count):
        project.add_image(_photo(folder, f"plain{i}.png", 1000 + i))


@pytest.fixture
def project(tmp_path: Path):
    """Four garment masks (one approved, one rejected, one by a colleague) among 30 images."""
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7"), user="rita") as proj:
        ids = []
        for i, x1 in enumerate((30, 24, 16, 50)):
            image_id = proj.add_image(_photo(tmp_path / "src", f"m{i}.png", i)).id
            proj.save_proposal(image_id, "garment", _square(x1), "v1")
            proj.save_mask(image_id, "garment", _square(30), seconds=60.0 * (i + 1), actions=i, status="done")
            ids.append(image_id)
        with Project.open(proj.root, user="olga") as olga:
            olga.save_mask(ids[3], "parsing7", _square(30), seconds=300.0, actions=9)
        approve(proj, ids[0], "garment", seen_version=1)
        reject(proj, ids[1], "garment", "low_contrast", "edge", seen_version=1)
        _add_plain(proj, tmp_path / "plain", 26, 0)
        yield proj


@pytest.fixture
def view(qtbot, project):
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    attach(widget, project, lambda image_id: None)
    return widget


def _plain(rows) -> list[tuple]:
    """Rows as comparable tuples of the fields rows compare by, by image id (NaN as None: NaN
    equals nothing)."""
    names = [f.name for f in fields(ImageScore) if f.compare]
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in (getattr(r, n) for n in names))
            for r in sorted(rows, key=lambda r: r.image_id)]  # fmt: skip


def _rows(view: ReviewView) -> list[tuple]:
    return _plain(view.model.rows())


def test_a_refresh_reads_the_image_list_once_and_no_versions_image_by_image(view, project, tmp_path, count_reads):
    before = _rows(view)
    throughput = view.throughput.text()
    with count_reads(project) as few:
        view.refresh()
    assert few["images"] == 1 and few["mask_versions"] == 0
    assert _rows(view) == before and view.throughput.text() == throughput
    _add_plain(project, tmp_path / "more", 40, 100)
    with count_reads(project) as many:
        view.refresh()
    assert many["sql"] == few["sql"], "queries grow with the images that have no mask"
    assert _rows(view) == before and view.throughput.text() == throughput
    assert {r.decision for r in view.model.rows()} == {"approve", "reject", None} and len(before) == 4


def test_vs_current_model_rows_are_reread_in_bulk_as_one_by_one(view, project, tmp_path, count_reads):
    """The rows scored against the current model get their statuses, decisions and new versions
    from the refresh's bulk reads: the same rows as re-reading each image."""
    rows = [replace(r, reference=MODEL) for r in view.model.rows()]
    with Project.open(project.root, user="olga") as olga:  # a save since the re-score
        olga.save_mask(rows[0].image_id, "garment", _square(20))
    view._model_rows[view.task] = (rows, "key", "model")
    expected = _plain(view._reread(r) for r in rows)
    with count_reads(project) as few:
        view.reference.setCurrentIndex(1)
    assert view.reference.currentData() == MODEL
    assert _rows(view) == expected and any("saved since this score" in str(r) for r in expected)
    assert few["images"] == 1 and few["mask_versions"] == 0
    _add_plain(project, tmp_path / "more", 40, 100)
    with count_reads(project) as many:
        view.refresh()
    assert many["sql"] == few["sql"]


def test_the_instance_panel_takes_the_statuses_the_refresh_read(qtbot, project, count_reads):
    """Without rows it reads nothing (after each decision the window asked it to read the whole
    image list: 2.5 s at 20,000 images); with rows it shows the statuses it is given."""
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    with count_reads(project) as counts:
        panel.refresh_statuses()
    assert counts["images"] == 0 and counts["sql"] == 0
