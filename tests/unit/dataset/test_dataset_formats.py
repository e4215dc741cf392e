"""Import/export formats on synthetic data: round trips and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

SHAPE = (24, 32)


def _parsing_mask(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros(SHAPE, np.uint8)
    for label in range(1, 7):
        y, x = rng.integers(0, SHAPE[0] - 6), rng.integers(0, SHAPE[1] - 6)
        mask[y : y + 6, x : x + 8] = label
    return mask


def _plain_source(root: Path, write_photo, n: int = 3) -> dict[str, np.ndarray]:
    """A plain folder whose mask ids are parsing7 ids (identity taxonomies.json)."""
    masks = {}
    (root / "masks").mkdir(parents=True)
    for i in range(n):
        write_photo(root / "images" / f"{i:04d}.jpg", SHAPE, seed=i)
        masks[f"{i:04d}"] = _parsing_mask(i)
        Image.fromarray(masks[f"{i:04d}"]).save(root / "masks" / f"{i:04d}.png")
    names = ["background", "skin", "hair", "top", "shoes", "bottom", "dress"]
    table = {"parsing7": {"classes": names, "from_x": {str(i): i for i in range(7)}}}
    (root / "taxonomies.json").write_text(json.dumps(table))
    return masks


def test_plain_import_with_broken_files_goes_on(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "plain"
    masks = _plain_source(src, write_photo)
    (src / "images" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (src / "images" / "empty.png").write_bytes(b"")
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(src / "masks" / "0000.png")  # wrong size
    Image.fromarray(np.full(SHAPE, 9, np.uint8)).save(src / "masks" / "0001.png")  # unknown id
    Image.fromarray(np.zeros(SHAPE, np.uint16) + 3).save(src / "masks" / "nophoto.png")
    summary = import_source(project, src, "plain")
    problems = dict(summary.errors)
    assert summary.added == 3 and summary.masks == 1
    assert "truncated" in problems[str(src / "images" / "broken.jpg")].lower()
    assert "0 bytes" in problems[str(src / "images" / "empty.png")]
    assert "5x5 (WxH) differs from the photo" in problems[str(src / "masks" / "0000.png")]
    assert "9" in problems[str(src / "masks" / "0001.png")]
    assert "no photo named 'nophoto'" in problems[str(src / "masks" / "nophoto.png")]
    (rec,) = project.images_by_stem("0002")
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7"), masks["0002"])
    assert rec.id and project.image(rec.id).status == "done"
    assert project.mask_versions(rec.id, "parsing7")[0].source == "import"
    assert summary.lines()[0].endswith("5 files refused")



def test_a_plain_mask_whose_photo_was_refused_says_so(project: Project, tmp_path: Path, write_photo) -> None:
    """A fault injection (photo copies failing on a full disk): each mask was refused as "no
    photo named '0002' in the project or the source", though the source holds it."""
    src = tmp_path / "plain"
    _plain_source(src, write_photo, n=2)
    (src / "images" / "0001.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    summary = import_source(project, src, "plain")
    problems = dict(summary.errors)
    assert summary.added == 1 and summary.masks == 1
    assert "truncated" in problems[str(src / "images" / "0001.jpg")].lower()
    assert problems[str(src / "masks" / "0001.png")] == (
        f"its photo {src / 'images' / '0001.jpg'} could not be added (listed above); import again once it can"
    )

def test_plain_masks_attach_to_existing_photos(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "plain"
    masks = _plain_source(src, write_photo, n=2)
    import_source(project, src / "images", "photos")
    (src / "images" / "0000.jpg").unlink()
    (src / "images" / "0001.jpg").unlink()
    summary = import_source(project, src, "plain", taxonomy="parsing7")
    assert (summary.added, summary.masks, summary.errors) == (0, 2, [])
    (rec,) = project.images_by_stem("0001")
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7"), masks["0001"])


def test_a_plain_mask_whose_stem_two_photos_share_is_refused(project: Project, tmp_path: Path, write_photo) -> None:
    """masks/look.png went onto images/look.jpg without a word; look.png was not even listed."""
    src = tmp_path / "plain"
    write_photo(src / "images" / "look.jpg", SHAPE)
    write_photo(src / "images" / "look.png", SHAPE, seed=1)
    (src / "masks").mkdir()
    Image.fromarray(np.ones(SHAPE, np.uint8)).save(src / "masks" / "look.png")
    summary = import_source(project, src, "plain", "garment")
    ((where, problem),) = summary.errors
    assert where.endswith("look.png") and "several photos in images/ are named 'look' (look.jpg, look.png)" in problem
    assert summary.masks == 0 and sorted(summary.without_mask) == ["look.jpg", "look.png"]


def test_plain_needs_a_taxonomy(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "plain"
    _plain_source(src, write_photo, n=1)
    (src / "taxonomies.json").unlink()
    with pytest.raises(ValueError, match="taxonomies.json: missing"):
        import_source(project, src, "plain")
    summary = import_source(project, src, "plain", taxonomy="person")
    assert "person" in project.tasks and summary.masks == 0
    assert "outside" in summary.errors[0][1] or "person" in summary.errors[0][1]


def test_plain_export_roundtrip_through_every_format(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "plain"
    masks = _plain_source(src, write_photo)
    import_source(project, src, "plain")
    for fmt in ("plain", "coco"):
        out = tmp_path / f"out-{fmt}"
        assert export_project(project, out, fmt, "parsing7").count == 3
        with Project.create(tmp_path / f"again-{fmt}", tasks=("parsing7",)) as again:
            summary = import_source(again, out, fmt)
            assert summary.errors == [] and summary.masks == 3
            for stem, mask in masks.items():
                (rec,) = again.images_by_stem(stem)
                np.testing.assert_array_equal(again.load_mask(rec.id, "parsing7"), mask)
    labels = json.loads((tmp_path / "out-plain" / "labels.json").read_text())
    assert labels["3"] == "top"
    png = Image.open(tmp_path / "out-plain" / "masks" / "0000.png")
    assert png.mode == "P"
    coco = json.loads((tmp_path / "out-coco" / "annotations.json").read_text())
    assert {c["name"] for c in coco["categories"]} >= {"skin", "dress"}
    assert all(isinstance(a["segmentation"]["counts"], str) for a in coco["annotations"])


def test_cutout_export_and_alpha_import(project: Project, tmp_path: Path, write_photo) -> None:
    rec = project.add_image(write_photo(tmp_path / "look.jpg", SHAPE))
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, 6:18] = 1
    project.save_mask(rec.id, "garment", mask)
    export_project(project, tmp_path / "cut", "cutout")
    rgba = np.asarray(Image.open(tmp_path / "cut" / "look.png"))
    assert rgba.shape == (*SHAPE, 4)
    np.testing.assert_array_equal(rgba[..., 3] > 0, mask > 0)
    kept = rgba[..., 3] > 0  # the photo's colour where the cutout shows it (black elsewhere)
    np.testing.assert_array_equal(rgba[kept, :3], project.load_photo(rec.id).rgb[kept])
    # Re-import onto the same photo (matched by stem): the same mask, so no new version.
    summary = import_source(project, tmp_path / "cut", "alpha")
    assert (summary.added, summary.masks, summary.unchanged) == (0, 0, 1)
    assert len(project.mask_versions(rec.id, "garment")) == 1
    # Into a project without the photo, the cutout is added as its photo and its alpha is the
    # mask: no "photos with transparency ... Import masks > alpha cutouts" advice for what the
    # import just did (a fresh user's README walk)
    with Project.create(tmp_path / "other") as other:
        summary = import_source(other, tmp_path / "cut", "alpha")
        assert (summary.added, summary.masks) == (1, 1) and summary.with_alpha == []
        assert not any("transparency" in line for line in summary.lines())
        (added,) = other.images()
        np.testing.assert_array_equal(other.load_mask(added.id, "garment") > 0, mask > 0)


@pytest.mark.parametrize("edges", ["soft", "hard"])
def test_a_cutout_hides_the_photo_under_its_transparent_pixels(
    project: Project, tmp_path: Path, write_photo, edges: str
) -> None:
    """Found in a hand test: the transparent pixels of an exported cutout kept the whole photo
    (backdrop, mannequin, a model's face) in their colour channels, shown by any viewer that
    drops alpha. They are black now; the pixels the cutout shows, soft edges included, keep the
    photo's colour."""
    rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE, seed=3))
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, 6:18] = 1
    project.save_mask(rec.id, "garment", mask)
    export_project(project, tmp_path / "cut", "cutout", edges=edges)
    rgba = np.asarray(Image.open(tmp_path / "cut" / "look.png"))
    photo, alpha = project.load_photo(rec.id).rgb, rgba[..., 3]
    assert photo[alpha == 0].any(), "the photo has colour where the cutout is transparent"
    assert not rgba[alpha == 0, :3].any()
    np.testing.assert_array_equal(rgba[alpha > 0, :3], photo[alpha > 0])
    assert ((alpha > 0) & (alpha < 255)).any() == (edges == "soft")


