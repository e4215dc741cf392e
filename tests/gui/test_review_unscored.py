"""The Review tab's summary says why its counts are fewer than the table's rows: a mask saved
without any proposal recorded is listed with "-" and left out of the statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (30, 40)


def test_the_summary_counts_the_masks_without_a_proposal(qtbot, tmp_path: Path):
    rng = np.random.default_rng(1)
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[5:20, 5:25] = 1
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        for name in ("shown", "drawn"):
            path = tmp_path / f"{name}.png"
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = project.add_image(path).id
            if name == "shown":
                project.save_proposal(image_id, "garment", mask, "v1")
            project.save_mask(image_id, "garment", mask, seconds=10.0, actions=1, status="done")
        view = ReviewView(project)
        qtbot.addWidget(view)
        assert view.proxy.rowCount() == 2
        assert [view.proxy.index(r, 1).data() for r in range(2)] == ["1.000", "-"]
        text = view.summary.text()
        assert "<td align=right>1</td>" in text, "one mask scored"
        assert "1 image without a proposal to compare with: listed, not scored" in text
