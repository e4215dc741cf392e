"""Cutouts with clean edges (``--edges clean``): the soft cutout's alpha, the edge pixels'
colours the garment's without the backdrop's, so a dark garment placed on a white or black page
has no light halo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.core.foreground import estimate_foreground
from fashion_annotator.dataset.formats import alpha as alpha_format
from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project

DISK = np.array([40, 32, 70], np.float64)  # a dark navy garment
BACKDROP = 255.0


def _dark_disk(shape: tuple[int, int] = (90, 80)) -> tuple[np.ndarray, np.ndarray]:
    """A dark disk blurred into a white backdrop, as a lens renders its edge: the photo
    ``(H, W, 3) uint8`` and its mask ``(H, W) uint8`` (where the disk covers half or more)."""
    height, width = shape
    yy, xx = np.mgrid[:height, :width]
    disk = (np.hypot(yy - height / 2, xx - width / 2) < min(shape) / 3).astype(np.float32)
    cover = cv2.GaussianBlur(disk, (0, 0), 1.2)[..., None]
    rgb = np.rint(cover * DISK + (1 - cover) * BACKDROP).astype(np.uint8)
    return rgb, (cover[..., 0] >= 0.5).astype(np.uint8)


def _export(
    project: Project, tmp_path: Path, rgb: np.ndarray, mask: np.ndarray
) -> dict[str, np.ndarray]:
    """The soft and clean cutouts of ``rgb`` with ``mask``, ``(H, W, 4) uint8`` each."""
    photo = tmp_path / "src" / "coat.png"
    photo.parent.mkdir()
    Image.fromarray(rgb).save(photo)
    record = project.add_image(photo)
    project.save_mask(record.id, "garment", mask)
    cuts = {}
    for edges in ("soft", "clean"):
        export_project(project, tmp_path / edges, "cutout", edges=edges)
        cuts[edges] = np.asarray(Image.open(tmp_path / edges / "coat.png"))
    return cuts


def test_clean_edges_keep_the_soft_alpha_and_the_mask(project: Project, tmp_path: Path) -> None:
    rgb, mask = _dark_disk()
    cuts = _export(project, tmp_path, rgb, mask)

    assert np.array_equal(cuts["clean"][..., 3], cuts["soft"][..., 3])
    assert np.array_equal(cuts["clean"][..., 3] > 0, mask > 0)


def test_a_dark_garments_clean_edge_is_its_own_colour_not_the_backdrops(
    project: Project, tmp_path: Path
) -> None:
    """Found placing cutouts on a web shop's white page: a dark garment's edge pixels kept the
    photo's colour, the white backdrop mixed in, so its outline showed a light halo (on white
    and on black). Clean edges give those pixels the garment's own colour."""
    rgb, mask = _dark_disk()
    cuts = _export(project, tmp_path, rgb, mask)
    alpha = cuts["soft"][..., 3]
    edge = (alpha > 0) & (alpha < 255)
    assert edge.sum() > 50

    soft_off = np.abs(cuts["soft"][..., :3][edge] - DISK).max(axis=1)
    clean_off = np.abs(cuts["clean"][..., :3][edge] - DISK).max(axis=1)
    assert np.median(soft_off) > 30, "the soft edge should keep the photo's mixed colours"
    assert np.median(clean_off) <= 3 and np.percentile(clean_off, 95) <= 5, clean_off


def test_clean_edges_change_neither_opaque_nor_transparent_pixels(
    project: Project, tmp_path: Path
) -> None:
    rgb, mask = _dark_disk()
    rng = np.random.default_rng(0)
    rgb[mask > 0] = np.clip(
        rgb[mask > 0].astype(int) + rng.integers(-20, 21, rgb[mask > 0].shape), 0, 255
    )
    cuts = _export(project, tmp_path, rgb, mask)
    alpha = cuts["clean"][..., 3]

    assert np.array_equal(cuts["clean"][alpha == 255][:, :3], rgb[alpha == 255])
    assert not cuts["clean"][alpha == 0][:, :3].any()


def test_clean_edges_tile_by_tile_give_the_colours_of_the_whole_photo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alpha_format, "EDGE_TILE", 32)
    rgb, mask = _dark_disk((150, 120))
    alpha = alpha_format.tiled_soft_alpha(rgb, mask)

    tiled = alpha_format.tiled_clean_colours(rgb, alpha)

    assert np.array_equal(tiled, estimate_foreground(rgb, alpha))


def test_export_offers_clean_edges_on_the_command_line(tmp_path: Path) -> None:
    rgb, mask = _dark_disk()
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(rgb).save(photos / "coat.png")
    with Project.create(tmp_path / "p", user="alice") as project:
        record = project.add_image(photos / "coat.png")
        project.save_mask(record.id, "garment", mask)

    out = tmp_path / "out"
    assert (
        main(["export", str(tmp_path / "p"), str(out), "--format", "cutout", "--edges", "clean"])
        == 0
    )

    cut = np.asarray(Image.open(out / "coat.png"))
    edge = (cut[..., 3] > 0) & (cut[..., 3] < 255)
    assert np.abs(cut[..., :3][edge] - DISK).max(axis=1).mean() <= 3
