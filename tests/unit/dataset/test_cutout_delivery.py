"""Cutouts as a studio delivers them: colours a colour-managed application shows right, the
photo's resolution kept, EXIF-rotated photos upright with their masks, soft edges of a large
photo in bounded memory."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from icc_synth import rgb_profile
from PIL import Image, ImageCms

from fashion_annotator.core.guided import soft_edge_alpha
from fashion_annotator.dataset.formats import alpha as alpha_format
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


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_a_cutout_keeps_the_photos_resolution_as_it_stands_upright(
    project: Project, tmp_path: Path, orientation: int
) -> None:
    """A 300 x 200 dpi studio photo gave a cutout without resolution (read as 72 dpi), which a
    retoucher's Place put on the photo 4 times too large; a quarter-turned photo's resolutions
    swap as its sides do."""
    rgb, mask = _garment()
    stored = Image.fromarray(rgb)
    if orientation == 6:
        stored = stored.transpose(Image.Transpose.ROTATE_90)
    elif orientation == 8:
        stored = stored.transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = orientation
    turned = orientation != 1
    photo = tmp_path / "src" / "jacket.jpg"
    photo.parent.mkdir()
    stored.save(photo, quality=98, dpi=(200, 300) if turned else (300, 200), exif=exif.tobytes())

    cut = _export(project, tmp_path, photo, mask)

    assert cut.size == (SHAPE[1], SHAPE[0])
    assert np.array_equal(np.asarray(cut)[..., 3] > 0, mask > 0)
    assert cut.info.get("dpi") == pytest.approx((300, 200), abs=0.01)


@pytest.mark.parametrize("name", ["skirt.png", "skirt.tif"])
def test_a_photo_without_a_resolution_gives_a_cutout_without_one(
    project: Project, tmp_path: Path, name: str
) -> None:
    """Nothing is made up: no resolution in the photo, none in its cutout (Pillow reads a TIFF
    without resolution tags as 1 dpi, which would have put a cutout at 1152 inches wide)."""
    rgb, mask = _garment()
    photo = tmp_path / "src" / name
    photo.parent.mkdir()
    Image.fromarray(rgb).save(photo)

    cut = _export(project, tmp_path, photo, mask)

    assert "dpi" not in cut.info


def test_soft_edges_take_the_memory_of_a_tile_not_of_the_garments_extent(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in a studio delivery audit: the soft edges of a 50 MP photo's cutout were worked
    out over the garment's whole bounding box, 1.6 GB of float images (5.5 GB for a garment
    with a bag in the far corner) and 18 s. They are worked out tile by tile now, to the same
    alpha; here a 600 x 400 photo with tiles of 64 (at 512 on real photos)."""
    monkeypatch.setattr(alpha_format, "EDGE_TILE", 64, raising=False)
    rng = np.random.default_rng(0)
    rgb = np.full((600, 400, 3), 232, np.uint8)
    mask = np.zeros((600, 400), np.uint8)
    mask[60:300, 80:260] = 1  # the garment
    mask[520:580, 320:380] = 1  # a bag in the far corner
    rgb[mask > 0] = rng.integers(0, 120, (int(mask.sum()), 3))
    photo = tmp_path / "src" / "outfit.png"
    photo.parent.mkdir()
    Image.fromarray(rgb).save(photo)
    record = project.add_image(photo)
    project.save_mask(record.id, "garment", mask)

    tracemalloc.start()
    try:
        export_project(project, tmp_path / "cut", "cutout")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 8e6, f"{peak / 1e6:.1f} MB for a 600 x 400 photo"
    alpha = np.asarray(Image.open(tmp_path / "cut" / "outfit.png"))[..., 3].astype(np.int16)
    assert np.abs(alpha - soft_edge_alpha(rgb, mask)).max() <= 1
    assert ((alpha > 0) & (alpha < 255)).any()


def test_a_cutout_keeps_the_photos_artist_and_copyright_and_nothing_else(project: Project, tmp_path: Path) -> None:
    """A studio's cutouts went out without the photographer and copyright their photos carry
    (a delivery audit); they keep those two (as Photoshop's "Copyright and Contact Info" does)
    and no camera, place or orientation (the cutout is upright)."""
    rgb, mask = _garment()
    exif = Image.Exif()
    exif[0x013B] = "Ana Studio"
    exif[0x8298] = "(c) 2026 Ana Studio, all rights reserved"
    exif[0x010F] = "CameraMaker"
    exif[0x0112] = 1
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 29.0)  # GPS latitude: where the studio is
    photo = tmp_path / "src" / "dress.jpg"
    photo.parent.mkdir()
    Image.fromarray(rgb).save(photo, quality=98, exif=exif.tobytes())
    plain = tmp_path / "src" / "scarf.png"
    Image.fromarray(rgb).save(plain)

    cut = _export(project, tmp_path, photo, mask)
    kept = cut.getexif()
    assert kept.get(0x013B) == "Ana Studio"
    assert kept.get(0x8298) == "(c) 2026 Ana Studio, all rights reserved"
    assert 0x010F not in kept and 0x0112 not in kept and not kept.get_ifd(0x8825)
    record = project.add_image(plain)
    project.save_mask(record.id, "garment", mask)
    export_project(project, tmp_path / "cut2", "cutout")
    with Image.open(tmp_path / "cut2" / "scarf.png") as bare:
        assert not bare.getexif(), "nothing is made up for a photo without them"
