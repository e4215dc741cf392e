"""An export that writes no image says why and exits 1.

A QA hand test: ``export proj X --status approved`` on a project of garment and parsing18 whose
one reviewed image had its garment mask approved and its parsing mask not printed "0 images
exported" and exited 0, so a script took the empty folder for a finished export.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project

H, W = 20, 24


def _project(tmp_path: Path) -> Path:
    """Two photos: ``a.png`` done with both masks saved, its garment mask approved; ``b.png``
    new."""
    root = tmp_path / "proj"
    with Project.create(root, tasks=("garment", "parsing18"), user="alice") as project:
        ids = []
        for i, name in enumerate(("a.png", "b.png")):
            path = tmp_path / "src" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.random.default_rng(i).integers(0, 256, (H, W, 3), np.uint8)).save(path)
            ids.append(project.add_image(path).id)
        mask = np.zeros((H, W), np.uint8)
        mask[5:15, 5:15] = 1
        project.save_mask(ids[0], "garment", mask)
        project.save_mask(ids[0], "parsing18", mask * 3)
        project.set_status(ids[0], "done")
        project.record_decision(ids[0], "garment", "approve")
    return root


def test_an_export_of_no_approved_image_says_why_and_fails(tmp_path, capsys):
    root = _project(tmp_path)
    out = tmp_path / "approved"
    assert main(["export", str(root), str(out), "--format", "plain", "--status", "approved"]) == 1
    printed = capsys.readouterr()
    assert "0 images exported" in printed.out
    assert (f"fashion-annotator export: error: {out}: no image exported: no image has status approved (the "
            "project's 2 images: 1 new, 1 done); an image is approved once the latest mask of every task is, "
            "and so far Garment cutout is approved on 1 image, Parsing (18 classes) on none") in printed.err  # fmt: skip

    assert main(["export", str(root), str(tmp_path / "done"), "--format", "plain", "--status", "done"]) == 0
    assert "1 image exported" in capsys.readouterr().out


def test_an_export_of_images_without_masks_says_so(tmp_path, capsys):
    root = _project(tmp_path)
    out = tmp_path / "new"
    assert main(["export", str(root), str(out), "--format", "plain", "--status", "new"]) == 1
    assert (f"{out}: no image exported: the only image with status new is without a mask for the task"
            in capsys.readouterr().err)  # fmt: skip
