"""Greyscale photos with a grey colour profile (Photoshop's Gray Gamma 1.8 / 2.2, Dot Gain):
their tones as a colour-managed viewer shows them, on every decoding path."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from icc_synth import grey_profile
from PIL import Image, ImageCms

from fashion_annotator.core.colour_profiles import INTENT, to_srgb
from fashion_annotator.core.images import load_image

#: A grey ramp with a garment-like band of mid greys, ``(H, W) uint8``.
RAMP = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (12, 1))


def _seen(grey: np.ndarray, icc: bytes) -> np.ndarray:
    """What a colour-managed viewer shows: the grey through its profile to sRGB, (H, W, 3) int."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    transform = ImageCms.buildTransform(profile, srgb, "L", "RGB", renderingIntent=INTENT)
    return np.asarray(ImageCms.applyTransform(Image.fromarray(grey), transform), np.int16)


@pytest.mark.parametrize("name", ["print.jpg", "print.png", "print.tif"])
def test_a_grey_photo_with_a_grey_profile_shows_its_tones(tmp_path: Path, name: str) -> None:
    """Found in a studio delivery audit: a greyscale JPEG tagged Gray Gamma 1.8 loaded as if it
    were sGray, its mid greys 17-19 levels darker than Photoshop or a browser shows them, in the
    window and in the cutout delivered. Grey profiles are applied now (JPEGs decoded by OpenCV
    and by Pillow alike)."""
    icc = grey_profile(1.8)
    path = tmp_path / name
    options = {"quality": 100} if name.endswith(".jpg") else {}
    Image.fromarray(RAMP).save(path, icc_profile=icc, **options)
    decoded = np.asarray(Image.open(path).convert("L"))

    rgb = load_image(path).rgb.astype(np.int16)

    seen = _seen(decoded, icc)
    assert np.abs(rgb - seen).max() <= 1
    assert np.abs(rgb[..., 0] - decoded.astype(np.int16)).max() >= 10  # the profile mattered


def test_a_grey_photo_keeps_its_transparency_through_its_profile(tmp_path: Path) -> None:
    icc = grey_profile(2.2)
    alpha = np.full(RAMP.shape, 255, np.uint8)
    alpha[:4] = 0
    path = tmp_path / "cut.png"
    Image.fromarray(np.dstack([RAMP, alpha]), "LA").save(path, icc_profile=icc)

    photo = load_image(path)

    assert photo.alpha is not None and np.array_equal(photo.alpha, alpha)
    assert np.abs(photo.rgb.astype(np.int16) - _seen(RAMP, icc)).max() <= 1


def test_a_grey_profile_keeps_a_transparent_grey_as_alpha() -> None:
    grey = Image.fromarray(RAMP)
    grey.info.update(icc_profile=grey_profile(1.8), transparency=int(RAMP[0, 0]))

    out = to_srgb(grey, "keyed.png")

    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out)[..., 3] == 0, RAMP == RAMP[0, 0])
