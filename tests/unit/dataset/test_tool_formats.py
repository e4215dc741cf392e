"""labelme, CVAT, VOC, Label Studio and YOLO: files written the way each tool writes them."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.formats.cvat import decode_cvat_rle, encode_cvat_rle
from fashion_annotator.dataset.formats.labelstudio import decode_ls_rle, encode_ls_rle
from fashion_annotator.dataset.formats.voc import voc_colormap
from fashion_annotator.dataset.store import Project

H, W = 24, 32
PARSING7 = ("background", "skin", "hair", "top", "shoes", "bottom", "dress")


def _mask_of(project: Project, stem: str, task: str = "parsing7") -> np.ndarray:
    (record,) = project.images_by_stem(stem)
    mask = project.load_mask(record.id, task)
    assert mask is not None
    return mask


def _png_b64(array: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def test_labelme_file_as_labelme_writes_it(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "labelme"
    photo = write_photo(src / "look.png", (H, W))
    box = np.zeros((4, 6), np.uint8)
    box[1:3, 2:5] = 1
    doc = {
        "version": "5.4.1",
        "flags": {},
        "shapes": [
            {"label": "top", "points": [[2, 2], [30, 2], [30, 20], [2, 20]], "group_id": None,
             "description": "", "shape_type": "polygon", "flags": {}, "mask": None},
            {"label": "shoes", "points": [[4.0, 4.0], [8.0, 10.0]], "group_id": None,
             "description": "", "shape_type": "rectangle", "flags": {}, "mask": None},
            {"label": "hair", "points": [[20.0, 10.0], [23.0, 10.0]], "group_id": None,
             "description": "", "shape_type": "circle", "flags": {}, "mask": None},
            {"label": "skin", "points": [[0, 0], [31, 23]], "group_id": None,
             "description": "", "shape_type": "line", "flags": {}, "mask": None},
            {"label": "dress", "points": [[10.0, 14.0], [15.0, 17.0]], "group_id": None,
             "description": "", "shape_type": "mask", "flags": {}, "mask": _png_b64(box * 255)},
        ],
        "imagePath": "..\\photos\\look.png",
        "imageData": base64.b64encode(photo.read_bytes()).decode("ascii"),
        "imageHeight": H,
        "imageWidth": W,
    }  # fmt: skip
    (src / "look.json").write_text(json.dumps(doc, indent=2))
    summary = import_source(project, src, "labelme")
    assert (summary.added, summary.masks, summary.errors) == (1, 1, [])
    mask = _mask_of(project, "look")
    assert mask[0, 0] == 0 and mask[3, 3] == 3 and mask[19, 29] == 3 and mask[20, 29] == 0
    assert (mask[4:10, 4:8] == 4).all() and mask[10, 5] == 3  # the rectangle, over the polygon
    assert mask[10, 20] == 2 and mask[10, 23] == 3  # the circle of radius 3 around (20, 10)
    assert (mask[15:17, 12:15] == 6).all() and mask[14, 12] == 3  # the bitmap in its box


def test_labelme_refuses_unknown_labels_and_bad_files(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "labelme"
    write_photo(src / "a.png", (H, W))
    write_photo(src / "b.png", (H, W), seed=1)
    shape = {"label": "top", "points": [[1, 1], [5, 1], [5, 5]], "shape_type": "polygon"}
    (src / "a.json").write_text(json.dumps({"shapes": [shape], "imagePath": "a.png",
                                            "imageHeight": H + 1, "imageWidth": W}))  # fmt: skip
    (src / "b.json").write_text("{not json")
    summary = import_source(project, src, "labelme")
    problems = dict(summary.errors)
    assert "size 32x25 (WxH) differs from the photo's 32x24" in problems[str(src / "a.json")]
    assert "Expecting property name" in problems[str(src / "b.json")]
    (src / "b.json").write_text(json.dumps({"shapes": [{**shape, "label": "cape"}]}))
    with pytest.raises(ValueError, match=r"labels \['cape', 'top'\] fit none of the tasks"):
        import_source(project, src, "labelme")


CVAT_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id>
      <name>looks</name>
      <size>1</size>
      <mode>annotation</mode>
      <labels>
        <label><name>top</name><color>#e6194b</color><type>any</type><attributes/></label>
        <label><name>skin</name><color>#ffc396</color><type>any</type><attributes/></label>
      </labels>
    </task>
    <dumped>2024-05-02 10:11:12.123456+00:00</dumped>
  </meta>
  <image id="0" name="batch1/look.png" width="32" height="24">
    <polygon label="top" source="manual" occluded="0" points="20.00,2.00;30.00,2.00;30.00,12.00;20.00,12.00" z_order="2">
    </polygon>
    <box label="skin" source="manual" occluded="0" xtl="18.00" ytl="0.00" xbr="32.00" ybr="14.00" z_order="1">
    </box>
    <mask label="hair" source="semi-auto" occluded="0" rle="1, 2, 1, 2" left="3" top="4" width="3" height="2" z_order="0">
    </mask>
    <polyline label="top" source="manual" occluded="0" points="0.00,0.00;5.00,5.00" z_order="3">
    </polyline>
  </image>
</annotations>
"""


