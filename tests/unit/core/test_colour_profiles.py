"""Photos with an embedded ICC profile reach the window and the models in sRGB.

The profiles are synthetic (:mod:`icc_synth`): an Adobe RGB matrix profile and a CMYK table
profile. The expected pixels are LittleCMS's own conversion of the file as Pillow decodes it
(what a colour-managed viewer shows); the photo read as if it were sRGB is far from them.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from icc_synth import cmyk_profile, rgb_profile
from PIL import Image, ImageCms

from fashion_annotator.core.colour_profiles import INTENT, to_srgb
from fashion_annotator.core.images import copy_upright, load_image, load_preview

H, W = 96, 128


def _field(channels: int = 3) -> np.ndarray:
    """Saturated, smooth colours (where wide-gamut profiles differ most from sRGB)."""
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, (4, 5, channels), np.uint8)
    return cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR)


def _managed(path: Path) -> np.ndarray:
    """The photo as a colour-managed viewer shows it: Pillow's decode through its profile."""
    with Image.open(path) as im:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        out = ImageCms.profileToProfile(im, profile, ImageCms.createProfile("sRGB"),
                                        renderingIntent=INTENT, outputMode="RGB")  # fmt: skip
        assert out is not None
        return np.asarray(out)


def _raw(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _close(got: np.ndarray, want: np.ndarray, mean: float = 0.6, most: int = 4) -> None:
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.mean() <= mean and diff.max() <= most, (diff.mean(), diff.max())


def _far(got: np.ndarray, want: np.ndarray) -> None:
    assert np.abs(got.astype(int) - want.astype(int)).mean() > 4


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif"])
def test_an_adobe_rgb_photo_is_converted_to_srgb(tmp_path: Path, suffix: str) -> None:
    """The profile was ignored: the pixels came out as if they were sRGB (dull, shifted)."""
    path = tmp_path / f"adobe{suffix}"
    options = {"quality": 95} if suffix == ".jpg" else {}
    Image.fromarray(_field()).save(path, icc_profile=rgb_profile(), **options)
    got, want = load_image(path).rgb, _managed(path)
    _close(got, want, *((0.6, 4) if suffix == ".jpg" else (0.0, 0)))  # OpenCV's JPEG decoder: +-1
    _far(got, _raw(path))


def test_a_cmyk_jpeg_with_a_profile_is_converted_through_it(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.frombytes("CMYK", (W, H), _field(4).tobytes()).save(path, quality=95, icc_profile=cmyk_profile())
    got = load_image(path).rgb
    np.testing.assert_array_equal(got, _managed(path))
    _far(got, _raw(path))


def test_alpha_and_a_transparent_colour_survive_the_conversion(tmp_path: Path) -> None:
    rgba = np.dstack([_field(), np.tile(np.arange(W, dtype=np.uint8) * 2, (H, 1))])
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path, icc_profile=rgb_profile())
    photo = load_image(path)
    np.testing.assert_array_equal(photo.alpha, rgba[..., 3])
    _close(photo.rgb, _managed(path)[..., :3], 0.0, 0)
    keyed = _field()
    keyed[:10] = (1, 2, 3)
    path = tmp_path / "keyed.png"
    Image.fromarray(keyed).save(path, icc_profile=rgb_profile(), transparency=(1, 2, 3))
    photo = load_image(path)
    assert photo.alpha is not None and not photo.alpha[:10].any() and photo.alpha[10:].all()


def test_srgb_grey_and_no_profile_leave_the_pixels_as_decoded(tmp_path: Path) -> None:
    rgb = _field()
    plain, srgb = tmp_path / "plain.png", tmp_path / "srgb.png"
    Image.fromarray(rgb).save(plain)
    srgb_bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(rgb).save(srgb, icc_profile=srgb_bytes)
    np.testing.assert_array_equal(load_image(plain).rgb, rgb)
    np.testing.assert_array_equal(load_image(srgb).rgb, rgb)
    grey = Image.fromarray(rgb[..., 0])
    grey.info["icc_profile"] = rgb_profile()  # an RGB profile on grey pixels: not applied
    assert to_srgb(grey, "grey.png") is grey


def test_a_profile_is_judged_by_its_colours_not_its_name(tmp_path: Path) -> None:
    """"GIMP built-in Linear sRGB" was skipped for the "sRGB" in its name: a grey of 128 showed
    as 55 (a hand test). A profile counts as sRGB only when it maps colours as sRGB does."""
    srgb_colorants = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))
    linear = tmp_path / "linear.png"
    Image.fromarray(_field()).save(linear, icc_profile=rgb_profile(srgb_colorants, 1.0, "GIMP built-in Linear sRGB"))
    _close(load_image(linear).rgb, _managed(linear))
    _far(load_image(linear).rgb, _raw(linear))


def test_a_profile_that_cannot_be_parsed_keeps_the_pixels_and_names_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rgb = _field()
    for name, icc in [("junk.jpg", b"not a colour profile at all" * 8), ("cut.png", rgb_profile()[:150])]:
        path = tmp_path / name
        options = {"quality": 100, "subsampling": 0} if name.endswith(".jpg") else {}
        Image.fromarray(rgb).save(path, icc_profile=icc, **options)
        with caplog.at_level(logging.WARNING, logger="fashion_annotator.core.colour_profiles"):
            got = load_image(path).rgb
        _close(got, rgb, 1.0, 8)
        assert any(str(path) in r.getMessage() and "colour profile" in r.getMessage() for r in caplog.records)
        caplog.clear()


def test_the_preview_and_an_upright_export_copy_keep_the_colours(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the export re-encodes it upright
    Image.fromarray(_field()).save(path, quality=95, icc_profile=rgb_profile(), exif=exif.tobytes())
    full = load_image(path).rgb
    preview = load_preview(path, side=16, min_pixels=0)
    assert preview is not None
    small = cv2.resize(full, preview.rgb.shape[1::-1], interpolation=cv2.INTER_AREA)
    _close(preview.rgb, small, 3.0, 40)
    _far(preview.rgb, cv2.resize(np.rot90(_raw(path), -1), preview.rgb.shape[1::-1], interpolation=cv2.INTER_AREA))
    copy = tmp_path / "copy.jpg"
    assert copy_upright(path, copy, full.shape[:2])
    with Image.open(copy) as im:
        assert im.info.get("icc_profile") == rgb_profile()
    _close(load_image(copy).rgb, full, 1.5, 24)