def test_alpha_import_refuses_opaque_and_mismatched(
    project: Project, tmp_path: Path, write_photo
) -> None:
    project.add_image(write_photo(tmp_path / "a.jpg", SHAPE))
    src = tmp_path / "cutouts"
    write_photo(src / "opaque.png", SHAPE)
    Image.fromarray(np.zeros((10, 10, 4), np.uint8), "RGBA").save(src / "a.png")
    with pytest.raises(ValueError, match="not binary"):
        import_source(project, src, "alpha", taxonomy="parsing7")
    summary = import_source(project, src, "alpha")
    problems = dict(summary.errors)
    assert "no alpha channel" in problems[str(src / "opaque.png")]
    assert "differs from photo a.jpg" in problems[str(src / "a.png")]


def _coco(tmp_path: Path, write_photo, images: list[dict], anns: list[dict]) -> Path:
    write_photo(tmp_path / "coco" / "images" / "p.jpg", SHAPE)
    cats = [{"id": 1, "name": "garment"}]
    path = tmp_path / "coco" / "instances.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path


def test_coco_polygons_rle_and_malicious_paths(
    project: Project, tmp_path: Path, write_photo
) -> None:
    good = {"id": 1, "file_name": "p.jpg", "width": 32, "height": 24}
    poly = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "segmentation": [[2, 2, 12, 2, 12, 10, 2, 10]],
    }
    rle = mask_utils.encode(
        np.asfortranarray(np.pad(np.ones((4, 4), np.uint8), ((15, 5), (20, 8))))
    )
    rle_ann = {"id": 2, "image_id": 1, "category_id": 1,
               "segmentation": {"size": [24, 32], "counts": rle["counts"].decode()}}  # fmt: skip
    bad = [
        {"id": 2, "file_name": "../../etc/passwd", "width": 32, "height": 24},
        {"id": 3, "file_name": "/etc/hostname", "width": 32, "height": 24},
        {"id": 4, "file_name": "missing.jpg", "width": 32, "height": 24},
        {"id": 5, "file_name": "p.jpg", "width": 99, "height": 24},
    ]
    path = _coco(tmp_path, write_photo, [good, *bad], [poly, rle_ann])
    summary = import_source(project, path, "coco")
    assert summary.masks == 1
    text = " | ".join(problem for _, problem in summary.errors)
    assert "escapes the source folder" in text
    assert "absolute path refused" in text
    assert "no photo named 'missing.jpg'" in text
    assert "the file gives 99x24 pixels, the photo has 32x24" in text
    (rec,) = project.images_by_stem("p")
    mask = project.load_mask(rec.id, "garment")
    assert mask[5, 5] == 1 and mask[16, 21] == 1 and mask[0, 0] == 0 and mask[20, 5] == 0


