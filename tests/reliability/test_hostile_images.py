"""Hostile photo files: content in a format no photo needs (PostScript for Ghostscript) under a
photo's name, and several frames in one file; each refused naming the file and the cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.images import ImageLoadError, load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 24\nnewpath 0 0 moveto showpage\n"


def _frames(n: int, seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), np.uint8)) for _ in range(n)]


def test_postscript_under_a_photo_name_is_never_rendered(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    src = tmp_path / "photos"
    write_photo(src / "good.png", SHAPE)
    for name in ("look.png", "look2.jpg", "look3.tif"):
        (src / name).write_bytes(EPS)
    ledger.try_("photos", "PostScript named .png/.jpg/.tif")
    for name in ("look.png", "look2.jpg"):
        with pytest.raises(ImageLoadError, match="not a recognised image format") as info:
            load_image(src / name)
        assert info.value.path == src / name
        with pytest.raises(ImageLoadError, match="not a recognised image format"):
            load_mask(src / name)
    summary = import_source(project, src, "photos")
    errors = dict(summary.errors)
    assert summary.added == 1
    for name in ("look.png", "look2.jpg", "look3.tif"):
        assert "not a recognised image format" in errors[str(src / name)]
    assert [r.name for r in project.images()] == ["good.png"]
    ledger.handled("photos", "PostScript named .png/.jpg/.tif")


def test_multi_frame_files_are_refused_not_cut_to_their_first_frame(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    src = tmp_path / "photos"
    write_photo(src / "good.png", SHAPE)
    first, *rest = _frames(3)
    first.save(src / "pages.tif", save_all=True, append_images=rest)
    first.save(src / "anim.png", save_all=True, append_images=rest)
    first.save(src / "anim.webp", save_all=True, append_images=rest)
    cases = {"pages.tif": "TIFF with 3 frames", "anim.png": "PNG with 3 frames",
             "anim.webp": "WEBP with 3 frames"}  # fmt: skip
    for name in cases:
        ledger.try_("photos", f"multi-frame {name}")
    summary = import_source(project, src, "photos")
    errors = dict(summary.errors)
    for name, expected in cases.items():
        assert expected in errors[str(src / name)], errors
        with pytest.raises(ImageLoadError, match=expected):
            load_mask(src / name)
        ledger.handled("photos", f"multi-frame {name}")
    assert summary.added == 1


def test_a_camera_mpo_is_one_photo(tmp_path: Path) -> None:
    photo, preview = _frames(2, seed=1)
    path = tmp_path / "camera.jpg"
    photo.save(path, format="MPO", save_all=True, append_images=[preview])
    with Image.open(path) as im:
        assert (im.format, im.n_frames) == ("MPO", 2)
    assert load_image(path).shape == SHAPE
