"""The fast paths of the photo loader: OpenCV JPEG decode and the reduced-size preview."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.images import (
    ImageLoadError,
    load_image,
    load_preview,
)


def _photo(h: int, w: int) -> np.ndarray:
    """A smooth colour field with a sharp bright square in the top-left quarter."""
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (max(2, h // 64), max(2, w // 64), 3), np.uint8)
    rgb = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    rgb[h // 8 : h // 4, w // 8 : w // 4] = (250, 250, 250)
    return rgb


def _save_jpeg(path: Path, rgb: np.ndarray, orientation: int = 1) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, format="JPEG", quality=95, exif=exif.tobytes())
    return path


def _pillow_upright(path: Path) -> np.ndarray:
    from PIL import ImageOps

    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_opencv_decode_matches_pillow_for_every_orientation(tmp_path, orientation):
    path = _save_jpeg(tmp_path / "p.jpg", _photo(96, 160), orientation)
    got = load_image(path)
    ref = _pillow_upright(path)
    assert got.rgb.shape == ref.shape and got.rgb.flags["C_CONTIGUOUS"]
    # Both use libjpeg(-turbo); the IDCT may differ by a level or two between builds.
    assert np.abs(got.rgb.astype(int) - ref.astype(int)).max() <= 3
    assert got.alpha is None


def test_grey_jpeg_decodes_to_three_equal_channels(tmp_path):
    path = tmp_path / "grey.jpg"
    Image.fromarray(_photo(64, 64)[:, :, 0]).save(path, quality=95)
    rgb = load_image(path).rgb
    assert rgb.shape == (64, 64, 3)
    assert np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(rgb[:, :, 0], rgb[:, :, 2])


def test_truncated_jpeg_still_names_the_file_and_the_problem(tmp_path):
    path = _save_jpeg(tmp_path / "cut.jpg", _photo(256, 256))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="truncated") as err:
        load_image(path)
    assert err.value.path == path


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_preview_is_reduced_upright_and_maps_onto_the_full_photo(tmp_path, orientation):
    rgb = _photo(1200, 1800)
    path = _save_jpeg(tmp_path / "big.jpg", rgb, orientation)
    preview = load_preview(path, side=400, min_pixels=1000)
    assert preview is not None and preview.path == path
    full = load_image(path).rgb
    assert preview.shape == full.shape[:2]
    # 1800 // 4 = 450 >= 400 > 1800 // 8: the DCT decodes at 1/4.
    assert max(preview.rgb.shape[:2]) == 450
    sy, sx = preview.scale
    assert sy == pytest.approx(4.0) and sx == pytest.approx(4.0)
    # Preview pixel (y, x) shows full pixels [y*sy, (y+1)*sy) x [x*sx, (x+1)*sx).
    h, w = preview.rgb.shape[:2]
    reduced = cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA)
    assert np.abs(preview.rgb.astype(int) - reduced.astype(int)).mean() < 2.0
    # The bright square lands where it is in the full photo.
    bright = np.argwhere(full.min(axis=2) > 240)
    (y0, x0), (y1, x1) = bright.min(axis=0), bright.max(axis=0)
    cy, cx = (y0 + y1) / 2 / sy, (x0 + x1) / 2 / sx
    assert preview.rgb[int(cy), int(cx)].min() > 235


def test_no_preview_for_small_photos_or_other_formats(tmp_path):
    small = _save_jpeg(tmp_path / "small.jpg", _photo(100, 100))
    assert load_preview(small, side=10, min_pixels=100 * 100) is None
    png = tmp_path / "big.png"
    Image.fromarray(_photo(300, 300)).save(png)
    assert load_preview(png, side=10, min_pixels=1000) is None


def test_preview_of_a_missing_or_corrupt_file_names_it(tmp_path):
    with pytest.raises(ImageLoadError, match="does not exist"):
        load_preview(tmp_path / "nope.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageLoadError) as err:
        load_preview(bad, min_pixels=0)
    assert err.value.path == bad


def test_document_reads_a_deferred_proposal_once_on_first_use():
    from fashion_annotator.core.document import AnnotationDocument

    proposal = np.zeros((4, 6), np.uint8)
    proposal[1:3, 2:5] = 2
    reads: list[str] = []

    def load(task: str) -> np.ndarray:
        reads.append(task)
        return proposal

    doc = AnnotationDocument(
        1, np.zeros((4, 6, 3), np.uint8), {"parsing": np.zeros((4, 6), np.uint8)},
        load_proposal=load,
    )
    assert reads == [] and doc.proposals["parsing"] is None
    assert doc.accept_proposal("parsing") is not None
    np.testing.assert_array_equal(doc.masks["parsing"], proposal)
    assert doc.proposal("parsing") is proposal and reads == ["parsing"]
    doc.set_proposal("parsing", None)  # a newer (empty) model result wins over the stored one
    assert doc.proposal("parsing") is None and reads == ["parsing"]