def test_coco_bad_annotations_and_categories(project: Project, tmp_path: Path, write_photo) -> None:
    img = {"id": 1, "file_name": "p.jpg", "width": 32, "height": 24}
    ann = {"id": 7, "image_id": 1, "category_id": 1, "segmentation": [[1, 2]]}
    path = _coco(tmp_path, write_photo, [img], [ann])
    summary = import_source(project, path, "coco")
    assert "annotation 7" in summary.errors[0][1] and "3 x,y pairs" in summary.errors[0][1]
    data = json.loads(path.read_text())
    data["categories"] = [{"id": 1, "name": "hat"}]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="fit none of the tasks"):
        import_source(project, path, "coco")
    path.write_text("{not json")
    with pytest.raises(ValueError, match="instances.json: not a readable COCO JSON"):
        import_source(project, path, "coco")


def test_a_coco_name_with_a_folder_attaches_only_to_a_photo_from_that_folder(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A file naming shoot2/look.png, whose photo is not shipped, was painted onto the project's
    look.png from shoot1 (another photo of that name): refused by name; shoot1/look.png attaches."""
    write_photo(tmp_path / "shoot1" / "look.png", SHAPE)
    import_source(project, tmp_path / "shoot1", "photos")
    ann = {"id": 1, "image_id": 7, "category_id": 1, "segmentation": [[2, 2, 20, 2, 20, 20]]}
    src = tmp_path / "coco"
    src.mkdir()
    cats = [{"id": 1, "name": "garment"}]
    for folder in ("shoot2", "shoot1"):
        image = {"id": 7, "file_name": f"{folder}/look.png", "width": SHAPE[1], "height": SHAPE[0]}
        (src / "annotations.json").write_text(json.dumps({"images": [image], "annotations": [ann], "categories": cats}))
        summary = import_source(project, src, "coco")
        if folder == "shoot2":
            ((where, problem),) = summary.errors
            assert "shoot2/look.png" in where and "came from another folder" in problem and summary.masks == 0
        else:
            assert (summary.masks, summary.errors) == (1, [])


def test_the_photo_of_a_refused_coco_or_alpha_annotation_is_listed_without_a_mask(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """The README promises it for every format; COCO and alpha imported the photo unlisted."""
    image = {"id": 1, "file_name": "p.jpg", "width": SHAPE[1], "height": SHAPE[0]}
    bad = {"id": 1, "image_id": 1, "category_id": 1.0, "segmentation": [[1, 1, 9, 1, 9, 9]]}
    summary = import_source(project, _coco(tmp_path, write_photo, [image], [bad]), "coco")
    assert len(summary.errors) == 1 and summary.without_mask == ["p.jpg"]
    photo = write_photo(tmp_path / "photos" / "cut.png", SHAPE, seed=3)
    import_source(project, photo.parent, "photos")
    rgba = np.zeros((SHAPE[0] + 1, SHAPE[1], 4), np.uint8)
    rgba[..., 3] = 255
    (tmp_path / "alpha").mkdir()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha" / "cut.png")
    summary = import_source(project, tmp_path / "alpha", "alpha")
    assert "differs from photo cut.png" in summary.errors[0][1] and summary.without_mask == ["cut.png"]


def test_odd_photos_import(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "odd"
    src.mkdir()
    rgb = np.random.default_rng(0).integers(0, 255, (20, 30, 3), np.uint8)
    Image.fromarray(rgb).convert("CMYK").save(src / "cmyk.jpg")
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257).save(src / "sixteen.png")
    rotated = Image.fromarray(rgb)
    exif = rotated.getexif()
    exif[0x0112] = 6  # rotate 90 on display
    rotated.save(src / "rotated.jpg", exif=exif)
    Image.fromarray(rgb).save(src / "näme ☃.png")
    summary = import_source(project, src, "photos")
    assert (summary.added, summary.errors) == (4, [])
    assert summary.lines()[0] == "4 photos added, 0 already present, 0 files refused"  # no mask counts
    (rec,) = project.images_by_stem("rotated")
    assert rec.shape == (30, 20)
    assert project.load_photo(project.images_by_stem("cmyk")[0].id).rgb.shape == (20, 30, 3)


def test_unknown_format_and_missing_folder(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown import format"):
        import_source(project, tmp_path, "tiff")
    with pytest.raises(ValueError, match="unknown export format"):
        export_project(project, tmp_path / "o", "tiff")
    with pytest.raises(ValueError, match="not a folder"):
        import_source(project, tmp_path / "nope", "photos")
    with pytest.raises(ValueError, match="not a plain mask folder"):
        import_source(project, tmp_path, "plain")


def test_huge_photo_is_refused_and_the_rest_imported(
    project: Project, tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "batch"
    write_photo(src / "small.png", (10, 10))
    write_photo(src / "huge.png", (40, 40))
    monkeypatch.setattr("fashion_annotator.core.images.MAX_PIXELS", 500)
    summary = import_source(project, src, "photos")
    assert summary.added == 1
    ((path, problem),) = summary.errors
    assert path.endswith("huge.png") and "decompression bomb" in problem


@pytest.mark.parametrize("fmt", ["plain", "coco", "voc", "labelme"])
def test_an_exif_rotated_photo_is_exported_upright_beside_its_mask(project: Project, tmp_path: Path, fmt: str) -> None:
    ys, xs = np.mgrid[0:30, 0:50]
    stored = np.stack([xs * 5, ys * 8, np.full_like(xs, 90)], axis=-1).astype(np.uint8)  # as written: 50 wide
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: 30 wide, 50 high
    photo = tmp_path / "turned.jpg"
    Image.fromarray(stored).save(photo, quality=98, exif=exif.tobytes())
    record = project.add_image(photo)
    assert record.shape == (50, 30)
    mask = np.zeros(record.shape, np.uint8)
    mask[5:40, 5:20] = 1
    project.save_mask(record.id, "garment", mask)
    summary = export_project(project, tmp_path / fmt, fmt, "garment")
    assert summary.count == 1 and summary.upright == 1
    assert "1 EXIF-rotated photo written upright" in summary.lines()[0]
    (written,) = [p for p in (tmp_path / fmt).rglob("turned*.jpg")]
    with Image.open(written) as im:  # read as EXIF-blind loaders read it
        assert im.size == (30, 50) and im.getexif().get(0x0112, 1) == 1
        pixels = np.asarray(im.convert("RGB"), np.int16)
    upright = np.rot90(stored, k=-1).astype(np.int16)  # orientation 6 = rotate 90 clockwise
    assert np.abs(pixels - upright).mean() < 6


def _three_with_statuses(project: Project, tmp_path: Path, write_photo, statuses: tuple[str, str, str]) -> list:
    """Three imported parsing masks, their images given ``statuses``; their records."""
    src = tmp_path / "plain"
    _plain_source(src, write_photo)
    import_source(project, src, "plain")
    records = project.images()
    for record, status in zip(records, statuses, strict=True):
        project.set_status(record.id, status)
    return records


@pytest.mark.parametrize("fmt", ["plain", "yolo"])
def test_an_export_names_the_unfinished_images_it_wrote(
    project: Project, tmp_path: Path, write_photo, fmt: str
) -> None:
    first, second, third = _three_with_statuses(project, tmp_path, write_photo, ("done", "rejected", "in_progress"))
    summary = export_project(project, tmp_path / f"out-{fmt}", fmt, "parsing7")
    assert summary.count == 3
    assert summary.by_status == {"done": 1, "rejected": 1, "in_progress": 1}
    assert summary.lines()[0].endswith("; not finished: 1 rejected by QA, 1 in progress")
    project.set_status(second.id, "approved")
    project.set_status(third.id, "done")
    assert "not finished" not in export_project(project, tmp_path / f"again-{fmt}", fmt, "parsing7").lines()[0]


def test_an_export_of_finished_images_only_leaves_the_others_out(
    project: Project, tmp_path: Path, write_photo
) -> None:
    first, second, third = _three_with_statuses(project, tmp_path, write_photo, ("done", "rejected", "approved"))
    summary = export_project(project, tmp_path / "out", "coco", "parsing7", statuses=("done", "approved"))
    assert summary.count == 2 and summary.left_out_by_status == 1
    assert "; 1 image of other statuses left out" in summary.lines()[0]
    coco = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert sorted(i["file_name"].split("/")[-1].split(".")[0] for i in coco["images"]) == sorted(
        [Path(first.name).stem, Path(third.name).stem]
    )
    with pytest.raises(ValueError, match="export statuses \\['finished'\\]"):
        export_project(project, tmp_path / "bad", "plain", "parsing7", statuses=("finished",))


@pytest.mark.parametrize("fmt", ["plain", "coco", "labelme", "cvat", "voc", "labelstudio", "yolo"])
def test_a_photo_gone_from_the_first_image_of_a_status_is_listed_and_the_rest_exported(
    project: Project, tmp_path: Path, write_photo, fmt: str
) -> None:
    """The first image of each status used to crash the export (KeyError 'done') and the shape
    formats stopped at the first unreadable photo, leaving a half-written folder."""
    first, second, third = _three_with_statuses(project, tmp_path, write_photo, ("done", "done", "in_progress"))
    first.path.unlink()
    summary = export_project(project, tmp_path / f"out-{fmt}", fmt, "parsing7")
    assert summary.count == 2 and summary.by_status == {"done": 1, "in_progress": 1}
    ((name, problem),) = summary.errors
    assert name == first.name and "does not exist" in problem, problem
    assert summary.lines()[0].endswith("; 1 could not be exported; not finished: 1 in progress")


def test_a_referenced_photo_gone_is_named_once_in_the_export_summary(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Found by a tester: a photo referenced in place (named by its path) and deleted was listed
    as "/.../0003.jpg: /.../0003.jpg: file does not exist"."""
    photo = write_photo(tmp_path / "shoot" / "0003.jpg", SHAPE, seed=3)
    rec = project.add_image(photo, copy=False)
    project.save_mask(rec.id, "parsing7", _parsing_mask(3))
    photo.unlink()
    summary = export_project(project, tmp_path / "out", "plain", "parsing7")
    assert summary.lines()[1:] == [f"  {rec.name}: file does not exist"]


def test_a_photo_import_names_duplicates_and_photos_with_transparency(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A second file of the same photo was only counted ("1 already present") and a cut-out's
    transparency went unmentioned."""
    src = tmp_path / "shoot"
    first = write_photo(src / "a.png", seed=1)
    (src / "b copy.png").write_bytes(first.read_bytes())
    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[4:20, 8:24] = 200
    Image.fromarray(rgba, "RGBA").save(src / "cut.png")
    summary = import_source(project, src, "photos")
    assert summary.added == 2 and summary.existing == 1
    assert summary.duplicates == [(str(src / "b copy.png"), "a.png")]
    assert summary.with_alpha == [str(src / "cut.png")]
    text = "\n".join(summary.lines())
    assert f"  {src / 'b copy.png'}: the same photo as a.png" in text
    assert "1 photo with transparency, shown as stored" in text and summary.notable
    again = import_source(project, src, "photos")  # the same files again: nothing to say
    assert again.existing == 3 and again.duplicates == [(str(src / "b copy.png"), "a.png")]
    assert again.with_alpha == []


def test_an_export_that_did_not_finish_keeps_its_mark(project: Project, tmp_path: Path, write_photo) -> None:
    """A killed export left a folder that looked whole."""
    _three_with_statuses(project, tmp_path, write_photo, ("done", "done", "done"))

    def killed(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt  # the program stops mid-export

    with pytest.raises(KeyboardInterrupt):
        export_project(project, tmp_path / "cut", "plain", "parsing7", progress=killed)
    assert (tmp_path / "cut" / "EXPORT_UNFINISHED.txt").is_file()
    with pytest.raises(ValueError, match="holds an export that did not finish"):
        export_project(project, tmp_path / "cut", "plain", "parsing7")
    with pytest.raises(ValueError, match="an export that did not finish"):  # nor taken for a whole one
        import_source(project, tmp_path / "cut", "plain", "parsing7")
    export_project(project, tmp_path / "whole", "plain", "parsing7")
    assert not (tmp_path / "whole" / "EXPORT_UNFINISHED.txt").exists()


def test_an_image_exported_under_another_name_is_named(project: Project, tmp_path: Path, write_photo) -> None:
    """photo.png and photo.bmp share a stem: each is written as photo-ID (a format naming
    photos by stem could not tell them apart on import), which the summary says."""
    first = project.add_image(write_photo(tmp_path / "photo.png", seed=1))
    second = project.add_image(write_photo(tmp_path / "photo.bmp", seed=2))
    for record in (first, second):
        project.save_mask(record.id, "garment", np.ones(record.shape, np.uint8))
    summary = export_project(project, tmp_path / "out", "plain", "garment")
    renamed = [("photo.png", f"photo-{first.id}"), ("photo.bmp", f"photo-{second.id}")]
    assert summary.count == 2 and summary.renamed == renamed
    assert summary.lines()[-3:] == ["2 images written under another name (another image has or shares theirs):",
                                    f"  photo.png -> photo-{first.id}", f"  photo.bmp -> photo-{second.id}"]  # fmt: skip
    assert (tmp_path / "out" / "masks" / f"photo-{second.id}.png").is_file()


def test_a_plain_import_names_the_tasks_it_leaves_out(project: Project, ccp_dir: Path) -> None:
    """CCP defines person and parsing18 too; a project of garment and parsing7 imported those
    two without a word about the others."""
    summary = import_source(project, ccp_dir, "plain")
    assert summary.masks > 0
    (left,) = [why for path, why in summary.skipped if path.endswith("taxonomies.json")]
    assert left == "its person, parsing18 masks (not tasks of this project; --taxonomy NAME adds one)"
    assert "person" not in project.tasks


def test_export_stems_never_give_two_images_one_file() -> None:
    """Found in a review: ``photo.jpg``, ``photo-3.jpg`` and ``photo.png`` (id 3) exported two
    images to ``photo-3.png`` (one annotation silently gone); ``Look`` and ``look`` are one file
    on Windows and macOS."""
    from types import SimpleNamespace

    from fashion_annotator.dataset.formats.names import export_stems

    names = ["photo.jpg", "photo-3.jpg", "photo.png", "Look.jpg", "look.png", "photo-3.tif"]
    records = [SimpleNamespace(id=i, name=n, stem=Path(n).stem) for i, n in enumerate(names, 1)]
    stems = export_stems(records)
    assert len({s.casefold() for s in stems.values()}) == len(names)
    assert stems[4] == "Look" and stems[5] == "look-5"
    # another image has theirs, or shares it: each gets its id, never another image's own stem,
    # never one that reads as another's (``photo-3-2``: image 3's photo, or image 2's photo-3)
    assert stems[1] == "photo-1" and stems[3] == "photo-3-3" and stems[2] == "photo-3-2-2"


def test_coco_polygons_traced_in_each_components_box_equal_the_whole_frames() -> None:
    """Each component is traced in its own box (speed), at the same coordinates as on the frame."""
    import cv2

    from fashion_annotator.core.polygons import keyhole, mask_to_polygons
    from fashion_annotator.dataset.formats.coco import _instances

    rng = np.random.default_rng(0)
    mask = cv2.medianBlur((rng.random((90, 60)) < 0.5).astype(np.uint8) * 255, 5) // 255
    mask = mask * rng.integers(1, 4, mask.shape).astype(np.uint8)
    mask[0:10, 0:8] = 2  # components on the frame's edges
    mask[-6:, -9:] = 3
    for annotation in _instances(mask, 1, 1, "polygon", 0.7):
        binary = (mask == annotation["category_id"]).astype(np.uint8)
        _, components, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        (k,) = [k for k in range(1, len(stats)) if stats[k, :4].tolist() == annotation["bbox"]
                and stats[k, 4] == annotation["area"]]  # fmt: skip
        component = components == k
        whole = [keyhole(p).ravel().round(3).tolist() for p in mask_to_polygons(component, 0.7)]
        assert annotation["segmentation"] == whole


def test_a_photo_from_a_deep_folder_still_attaches_by_its_folder(tmp_path: Path, write_photo) -> None:
    """The stored source of a photo from a deep folder is shortened to 200 bytes (its start
    kept): the folder check found no 'shoot2' in it and refused the photo's own annotation."""
    from fashion_annotator.dataset.formats.names import attach_target

    deep = tmp_path.joinpath(*[f"client-archive-{i:02d}" for i in range(12)], "shoot2")
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        record = project.add_image(write_photo(deep / "look.jpg"))
        assert "shoot2" not in record.source
        assert attach_target(project, "look", Path("annotations.xml"), folder="shoot2").id == record.id
        other = project.add_image(write_photo(tmp_path / "shoot1" / "pose.jpg", seed=3))
        with pytest.raises(ValueError, match="came from another folder"):
            attach_target(project, other.stem, Path("annotations.xml"), folder="shoot2")