def test_cvat_xml_as_cvat_writes_it(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "cvat"
    write_photo(src / "images" / "batch1" / "look.png", (H, W))
    (src / "annotations.xml").write_text(CVAT_XML)
    summary = import_source(project, src, "cvat")
    assert (summary.masks, summary.errors) == (1, [])
    mask = _mask_of(project, "look")
    # z_order: the polygon (2) lies over the box (1), which lies over the mask (0)
    assert mask[5, 25] == 3 and mask[1, 19] == 1 and mask[13, 31] == 1 and mask[14, 31] == 0
    # rle "1, 2, 1, 2" over a 3x2 box at (3, 4): background first, row-major
    np.testing.assert_array_equal(mask[4:6, 3:6], [[0, 2, 2], [0, 2, 2]])
    assert (mask != 0).sum() == 4 + 14 * 14


def _cvat_xml(images: dict[str, str]) -> str:
    """A CVAT for images 1.1 file: one ``<image>`` (H x W) per name, holding the given shapes."""
    nodes = "".join(
        f'<image id="{i}" name="{name}" width="{W}" height="{H}">{shapes}</image>'
        for i, (name, shapes) in enumerate(images.items())
    )
    return f'<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>{nodes}</annotations>'


def test_cvat_ellipses_and_rotated_boxes_are_painted_and_other_shapes_named(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "cvat"
    for k, stem in enumerate(("ellipse", "box", "lines")):
        write_photo(src / "images" / f"{stem}.png", (H, W), seed=k)
    (src / "annotations.xml").write_text(_cvat_xml({
        "ellipse.png": '<ellipse label="top" cx="16" cy="12" rx="8" ry="4" rotation="90" z_order="0"/>',
        "box.png": '<box label="top" xtl="10" ytl="6" xbr="22" ybr="18" rotation="45" z_order="0"/>',
        "lines.png": '<polyline label="top" points="1,1;9,9" z_order="0"/><points label="top" points="3,3"/>',
    }))  # fmt: skip
    summary = import_source(project, src, "cvat")
    assert (summary.masks, summary.errors) == (2, [])
    ellipse = _mask_of(project, "ellipse")
    # turned 90 degrees: 8 px up and down, 4 px left and right of (16, 12)
    assert ellipse[5, 16] == 3 and ellipse[18, 16] == 3 and ellipse[12, 21] == 0
    assert 90 <= (ellipse == 3).sum() <= 110  # pi * 8 * 4
    box = _mask_of(project, "box")
    # a 12 px square turned 45 degrees about its centre: a diamond reaching 8.5 px from (16, 12)
    assert box[12, 23] == 3 and box[12, 8] == 3 and box[6, 10] == 0 and box[17, 21] == 0
    (lines,) = project.images_by_stem("lines")
    assert project.load_mask(lines.id, "parsing7") is None and summary.without_mask == ["lines.png"]
    ((where, note),) = summary.skipped
    assert "lines.png" in where and "1 <points>, 1 <polyline> left out" in note


def test_cvat_frames_without_shapes_are_imported_without_a_mask(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """CVAT lists every frame of a task: a frame nobody annotated is no empty ground truth
    (it would be marked done and refuse the real import later)."""
    src = tmp_path / "cvat"
    write_photo(src / "images" / "a.png", (H, W))
    write_photo(src / "images" / "b.png", (H, W), seed=1)
    box = '<box label="top" xtl="2" ytl="2" xbr="12" ybr="12" z_order="0"/>'
    (src / "annotations.xml").write_text(_cvat_xml({"a.png": box, "b.png": "", "gone.png": ""}))
    summary = import_source(project, src, "cvat")
    assert (summary.added, summary.masks, summary.errors) == (2, 1, [])
    assert summary.without_mask == ["b.png"]
    assert len(summary.skipped) == 1 and "gone.png" in summary.skipped[0][0]
    (b,) = project.images_by_stem("b")
    assert b.status == "new" and project.load_mask(b.id, "parsing7") is None
    (src / "annotations.xml").write_text(_cvat_xml({"b.png": box}))
    later = import_source(project, src, "cvat")
    assert (later.masks, later.errors) == (1, []), "the real annotation is no conflict"


def test_cvat_rle_codec() -> None:
    box = np.array([[1, 1, 0], [0, 1, 1]], bool)
    assert encode_cvat_rle(box) == [0, 2, 2, 2]
    np.testing.assert_array_equal(decode_cvat_rle([0, 2, 2, 2], 3, 2), box)
    with pytest.raises(ValueError, match="covers 5 pixels, its box 3x2 has 6"):
        decode_cvat_rle([1, 4], 3, 2)


def _voc_png(ids: np.ndarray, palette: np.ndarray) -> Image.Image:
    image = Image.fromarray(ids.astype(np.uint8), "L")
    image.putpalette(palette.ravel().tolist())
    return image


def test_voc_folder_as_datumaro_writes_it(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "voc"
    write_photo(src / "JPEGImages" / "look.png", (H, W))
    write_photo(src / "JPEGImages" / "rgb.png", (H, W), seed=2)
    (src / "ImageSets" / "Segmentation").mkdir(parents=True)
    (src / "ImageSets" / "Segmentation" / "default.txt").write_text("look\nrgb\n")
    (src / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ntop:128,0,0::\nskin:0,128,0::\n"
    )
    ids = np.zeros((H, W), np.uint8)
    ids[2:10, 2:10] = 1
    ids[12:20, 12:20] = 2
    ids[10, :] = 255  # void
    (src / "SegmentationClass").mkdir()
    _voc_png(ids, voc_colormap()).save(src / "SegmentationClass" / "look.png")
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[0:4, 0:4] = (0, 128, 0)
    rgb[5, 5] = (224, 224, 192)
    Image.fromarray(rgb).save(src / "SegmentationClass" / "rgb.png")
    summary = import_source(project, src, "voc")
    assert (summary.masks, summary.errors) == (2, [])
    mask = _mask_of(project, "look")
    assert (mask[2:10, 2:10] == PARSING7.index("top")).all()
    assert (mask[12:20, 12:20] == PARSING7.index("skin")).all()
    assert (mask[10] == 0).all() and (mask != 0).sum() == 128
    rgb_mask = _mask_of(project, "rgb")
    assert (rgb_mask[0:4, 0:4] == 1).all() and (rgb_mask != 0).sum() == 16


def test_voc_refuses_colours_outside_the_labelmap(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "voc"
    write_photo(src / "JPEGImages" / "look.png", (H, W))
    (src / "labelmap.txt").write_text("background:0,0,0::\ntop:128,0,0::\n")
    (src / "SegmentationClass").mkdir()
    _voc_png(np.full((H, W), 7), voc_colormap()).save(src / "SegmentationClass" / "look.png")
    summary = import_source(project, src, "voc")
    ((where, problem),) = summary.errors
    assert where.endswith("look.png") and "(128, 128, 128) (768 pixels)" in problem


def _ls_literal_rle(words: np.ndarray) -> list[int]:
    """Label Studio's RLE written with literal chunks only (rle-pack's other code path)."""
    bits = f"{words.size:032b}" + f"{7:05b}" + "".join(f"{s - 1:04b}" for s in (3, 4, 8, 16))
    for start in range(0, words.size, 8):
        chunk = words[start : start + 8]
        bits += "0" + "00" + f"{len(chunk) - 1:03b}" + "".join(f"{int(v):08b}" for v in chunk)
    bits += "0" * (-len(bits) % 8)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]


def test_labelstudio_export_as_label_studio_writes_it(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "ls"
    write_photo(src / "look.png", (H, W))
    brush = np.zeros((H, W, 4), np.uint8)
    brush[3:9, 4:12] = (255, 0, 0, 255)
    brush[9, 4:12, 3] = 90  # a soft brush edge below the threshold
    common = {"original_width": W, "original_height": H, "image_rotation": 0, "origin": "manual",
              "to_name": "image"}  # fmt: skip
    results = [
        {**common, "id": "Xy1", "from_name": "tag", "type": "brushlabels",
         "value": {"format": "rle", "rle": _ls_literal_rle(brush.ravel()),
                   "brushlabels": ["top"]}},
        {**common, "id": "Xy2", "from_name": "label", "type": "polygonlabels",
         "value": {"points": [[50.0, 50.0], [100.0, 50.0], [100.0, 100.0], [50.0, 100.0]],
                   "closed": True, "polygonlabels": ["skin"]}},
    ]  # fmt: skip
    tasks = [
        {
            "id": 12,
            "annotations": [
                {"id": 3, "completed_by": 1, "result": results, "was_cancelled": False,
                 "ground_truth": False, "created_at": "2024-05-02T10:00:00.000Z"},
                {"id": 4, "completed_by": 2, "result": [], "was_cancelled": True},
            ],
            "predictions": [],
            "file_upload": "1f2e3d4c-look.png",
            "data": {"image": "/data/upload/3/1f2e3d4c-look.png"},
            "meta": {},
        }
    ]  # fmt: skip
    (src / "export.json").write_text(json.dumps(tasks))
    summary = import_source(project, src / "export.json", "labelstudio")
    assert (summary.masks, summary.errors) == (1, [])
    mask = _mask_of(project, "look")
    assert (mask[3:9, 4:12] == 3).all() and (mask[9] == 0).all()
    assert (mask[12:, 16:] == 1).all() and (mask != 0).sum() == 48 + 12 * 16


def test_labelstudio_rle_codec_long_runs() -> None:
    words = np.zeros(200_000, np.uint8)
    words[5] = 7
    words[70_000:140_001] = 255
    words[150_000:150_003] = [1, 2, 3]
    np.testing.assert_array_equal(decode_ls_rle(encode_ls_rle(words)), words)
    np.testing.assert_array_equal(decode_ls_rle(_ls_literal_rle(words[:20])), words[:20])
    with pytest.raises(ValueError, match="ends early"):
        decode_ls_rle(encode_ls_rle(words)[:20])


def test_yolo_folder_as_ultralytics_writes_it(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "yolo"
    write_photo(src / "images" / "train" / "look.png", (H, W))
    (src / "data.yaml").write_text(
        "path: ../datasets/looks\ntrain: images/train\nval: images/val\n"
        "names:\n  0: skin\n  1: hair\n  2: top\n"
    )
    (src / "labels" / "train").mkdir(parents=True)
    (src / "labels" / "train" / "look.txt").write_text(
        "1 0.25 0.25 0.125 0.166667\n"  # a detection box: hair, 4x4 px at (6, 4)
        "2 0.0625 0.0833333 0.9375 0.0833333 0.9375 0.916667 0.0625 0.916667\n"
    )
    summary = import_source(project, src, "yolo")
    assert (summary.masks, summary.errors) == (1, [])
    mask = _mask_of(project, "look")
    # the larger top is painted first, then the smaller hair box over it
    assert (mask[4:8, 6:10] == 2).all() and mask[3, 5] == 3 and mask[2, 2] == 3
    assert mask[1, 1] == 0 and (mask != 0).sum() == 20 * 28


def test_yolo_refuses_classes_outside_data_yaml(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "yolo"
    write_photo(src / "images" / "look.png", (H, W))
    (src / "data.yaml").write_text("names: [skin, hair]\n")
    (src / "labels").mkdir()
    (src / "labels" / "look.txt").write_text("5 0.1 0.1 0.2 0.1 0.2 0.2\n")
    summary = import_source(project, src, "yolo")
    ((where, problem),) = summary.errors
    assert where.endswith("look.txt") and "line 1: class 5 is not in data.yaml's names" in problem


def test_export_options_are_checked(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="yolo export writes shapes as polygon, not 'mask'"):
        export_project(project, tmp_path / "out", "yolo", "parsing7", shapes="mask")
    with pytest.raises(ValueError, match="plain export takes no tolerance option"):
        export_project(project, tmp_path / "out", "plain", "parsing7", tolerance=1.0)


def test_cli_export_and_import_every_tool_format(tmp_path: Path, write_photo, capsys) -> None:
    proj = tmp_path / "proj"
    write_photo(tmp_path / "photos" / "look.png", (H, W))
    assert main(["new", str(proj), "--images", str(tmp_path / "photos")]) == 0
    mask = np.zeros((H, W), np.uint8)
    mask[2:20, 3:25] = 3
    mask[6:12, 8:14] = 0  # a hole
    mask[8:10, 10:12] = 4  # an island in the hole
    with Project.open(proj) as project:
        (record,) = project.images()
        project.save_mask(record.id, "parsing7", mask)
    runs = [("labelme", []), ("cvat", []), ("cvat", ["--shapes", "mask"]), ("voc", []),
            ("labelstudio", []), ("labelstudio", ["--shapes", "polygon"]),
            ("yolo", ["--tolerance", "0"]), ("coco", ["--shapes", "polygon"])]  # fmt: skip
    for fmt, extra in runs:
        out = tmp_path / f"{fmt}{len(extra)}"
        args = ["export", str(proj), str(out), "--format", fmt, "--task", "parsing7", *extra]
        assert main(args) == 0, fmt
        target = tmp_path / f"p-{fmt}{len(extra)}"
        assert main(["new", str(target), "--images", str(tmp_path / "photos")]) == 0
        assert main(["import", str(target), str(out), "--format", fmt]) == 0, fmt
        with Project.open(target) as project:
            np.testing.assert_array_equal(_mask_of(project, "look"), mask, err_msg=fmt)
    capsys.readouterr()


def test_cli_lists_match_the_registry_without_importing_it() -> None:
    from fashion_annotator.commands import project as project_commands
    from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
    from fashion_annotator.dataset import formats

    assert project_commands.SHAPE_KINDS == formats.SHAPE_KINDS
    assert project_commands.TOOL_FORMATS == tuple(formats.TOOL_FORMATS)
    assert DEFAULT_TOLERANCE == 0.7  # the --tolerance help names it


def test_a_voc_colour_outside_the_labelmap_is_named_in_plain_numbers(tmp_path: Path) -> None:
    from PIL import Image

    from fashion_annotator.dataset.formats.voc import _load_ids

    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[2, 3] = (0, 5, 0)
    path = tmp_path / "m.png"
    Image.fromarray(rgb).save(path)
    with pytest.raises(ValueError, match=r"^colour \(0, 5, 0\) at x=3, y=2 is not in labelmap.txt$"):
        _load_ids(path, [(0, 0, 0)])


def test_a_labelme_shape_outside_the_photo_is_named_and_the_rest_imported(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "labelme"
    write_photo(src / "a.png", (H, W))
    inside = {"label": "top", "points": [[1, 1], [20, 1], [20, 20]], "shape_type": "polygon"}
    outside = {"label": "shoes", "points": [[100, 1], [120, 1], [120, 20]], "shape_type": "polygon"}
    (src / "a.json").write_text(json.dumps({"shapes": [inside, outside], "imagePath": "a.png",
                                            "imageHeight": H, "imageWidth": W}))  # fmt: skip
    summary = import_source(project, src, "labelme")
    assert summary.masks == 1 and summary.errors == []
    assert summary.empty_shapes == [(str(src / "a.json"), f"shape 2 (shoes) paints no pixel of the {W}x{H} photo "
                                     "(it lies outside it, or is a line or a sliver that covers no pixel's centre)")]
    assert "1 shape painting no pixel (outside the photo, or too thin), left out:" in summary.lines()


def _bad_coordinates_source(fmt: str, src: Path, bad: str) -> None:
    """Files a, b and c of format ``fmt``; b's shape has the coordinate ``bad``."""
    good = [[2, 2], [20, 2], [20, 20]]
    points = {stem: good if stem != "b" else [[2, 2], [float(bad), 10], [20, 20]] for stem in "abc"}
    photos = src / "images" if fmt in ("cvat", "labelstudio", "yolo") else src
    for k, stem in enumerate("abc"):
        write_photo_at = photos / f"{stem}.png"
        write_photo_at.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((H, W, 3), 40 * k, np.uint8)).save(write_photo_at)
    if fmt == "labelme":
        for stem, pts in points.items():
            (src / f"{stem}.json").write_text(json.dumps({"shapes": [{"label": "top", "points": pts}], "imagePath": f"{stem}.png"}))
    elif fmt == "cvat":
        shapes = {f"{stem}.png": f'<polygon label="top" points="{";".join(f"{x},{y}" for x, y in pts)}"/>' for stem, pts in points.items()}
        (src / "annotations.xml").write_text(_cvat_xml(shapes))
    elif fmt == "labelstudio":
        tasks = [{"id": k, "data": {"image": f"/data/upload/1/{stem}.png"}, "annotations": [{"result": [
            {"type": "polygonlabels", "original_width": W, "original_height": H,
             "value": {"points": [[100 * x / W, 100 * y / H] for x, y in pts], "polygonlabels": ["top"]}}]}]}
            for k, (stem, pts) in enumerate(points.items())]  # fmt: skip
        (src / "tasks.json").write_text(json.dumps(tasks))
    else:
        (src / "data.yaml").write_text("names: [skin, hair, top]\n")
        (src / "labels").mkdir()
        for stem, pts in points.items():
            (src / "labels" / f"{stem}.txt").write_text("2 " + " ".join(f"{x / W} {y / H}" for x, y in pts) + "\n")


@pytest.mark.parametrize("bad", ["nan", "inf", "1e300"])
@pytest.mark.parametrize("fmt", ["labelme", "cvat", "labelstudio", "yolo"])
def test_a_coordinate_not_finite_or_far_outside_refuses_its_file_and_the_rest_is_imported(
    project: Project, tmp_path: Path, fmt: str, bad: str
) -> None:
    """A NaN painted a streak to the photo's right edge; inf or 1e300 crashed the import half-way."""
    src = tmp_path / fmt
    _bad_coordinates_source(fmt, src, bad)
    summary = import_source(project, src, fmt)
    assert summary.masks == 2 and summary.without_mask == ["b.png"]
    ((where, problem),) = summary.errors
    assert str(src) in where and any(f"b.{ext}" in where for ext in ("png", "txt", "json"))
    assert "shape 'top'" in problem or "line 1" in problem
    assert "not a finite number" in problem or "too far outside the 32x24 image" in problem
    (b,) = project.images_by_stem("b")
    assert project.load_mask(b.id, "parsing7") is None


def test_voc_and_yolo_find_camera_photos_named_in_capitals(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A stem lookup tried lower-case suffixes only: DSC0001.JPG was 'no photo named DSC0001'."""
    voc = tmp_path / "voc"
    write_photo(voc / "JPEGImages" / "DSC0001.JPG", (H, W))
    (voc / "SegmentationClass").mkdir()
    Image.fromarray(np.full((H, W), 3, np.uint8)).save(voc / "SegmentationClass" / "DSC0001.png")
    (voc / "labelmap.txt").write_text("".join(f"{name}:::\n" for name in PARSING7))
    yolo = tmp_path / "yolo"
    write_photo(yolo / "images" / "DSC0002.JPEG", (H, W), seed=1)
    (yolo / "data.yaml").write_text("names: [skin, hair, top]\n")
    (yolo / "labels").mkdir()
    (yolo / "labels" / "DSC0002.txt").write_text("2 0.1 0.1 0.5 0.1 0.5 0.5\n")
    for src, fmt in ((voc, "voc"), (yolo, "yolo")):
        summary = import_source(project, src, fmt)
        assert (summary.added, summary.masks, summary.errors) == (1, 1, []), fmt
    assert (_mask_of(project, "DSC0001") == 3).all() and _mask_of(project, "DSC0002").max() == 3


def test_a_stem_shared_by_two_source_photos_is_refused(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "yolo"
    write_photo(src / "images" / "look.jpg", (H, W))
    write_photo(src / "images" / "look.png", (H, W), seed=1)
    (src / "data.yaml").write_text("names: [skin, hair, top]\n")
    (src / "labels").mkdir()
    (src / "labels" / "look.txt").write_text("2 0.1 0.1 0.5 0.1 0.5 0.5\n")
    summary = import_source(project, src, "yolo")
    ((where, problem),) = summary.errors
    assert where.endswith("look.txt") and "several photos" in problem and "look.jpg, look.png" in problem
    assert summary.masks == 0


def test_a_labelstudio_local_file_is_found_in_its_folder_not_by_its_name_elsewhere(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """?d=shoot2/look.jpg kept only 'look.jpg': the region went onto shoot1's look.jpg, another
    photo already in the project, though images/shoot2/look.jpg was in the source."""
    shoot1 = write_photo(tmp_path / "shoot1" / "look.png", (H, W))
    import_source(project, shoot1.parent, "photos")
    src = tmp_path / "ls"
    write_photo(src / "images" / "shoot2" / "look.png", (H, W), seed=1)
    poly = {"type": "polygonlabels", "original_width": W, "original_height": H,
            "value": {"points": [[10, 10], [60, 10], [60, 60]], "polygonlabels": ["top"]}}  # fmt: skip
    task = {"id": 1, "data": {"image": "/data/local-files/?d=shoot2/look.png"}, "annotations": [{"result": [poly]}]}
    (src / "tasks.json").write_text(json.dumps([task]))
    summary = import_source(project, src, "labelstudio")
    assert (summary.added, summary.masks, summary.errors) == (1, 1, [])
    first, second = project.images()
    assert project.load_mask(first.id, "parsing7") is None
    assert "shoot2" in second.source and project.load_mask(second.id, "parsing7") is not None


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ({"result": ["garbage"]}, "result 1 is not an object"),
        ({"result": [{"type": "polygonlabels", "value": [1, 2]}]}, "result 1: 'value' is not an object"),
        ({"result": {"a": {}}}, "'result' is not a list of regions"),
    ],
)
def test_a_malformed_labelstudio_result_refuses_its_task_by_name(
    project: Project, tmp_path: Path, write_photo, annotation: dict, message: str
) -> None:
    """A string or list where Label Studio writes an object was an AttributeError traceback."""
    src = tmp_path / "ls"
    write_photo(src / "images" / "a.png", (H, W))
    tasks = [{"id": 7, "data": {"image": "/data/upload/1/a.png"}, "annotations": [annotation]}]
    (src / "tasks.json").write_text(json.dumps(tasks))
    summary = import_source(project, src, "labelstudio")
    ((where, problem),) = summary.errors
    assert where == f"{src / 'tasks.json'}: task 7 (a.png)" and message in problem
    assert summary.without_mask == ["a.png"]


def test_labelstudio_tasks_without_an_annotation_are_named(project: Project, tmp_path: Path, write_photo) -> None:
    """Tasks not yet annotated or only cancelled were dropped without a word."""
    src = tmp_path / "ls"
    poly = {"type": "polygonlabels", "original_width": W, "original_height": H,
            "value": {"points": [[10, 10], [60, 10], [60, 60]], "polygonlabels": ["top"]}}  # fmt: skip
    tasks = []
    for k, done in enumerate([[{"result": [poly]}], [{"result": [poly], "was_cancelled": True}], []]):
        write_photo(src / "images" / f"img{k}.png", (H, W), seed=k)
        tasks.append({"id": k, "data": {"image": f"/data/upload/1/img{k}.png"}, "annotations": done})
    (src / "tasks.json").write_text(json.dumps(tasks))
    summary = import_source(project, src, "labelstudio")
    assert (summary.masks, summary.errors) == (1, [])
    assert [where.split(": ")[-1] for where, _ in summary.skipped] == ["task 1 (img1.png)", "task 2 (img2.png)"]
    assert all("no annotation" in note for _, note in summary.skipped)
    assert summary.without_mask == ["img1.png", "img2.png"]


def test_voc_labels_no_pixel_uses_neither_refuse_nor_count_as_shapes_outside(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Every label of labelmap.txt was a region: unused ones were 'shapes outside the photo' and
    one the task lacks refused every image, even with --taxonomy."""
    src = tmp_path / "voc"
    write_photo(src / "JPEGImages" / "look.jpg", (H, W))
    (src / "SegmentationClass").mkdir()
    ids = np.zeros((H, W), np.uint8)
    ids[2:10, 3:12] = 1
    Image.fromarray(ids).save(src / "SegmentationClass" / "look.png")
    (src / "labelmap.txt").write_text("background:0,0,0::\ngarment:128,0,0::\nperson:0,128,0::\n")
    summary = import_source(project, src, "voc", "garment")
    assert (summary.masks, summary.errors, summary.empty_shapes) == (1, [], [])
    assert (_mask_of(project, "look", "garment") == ids).all()
