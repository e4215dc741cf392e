"""The Review tab's CSV and HTML exports carry the table's cutout and parsing flag: an image
flagged in the table (its parsing mask disagrees with its cutout on more than 1%) was written
without a word of it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _square(label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:30] = label
    return mask


@pytest.fixture
def project(tmp_path: Path):
    """``good``: a parsing mask that agrees with the cutout; ``fair``: 20 "shoes" pixels (the
    stand) outside its 400-pixel cutout, 5%; ``poor``: no parsing mask."""
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7"), user="rita") as proj:
        for seed, name in enumerate(("good", "fair", "poor")):
            path = tmp_path / "src" / f"{name}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(np.random.default_rng(seed).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = proj.add_image(path).id
            proj.save_proposal(image_id, "garment", _square(), "v1")
            proj.save_mask(image_id, "garment", _square())
            if name != "poor":
                parsing = _square(label=6)  # dress where the garment is
                if name == "fair":
                    parsing[30:40, 19:21] = 4  # shoes below it: the stand
                proj.save_mask(image_id, "parsing7", parsing)
        yield proj


def test_the_exports_write_the_flag_the_table_shows(qtbot, project, tmp_path, monkeypatch):
    view = ReviewView(project)
    qtbot.addWidget(view)
    good, fair, poor = (project.images(search=n)[0].id for n in ("good", "fair", "poor"))
    qtbot.waitUntil(lambda: view.model.flag(fair) is not None and view.mask_checks.worker is None, timeout=20000)
    reads: list[tuple[int, str]] = []
    load_mask = project.load_mask

    def counted(image_id: int, task: str, *args, **kwargs) -> np.ndarray | None:
        reads.append((image_id, task))
        return load_mask(image_id, task, *args, **kwargs)

    monkeypatch.setattr(project, "load_mask", counted)
    assert view.export("csv", str(tmp_path / "qa.csv"))
    assert reads == [], "the table's figures are reused; poor has no parsing mask, as its versions say"
    with (tmp_path / "qa.csv").open(newline="", encoding="utf-8") as fh:
        rows = {row["name"]: row for row in csv.DictReader(fh)}
    assert (rows["fair.png"]["disagreement"], rows["fair.png"]["disagrees"]) == ("0.0500", "1")
    assert (rows["good.png"]["disagreement"], rows["good.png"]["disagrees"]) == ("0.0000", "0")
    assert (rows["poor.png"]["disagreement"], rows["poor.png"]["disagrees"]) == ("", "")
    assert view.export("html", str(tmp_path / "qa.html"))
    document = (tmp_path / "qa.html").read_text(encoding="utf-8")
    assert ("Garment cutout and Parsing masks: 1 of 2 images compared disagree on more than 1% of the cutout; "
            "1 image not compared (the Disagreement column says why).") in document  # fmt: skip
    assert ">5.0% (over 1%)</td>" in document and "not compared: no Parsing mask saved</td>" in document
    view.mask_checks.stop()
