"""Cutouts as a studio delivers them: colours a colour-managed application shows right."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from icc_synth import rgb_profile
from PIL import Image, ImageCms

from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project

SHAPE = (40, 24)  # (H, W): a portrait studio frame, small


def _garment() -> tuple[np.ndarray, np.ndarray]:
    """A saturated green and red garment on a light-grey backdrop, and its mask ``(H, W)``."""
    rgb = np.full((*SHAPE, 3), 232, np.uint8)
    mask = np.zeros(SHAPE, np.uint8)
    mask[8:32, 6:18] = 1
    rgb[8:20, 6:18] = (30, 170, 60)
    rgb[20:32, 6:18] = (200, 40, 50)
    return rgb, mask


def _as_seen(path: Path) -> np.ndarray:
    """What a colour-managed viewer shows of ``path``: its pixels through its embedded profile
    to sRGB, ``(H, W, 3) int``. An untagged file is read in ``assumed`` Adobe RGB, as Photoshop
    does with files without a profile when its working space is Adobe RGB."""
    with Image.open(path) as im:
        im.load()
        icc = im.info.get("icc_profile") or rgb_profile()
        rgb = im.convert("RGB")
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    transform = ImageCms.buildTransform(source, srgb, "RGB", "RGB")
    return np.asarray(ImageCms.applyTransform(rgb, transform), np.int16)


def _export(project: Project, tmp_path: Path, photo: Path, mask: np.ndarray) -> Image.Image:
    record = project.add_image(photo)
    project.save_mask(record.id, "garment", mask)
    export_project(project, tmp_path / "cut", "cutout")
    cut = Image.open(tmp_path / "cut" / f"{photo.stem}.png")
    cut.load()
    return cut


def test_a_cutout_of_an_adobe_rgb_photo_shows_its_colours_in_a_colour_managed_application(
    project: Project, tmp_path: Path
) -> None:
    """Found in a studio delivery audit: the cutout of an Adobe RGB photo held sRGB values (the
    loader converts) but no profile, so Photoshop with an Adobe RGB working space showed the
    garment's green and red oversaturated beside the photo. The cutout is tagged sRGB now."""
    srgb_rgb, mask = _garment()
    adobe = rgb_profile()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    adobe_profile = ImageCms.ImageCmsProfile(io.BytesIO(adobe))
    to_adobe = ImageCms.buildTransform(srgb, adobe_profile, "RGB", "RGB")
    photo = tmp_path / "src" / "coat.png"
    photo.parent.mkdir()
    ImageCms.applyTransform(Image.fromarray(srgb_rgb), to_adobe).save(photo, icc_profile=adobe)

    cut = _export(project, tmp_path, photo, mask)

    assert cut.info.get("icc_profile"), "the cutout does not say which colour space it is in"
    seen_photo, seen_cut = _as_seen(photo), _as_seen(tmp_path / "cut" / "coat.png")
    garment = np.asarray(cut)[..., 3] == 255
    assert np.abs(seen_cut[garment] - seen_photo[garment]).max() <= 2
