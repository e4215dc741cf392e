"""Hostile annotation-tool files (Pascal VOC, labelme, CVAT, Label Studio): masks too large to
decode, lossy or rotated mask data, boxes off the image and run-length codes that ask for more
memory than the photo has pixels. Each bad file is listed with its reason; the others import."""

from __future__ import annotations

import base64
import io
import json
import resource
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.formats.labelstudio import encode_ls_rle
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

H, W = 24, 32
EXIF_ROTATE_270 = 6


def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring ``width x height`` grey pixels (the data itself is tiny)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))  # fmt: skip


def _png_bytes(array: np.ndarray, **options: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", **options)
    return buf.getvalue()


def _box_mask() -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    mask[4:14, 6:26] = 1
    return mask


def _voc(src: Path, write_photo) -> Path:
    write_photo(src / "JPEGImages" / "good.png", (H, W), seed=1)
    write_photo(src / "JPEGImages" / "bad.png", (H, W), seed=2)
    (src / "SegmentationClass").mkdir(parents=True)
    (src / "SegmentationClass" / "good.png").write_bytes(_png_bytes(_box_mask()))
    (src / "labelmap.txt").write_text("background:0,0,0::\ngarment:128,0,0::\n")
    return src / "SegmentationClass" / "bad.png"


@pytest.mark.parametrize(
    ("case", "expected"),
    [("20000x20000 header", "decompression bomb refused"), ("JPEG data", "JPEG (lossy)")],
)
def test_voc_masks_go_through_the_checked_loader(
    project: Project, tmp_path: Path, write_photo, ledger, case: str, expected: str
) -> None:
    ledger.try_("voc", case)
    bad = _voc(tmp_path / "voc", write_photo)
    if case == "JPEG data":
        Image.fromarray(_box_mask() * 1, "L").save(bad, format="JPEG", quality=50)
    else:
        bad.write_bytes(_png_header(20_000, 20_000))
    summary = import_source(project, tmp_path / "voc", "voc", "garment")
    ((path, problem),) = summary.errors
    assert path == str(bad) and expected in problem, problem
    assert summary.masks == 1
    (good,) = project.images_by_stem("good")
    np.testing.assert_array_equal(project.load_mask(good.id, "garment"), _box_mask())
    (refused,) = project.images_by_stem("bad")
    assert project.load_mask(refused.id, "garment") is None
    ledger.handled("voc", case)


def test_voc_mask_with_exif_orientation_turns_with_its_photo(
    project: Project, tmp_path: Path, ledger
) -> None:
    ledger.try_("voc", "EXIF-rotated photo and mask")
    src = tmp_path / "voc"
    (src / "JPEGImages").mkdir(parents=True)
    (src / "SegmentationClass").mkdir()
    (src / "labelmap.txt").write_text("background:0,0,0::\ngarment:128,0,0::\n")
    exif = Image.Exif()
    exif[0x0112] = EXIF_ROTATE_270
    rgb = np.random.default_rng(0).integers(0, 256, (H, W, 3), np.uint8)
    Image.fromarray(rgb).save(src / "JPEGImages" / "look.png", exif=exif.tobytes())
    (src / "SegmentationClass" / "look.png").write_bytes(_png_bytes(_box_mask(), exif=exif.tobytes()))
    summary = import_source(project, src, "voc", "garment")
    assert (summary.errors, summary.masks) == ([], 1)
    (record,) = project.images_by_stem("look")
    assert record.shape == (W, H)
    np.testing.assert_array_equal(project.load_mask(record.id, "garment"), np.rot90(_box_mask(), -1))
    ledger.handled("voc", "EXIF-rotated photo and mask")


def _labelme(src: Path, write_photo, stem: str, shapes: list[dict]) -> Path:
    write_photo(src / f"{stem}.png", (H, W), seed=sum(stem.encode()))
    path = src / f"{stem}.json"
    doc = {"shapes": shapes, "imagePath": f"{stem}.png", "imageHeight": H, "imageWidth": W}
    path.write_text(json.dumps(doc))
    return path


def _mask_shape(png: bytes, corner: list[float]) -> dict:
    return {"label": "garment", "shape_type": "mask", "points": [corner, [corner[0] + 9, corner[1] + 9]],
            "mask": base64.b64encode(png).decode("ascii")}  # fmt: skip


def test_labelme_mask_shapes_are_decoded_with_the_size_limit(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    ledger.try_("labelme", "mask shape with a 20000x20000 PNG")
    src = tmp_path / "labelme"
    bomb = _labelme(src, write_photo, "bomb", [_mask_shape(_png_header(20_000, 20_000), [0, 0])])
    _labelme(src, write_photo, "good", [_mask_shape(_png_bytes(np.full((10, 10), 255, np.uint8)), [2, 3])])
    summary = import_source(project, src, "labelme", "garment")
    ((path, problem),) = summary.errors
    assert path == str(bomb) and "decompression bomb refused" in problem, problem
    (good,) = project.images_by_stem("good")
    expected = np.zeros((H, W), np.uint8)
    expected[3:13, 2:12] = 1
    np.testing.assert_array_equal(project.load_mask(good.id, "garment"), expected)
    ledger.handled("labelme", "mask shape with a 20000x20000 PNG")


def test_labelme_mask_shape_partly_off_the_photo_is_cut_to_it(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    ledger.try_("labelme", "mask shape starting left of and above the photo")
    src = tmp_path / "labelme"
    box = np.zeros((10, 10), np.uint8)
    box[5:, 5:] = 255
    _labelme(src, write_photo, "look", [_mask_shape(_png_bytes(box), [-5, -5])])
    summary = import_source(project, src, "labelme", "garment")
    assert (summary.errors, summary.masks) == ([], 1)
    (record,) = project.images_by_stem("look")
    expected = np.zeros((H, W), np.uint8)
    expected[:5, :5] = 1
    np.testing.assert_array_equal(project.load_mask(record.id, "garment"), expected)
    ledger.handled("labelme", "mask shape starting left of and above the photo")


@pytest.mark.parametrize(
    ("case", "attrs", "expected"),
    [
        ("box of 2^34 pixels", 'rle="0, 17179869184" left="0" top="0" width="131072" height="131072"',
         "leaves the image"),
        ("box left of the photo", 'rle="0, 100" left="-2" top="-2" width="10" height="10"',
         "leaves the image"),
        ("counts wrapping past 2^64", 'rle="4611686018427387904, 4611686018427387904, '
         '4611686018427387904, 4611686018427387904" left="0" top="0" width="0" height="0"',
         "mask rle covers"),
    ],
)  # fmt: skip
def test_cvat_mask_boxes_are_checked_before_they_are_expanded(
    project: Project, tmp_path: Path, write_photo, ledger, case: str, attrs: str, expected: str
) -> None:
    ledger.try_("cvat", case)
    src = _cvat(tmp_path / "cvat", write_photo, "bad.png", f'<mask label="garment" {attrs}/>', "good.png")
    summary = import_source(project, src, "cvat", "garment")
    ((path, problem),) = summary.errors
    assert "'bad.png'" in path and expected in problem, problem
    (good,) = project.images_by_stem("good")
    np.testing.assert_array_equal(project.load_mask(good.id, "garment"), _box_mask())
    ledger.handled("cvat", case)


def _cvat(src: Path, write_photo, bad: str, shape: str, good: str) -> Path:
    """A CVAT folder: photo ``bad`` with ``shape``, photo ``good`` with the box of :func:`_box_mask`."""
    write_photo(src / "images" / bad, (H, W), seed=3)
    write_photo(src / "images" / good, (H, W), seed=1)
    (src / "annotations.xml").write_text(
        f'<annotations><image name="{bad}" width="{W}" height="{H}">{shape}</image><image '
        f'name="{good}" width="{W}" height="{H}"><box label="garment" xtl="6" ytl="4" xbr="26" '
        'ybr="14"/></image></annotations>'
    )
    return src


def _ls_runs(words: int) -> list[int]:
    """A valid Label Studio brush RLE of ``words`` words of 255, in runs of 65536 (27 bits each)."""
    bits = f"{words:032b}" + f"{7:05b}" + "".join(f"{s - 1:04b}" for s in (3, 4, 8, 16))
    bits += ("1" + "11" + f"{65535:016b}" + f"{255:08b}") * -(-words // 65536)
    bits += "0" * (-len(bits) % 8)
    return list(np.packbits(np.frombuffer(bits.encode(), np.uint8) - ord("0")).tolist())


def _ls_wide_word() -> list[int]:
    """A brush RLE of 16-bit words whose one word is 300: no brush canvas holds it."""
    bits = f"{W * H * 4:032b}" + f"{15:05b}" + "".join(f"{s - 1:04b}" for s in (3, 4, 8, 16))
    bits += "0" + "00" + "000" + f"{300:016b}"
    bits += "0" * (-len(bits) % 8)
    return list(np.packbits(np.frombuffer(bits.encode(), np.uint8) - ord("0")).tolist())


def _ls_task(number: int, name: str, rle: object) -> dict:
    result = {"type": "brushlabels", "original_width": W, "original_height": H,
              "value": {"format": "rle", "rle": rle, "brushlabels": ["garment"]}}
    return {"id": number, "data": {"image": f"/data/upload/1/{name}"},
            "annotations": [{"result": [result]}]}  # fmt: skip


@pytest.mark.parametrize(
    ("case", "rle", "expected"),
    [
        ("runs filling 2^31 words", _ls_runs(2**31), "2147483648 values"),
        ("values above a byte", [256, 1000], "not a list of bytes"),
        ("rle not a list", {"a": 1}, "not a list of bytes"),
        ("a word above a byte", _ls_wide_word(), "a value of 300 in its 16-bit words"),
    ],
)
def test_labelstudio_brush_rle_is_checked_before_it_is_expanded(
    project: Project, tmp_path: Path, write_photo, ledger, case: str, rle: object, expected: str
) -> None:
    ledger.try_("labelstudio", case)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    src = tmp_path / "ls"
    write_photo(src / "bad.png", (H, W), seed=1)
    write_photo(src / "good.png", (H, W), seed=2)
    words = np.repeat((_box_mask() * 255)[..., None], 4, axis=2)
    tasks = [_ls_task(1, "bad.png", rle), _ls_task(2, "good.png", encode_ls_rle(words))]
    (src / "tasks.json").write_text(json.dumps(tasks))
    summary = import_source(project, src, "labelstudio", "garment")
    ((path, problem),) = summary.errors
    assert "task 1" in path and expected in problem, problem
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 512 * 1024  # KiB
    (good,) = project.images_by_stem("good")
    np.testing.assert_array_equal(project.load_mask(good.id, "garment"), _box_mask())
    ledger.handled("labelstudio", case)


def test_a_refused_annotation_still_imports_its_photo_in_every_shape_format(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """One rule for YOLO, CVAT and the other shape formats (as for plain and VOC masks): the photo
    comes in without the refused mask and is listed as such; the file's problem is named."""
    yolo = tmp_path / "yolo"
    write_photo(yolo / "images" / "bent.png", (H, W), seed=1)
    write_photo(yolo / "images" / "fine.png", (H, W), seed=2)
    (yolo / "labels").mkdir(parents=True)
    (yolo / "labels" / "bent.txt").write_text("0 0.1 0.1 0.9 0.1 oops\n")
    (yolo / "labels" / "fine.txt").write_text("0 0.1 0.1 0.9 0.1 0.9 0.9\n")
    (yolo / "data.yaml").write_text("names: [garment]\n")
    summary = import_source(project, yolo, "yolo", "garment")
    ((path, problem),) = summary.errors
    assert path.endswith("bent.txt") and "line 1" in problem, problem
    assert summary.added == 2 and summary.masks == 1 and summary.without_mask == ["bent.png"]
    assert "1 photo without a mask (none from this import, none saved before):" in summary.lines()  # was "1 photos"

    cvat = _cvat(tmp_path / "cvat", write_photo, "odd.png", '<polygon label="garment" points="1,1;x,2;3,3"/>',
                 "bent.png")  # fmt: skip
    xml = (cvat / "annotations.xml").read_text()
    summary = import_source(project, cvat, "cvat", "garment")
    ((path, problem),) = summary.errors
    assert "'odd.png'" in path and problem, problem
    assert summary.added == 1 and summary.existing == 1 and summary.without_mask == ["odd.png"]
    (odd,) = project.images_by_stem("odd")
    assert project.mask_versions(odd.id, "garment") == []
    (bent,) = project.images_by_stem("bent")  # the YOLO refusal's photo got its mask from CVAT
    np.testing.assert_array_equal(project.load_mask(bent.id, "garment"), _box_mask())

    (cvat / "annotations.xml").write_text(xml.replace('"odd.png"', '"bent.png"', 1).replace(
        '<image name="bent.png" width', '<image name="other.png" width', 1))  # fmt: skip
    summary = import_source(project, cvat, "cvat", "garment")
    assert summary.errors and summary.without_mask == []  # bent.png has its mask: not "without"


HOSTILE_NAMES = ["look", "look#2", "pct x", "pct%20x", "?star", "q?a=1&d=x", "plus+one", "tab\there",
                 "new\nline", "ünï cödé"]  # fmt: skip


def test_labelstudio_round_trip_keeps_every_mask_on_its_photo_whatever_the_names(
    tmp_path: Path, write_photo, ledger
) -> None:
    """data.image was written unescaped: on import '#' began a fragment (look#2 -> look), '%20'
    was decoded, '?' began a query and a newline vanished, so masks landed on other photos."""
    photos = tmp_path / "photos"
    with Project.create(tmp_path / "a", user="alice") as source:
        want = {}
        for k, stem in enumerate(HOSTILE_NAMES):
            ledger.try_("labelstudio names", stem)
            record = source.add_image(write_photo(photos / f"{stem}.png", (H, W), seed=k))
            mask = np.zeros((H, W), np.uint8)
            mask[k : k + 3, 2 * k : 2 * k + 5] = 1
            source.save_mask(record.id, "garment", mask, status="done")
            want[stem] = mask
        export_project(source, tmp_path / "ls", "labelstudio", "garment")
    for task in json.loads((tmp_path / "ls" / "tasks.json").read_text()):
        assert task["data"]["image"].startswith("/data/local-files/?d=images/")
        assert not set(task["data"]["image"][len("/data/local-files/?d="):]) & set("#? \t\n&+")
    with Project.create(tmp_path / "b", user="alice") as target:
        for stem in HOSTILE_NAMES:
            target.add_image(photos / f"{stem}.png")
        summary = import_source(target, tmp_path / "ls", "labelstudio", "garment")
        assert not summary.errors and summary.masks == len(HOSTILE_NAMES), summary.lines()
        for stem, mask in want.items():
            (record,) = target.images_by_stem(stem)
            np.testing.assert_array_equal(target.load_mask(record.id, "garment"), mask, err_msg=stem)
            ledger.handled("labelstudio names", stem)


def test_labelstudio_import_reads_the_unescaped_paths_of_older_exports(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Exports before the escaping wrote data.image as images/NAME as it is: such a file names
    the photo beside it, a '#' or '%20' in it included."""
    src = tmp_path / "ls"
    words = np.repeat((_box_mask() * 255)[..., None], 4, axis=2)
    result = {"type": "brushlabels", "original_width": W, "original_height": H,
              "value": {"format": "rle", "rle": encode_ls_rle(words), "brushlabels": ["garment"]}}  # fmt: skip
    tasks = []
    for k, stem in enumerate(["look#2", "pct%20x", "look"]):
        write_photo(src / "images" / f"{stem}.png", (H, W), seed=k)
        tasks.append({"id": k, "data": {"image": f"images/{stem}.png"}, "annotations": [{"result": [result]}]})
    (src / "tasks.json").write_text(json.dumps(tasks))
    summary = import_source(project, src, "labelstudio", "garment")
    assert not summary.errors and summary.masks == 3, summary.lines()
    assert sorted(r.stem for r in project.images()) == ["look", "look#2", "pct%20x"]
