"""Importing an export back: a photo the export wrote turned upright (its EXIF rotation applied,
re-encoded) lands on the project's EXIF-rotated original, never added as a new photo; and the
summary lists as "without a mask" only photos that have none, saved before or now."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project


def _scene(seed: int, shape: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A photo-like picture of ``shape`` (H, W): a gradient with a few flat rectangles."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    rgb = np.stack([xs * 255 // shape[1], ys * 255 // shape[0], np.full_like(xs, 80)], axis=-1)
    for _ in range(6):
        y, x = rng.integers(0, shape[0] - 20), rng.integers(0, shape[1] - 20)
        rgb[y : y + rng.integers(8, 20), x : x + rng.integers(8, 20)] = rng.integers(0, 256, 3)
    return rgb.astype(np.uint8)


def _rotated_jpeg(path: Path, seed: int) -> Path:
    """A JPEG stored 160 wide, 120 high with EXIF orientation 6: 120 wide, 160 high upright."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_scene(seed)).save(path, quality=95, exif=exif.tobytes())
    return path


def _photos(folder: Path) -> list[Path]:
    """exif_rot6.jpg (EXIF-rotated) and plain.png."""
    plain = folder / "plain.png"
    _rotated_jpeg(folder / "exif_rot6.jpg", 1)
    Image.fromarray(_scene(2)).save(plain)
    return [folder / "exif_rot6.jpg", plain]


def _mask(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[10 : shape[0] - 10, 20 : shape[1] - 20] = 1
    return mask


@pytest.mark.parametrize("fmt", ["plain", "coco", "yolo", "voc"])
def test_an_export_imported_back_puts_the_mask_on_the_exif_rotated_photo(tmp_path: Path, fmt: str) -> None:
    photos = _photos(tmp_path / "src")
    with Project.create(tmp_path / "annotated", user="alice") as done:
        for photo in photos:
            record = done.add_image(photo)
            done.save_mask(record.id, "garment", _mask(record.shape))
        summary = export_project(done, tmp_path / "exp", fmt, "garment")
    assert summary.count == 2 and summary.upright == 1
    with Project.create(tmp_path / "copy", user="bob") as copy:  # the same photos, no masks yet
        for photo in photos:
            copy.add_image(photo)
        summary = import_source(copy, tmp_path / "exp", fmt, "garment")
        assert (summary.added, summary.errors) == (0, []), summary.lines()
        assert [r.name for r in copy.images()] == ["exif_rot6.jpg", "plain.png"]
        (turned,) = copy.images_by_stem("exif_rot6")
        assert turned.shape == (160, 120) and turned.status == "done"
        np.testing.assert_array_equal(copy.load_mask(turned.id, "garment"), _mask(turned.shape))


def test_a_different_photo_of_the_same_size_is_added_not_matched(project: Project, tmp_path: Path) -> None:
    record = project.add_image(_rotated_jpeg(tmp_path / "src" / "exif_rot6.jpg", 1))
    other = tmp_path / "in" / "exif_rot6.jpg"  # same name and upright size, another picture
    other.parent.mkdir()
    Image.fromarray(_scene(3, (160, 120))).save(other, quality=95)
    summary = import_source(project, other.parent, "photos")
    assert summary.added == 1 and len(project.images()) == 2
    assert record.id in {r.id for r in project.images_by_stem("exif_rot6")}


def test_two_upright_copies_never_land_on_one_photo(project: Project, tmp_path: Path) -> None:
    original = project.add_image(_rotated_jpeg(tmp_path / "src" / "exif_rot6.jpg", 1))
    folder = tmp_path / "in"
    folder.mkdir()
    with Image.open(original.path) as im:
        upright = ImageOps.exif_transpose(im)
        upright.save(folder / "exif_rot6.jpg", quality=95)
        upright.save(folder / "zz_copy.jpg", quality=80)
    summary = import_source(project, folder, "photos")
    assert (summary.added, summary.existing) == (0, 1) and len(project.images()) == 1
    ((path, problem),) = summary.errors
    assert path.endswith("zz_copy.jpg") and "exif_rot6.jpg" in problem and "twice" in problem, problem


def test_the_summary_lists_only_photos_left_without_any_mask(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "plain"
    (src / "images").mkdir(parents=True)
    (src / "masks").mkdir()
    for name, seed in (("kept.png", 4), ("bare.png", 5)):
        Image.fromarray(_scene(seed)).save(src / "images" / name)
    kept = project.add_image(src / "images" / "kept.png")
    project.save_mask(kept.id, "garment", _mask(kept.shape))
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(src / "masks" / "kept.png")  # wrong size: refused
    summary = import_source(project, src, "plain", "garment")
    ((path, problem),) = summary.errors
    assert path.endswith("kept.png"), problem
    assert summary.without_mask == ["bare.png"]
    assert "1 photo without a mask (none from this import, none saved before):" in summary.lines()


def test_of_several_matching_photos_the_one_of_the_same_name_is_taken(project: Project, tmp_path: Path) -> None:
    first = project.add_image(_rotated_jpeg(tmp_path / "src" / "look.jpg", 1))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(_scene(1)).save(tmp_path / "src" / "again.jpg", quality=90, exif=exif.tobytes())
    second = project.add_image(tmp_path / "src" / "again.jpg")  # the same picture, other bytes
    folder = tmp_path / "in"
    folder.mkdir()
    with Image.open(first.path) as im:
        upright = ImageOps.exif_transpose(im)
        upright.save(folder / "again.jpg", quality=95)
        upright.save(folder / "other.jpg", quality=85)
    summary = import_source(project, folder, "photos")
    assert (summary.added, summary.existing) == (0, 1) and len(project.images()) == 2
    ((path, problem),) = summary.errors
    assert path.endswith("other.jpg") and "look.jpg" in problem and "again.jpg" in problem, problem
    assert second.id in {r.id for r in project.images_by_stem("again")}
