"""Hostile COCO files: no crash (the C code of pycocotools never sees an unchecked value), no
annotation painted on the wrong photo or dropped silently, every refusal listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

H, W = 30, 40
SQUARE = [5.0, 5.0, 25.0, 5.0, 25.0, 20.0, 5.0, 20.0]
CATEGORIES = [{"id": 1, "name": "garment"}]


def _coco(segmentation: object, **image: object) -> dict:
    entry = {"id": 1, "file_name": "look.png", "height": H, "width": W, **image}
    ann = {"id": 7, "image_id": 1, "category_id": 1, "segmentation": segmentation}
    return {"images": [entry], "annotations": [ann], "categories": CATEGORIES}


def _bad_string_rle() -> str:
    # A valid RLE of a 30x40 mask whose last count is made 10x too long.
    rle = mask_utils.frPyObjects({"size": [H, W], "counts": [100, 50, H * W - 150]}, H, W)
    counts = [100, 50, (H * W - 150) * 10]
    big = mask_utils.frPyObjects({"size": [H, W * 10], "counts": counts}, H, W * 10)
    assert rle["counts"] != big["counts"]
    return big["counts"].decode("ascii")


# name -> (COCO dict, expected refusal text); the crash-prone ones run in a child process.
C_CASES: dict[str, tuple[dict, str]] = {
    "polygon NaN": (_coco([[float("nan"), 5.0, 25.0, 5.0, 25.0, 20.0]]), "not finite"),
    "polygon Infinity": (_coco([[5.0, 5.0, float("inf"), 5.0, 25.0, 20.0]]), "not finite"),
    "polygon 1e12": (_coco([[5.0, 5.0, 1e12, 5.0, 25.0, 1e12]]), "too far outside"),
    "polygon 4e8": (_coco([[5.0, 5.0, 4e8, 5.0, 25.0, 20.0]]), "too far outside"),
    "polygon -1e9": (_coco([[-1e9, 5.0, 25.0, 5.0, 25.0, 20.0]]), "too far outside"),
    "polygon string": (_coco([["5", 5.0, 25.0, 5.0, 25.0, 20.0]]), "not a number"),
    "polygon bool": (_coco([[True, 5.0, 25.0, 5.0, 25.0, 20.0]]), "not a number"),
    "polygon nested": (_coco([[[5.0, 5.0], [25.0, 5.0], [25.0, 20.0], [1, 1], [2, 2], [3, 3]]]), "not a number"),
    "polygon two points": (_coco([[5.0, 5.0, 25.0, 5.0]]), "at least 3"),
    "polygon not a list": (_coco([7]), "must be a list"),
    "RLE counts too long": (_coco({"size": [H, W], "counts": [0, H * W * 50]}), "add up to"),
    "RLE counts negative": (_coco({"size": [H, W], "counts": [-5, H * W + 5]}), "non-negative"),
    "RLE counts float": (_coco({"size": [H, W], "counts": [0.5, H * W - 0.5]}), "integers"),
    "RLE string too long": (_coco({"size": [H, W], "counts": _bad_string_rle()}), "add up to"),
    "RLE string bad char": (_coco({"size": [H, W], "counts": "\x7f\x7f\x7f"}), "invalid character"),
    "RLE string truncated": (_coco({"size": [H, W], "counts": "P"}), "ends inside"),
    "RLE string non-ascii": (_coco({"size": [H, W], "counts": "é"}), "not ASCII"),
    "RLE size mismatch": (_coco({"size": [H * 1000, W], "counts": [H * W * 1000]}), "differs"),
    "RLE size string": (_coco({"size": "30x40", "counts": [H * W]}), "differs"),
    "RLE counts dict": (_coco({"size": [H, W], "counts": {"a": 1}}), "list or a string"),
}

CHILD = """
import json, sys
from pathlib import Path
from fashion_annotator.dataset import schema
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
schema.SYNCHRONOUS = "OFF"
root, cases = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
with Project.open(root) as project:
    for name, path in cases.items():
        summary = import_source(project, path, "coco", "garment")
        print(json.dumps({"name": name, "masks": summary.masks, "errors": summary.errors}),
              flush=True)
"""


@pytest.fixture
def coco_src(tmp_path: Path, write_photo) -> Path:
    write_photo(tmp_path / "src" / "images" / "look.png", (H, W))
    return tmp_path / "src"


def test_crash_prone_coco_values_are_refused_in_python(
    tmp_path: Path, coco_src: Path, integrity_ok, ledger
) -> None:
    root = tmp_path / "proj"
    Project.create(root).close()
    cases = {}
    for i, (name, (data, _)) in enumerate(C_CASES.items()):
        path = coco_src / f"case{i}.json"
        path.write_text(json.dumps(data))  # NaN / Infinity written as JSON accepts them
        cases[name] = str(path)
        ledger.try_("coco", name)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(tmp_path / "cases.json")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert child.returncode == 0, f"child died ({child.returncode}): {child.stderr[-2000:]}"
    results = [json.loads(line) for line in child.stdout.splitlines()]
    assert [r["name"] for r in results] == list(C_CASES)
    for result in results:
        expected = C_CASES[result["name"]][1]
        assert result["masks"] == 0, result
        assert len(result["errors"]) == 1, result
        where, problem = result["errors"][0]
        assert "look.png" in where and expected in problem, result
        assert "annotation 7" in problem, result
        ledger.handled("coco", result["name"])
    with Project.open(root) as project:
        assert project.task_counts()["garment"] == 0
    assert integrity_ok(root)


def _import(project: Project, src: Path, data: dict | str, name: str = "annotations.json"):
    path = src / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return import_source(project, path, "coco", "garment")


def test_duplicate_image_ids_never_paint_one_photo_onto_another(
    project: Project, coco_src: Path, write_photo, ledger
) -> None:
    ledger.try_("coco", "duplicate image ids")
    write_photo(coco_src / "images" / "other.png", (H, W), seed=3)
    data = {
        "images": [
            {"id": 1, "file_name": "look.png", "height": H, "width": W},
            {"id": 1, "file_name": "other.png", "height": H, "width": W},
            {"id": 2, "file_name": "third.png", "height": H, "width": W},
        ],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "segmentation": [SQUARE]}],
        "categories": CATEGORIES,
    }
    write_photo(coco_src / "images" / "third.png", (H, W), seed=4)
    summary = _import(project, coco_src, data)
    assert summary.masks == 1  # only third.png, which has its own unique id (empty mask)
    refused = [p for _, p in summary.errors]
    assert sum("image id 1 is used by 2 images" in p for p in refused) == 2
    saved = [r.name for r in project.images() if project.load_mask(r.id, "garment") is not None]
    assert saved == ["third.png"]
    ledger.handled("coco", "duplicate image ids")


def test_annotations_matching_no_image_are_listed_not_dropped(
    project: Project, coco_src: Path, ledger
) -> None:
    ledger.try_("coco", "image_id type mismatch")
    data = _coco([SQUARE], id="1")  # the image id is a string; the annotation's an integer
    summary = _import(project, coco_src, data)
    assert summary.masks == 0
    problems = " | ".join(p for _, p in summary.errors)
    assert "image id '1' is not an integer" in problems
    assert "annotation 7: image_id 1 matches no" in problems
    assert project.task_counts()["garment"] == 0
    assert {r.status for r in project.images()} <= {"new"}
    ledger.handled("coco", "image_id type mismatch")

    ledger.try_("coco", "annotation for a missing image")
    data = _coco([SQUARE])
    data["annotations"][0]["image_id"] = 99
    summary = _import(project, coco_src, data)
    assert summary.masks == 0
    problems = " | ".join(p for _, p in summary.errors)
    assert "image_id 99 matches no" in problems
    assert "not saved as an empty mask" in problems
    ledger.handled("coco", "annotation for a missing image")


@pytest.mark.parametrize(
    ("name", "mutate", "expected"),
    [
        ("list image id", lambda d: d["images"][0].update(id=[1]), "is not an integer"),
        ("list annotation image_id", lambda d: d["annotations"][0].update(image_id=[1]),
         "is not an integer"),
        ("dict annotation image_id", lambda d: d["annotations"][0].update(image_id={"a": 1}),
         "is not an integer"),
        ("bool image id", lambda d: d["images"][0].update(id=True), "is not an integer"),
        ("list category id", lambda d: d["annotations"][0].update(category_id=[1]),
         "unknown category"),
        ("image entry not a dict", lambda d: d["images"].append([1, 2]), "malformed image"),
        ("annotation not a dict", lambda d: d["annotations"].append("x"), "malformed annotation"),
        ("absolute file name", lambda d: d["images"][0].update(file_name="/etc/passwd"),
         "absolute path refused"),
        ("dot-dot file name", lambda d: d["images"][0].update(file_name="../../look.png"),
         "escapes the source folder"),
        ("size mismatch", lambda d: d["images"][0].update(height=H + 1), "would not line up with the photo"),
        ("unknown category name", lambda d: d["categories"].append({"id": 2, "name": "hat"})
         or d["annotations"][0].update(category_id=2), "not a class of"),
    ],
)  # fmt: skip
def test_malformed_entries_are_refused_and_listed(
    project: Project, coco_src: Path, ledger, name, mutate, expected
) -> None:
    ledger.try_("coco", name)
    data = _coco([SQUARE])
    mutate(data)
    summary = _import(project, coco_src, data)
    assert any(expected in p for _, p in summary.errors), summary.errors
    ledger.handled("coco", name)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("deeply nested JSON", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("not JSON", "\x00\x01binary", "not a readable COCO JSON"),
        ("images not a list", json.dumps({"images": {"a": 1}}), "no 'images' list"),
        ("annotations not a list", json.dumps({"images": [], "annotations": 3}), "must be a list"),
        ("category without name", json.dumps({"images": [], "categories": [{"id": 1}]}),
         "malformed category"),
        ("category list id", json.dumps({"images": [], "categories": [{"id": [1], "name": "garment"}]}),
         "is not an integer"),
        ("category id twice", json.dumps({"images": [], "categories": CATEGORIES * 2}),
         "defined twice"),
        ("JSON array", "[1, 2]", "not a COCO file"),
    ],
)  # fmt: skip
def test_unreadable_files_get_a_clear_error(
    project: Project, coco_src: Path, ledger, name, text, expected
) -> None:
    ledger.try_("coco", name)
    path = coco_src / "annotations.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=expected) as info:
        import_source(project, path, "coco", "garment")
    assert str(path) in str(info.value)
    ledger.handled("coco", name)


def test_valid_polygon_and_rle_still_import_exactly(project: Project, coco_src: Path) -> None:
    summary = _import(project, coco_src, _coco([SQUARE]))
    assert (summary.masks, summary.errors) == (1, [])
    mask = project.load_mask(project.images()[0].id, "garment")
    assert mask[10, 10] == 1 and mask[0, 0] == 0


def test_export_of_a_speckled_mask_is_fast_and_exact(
    project: Project, tmp_path: Path, ledger
) -> None:
    """The speckled mask that took 8 s: time now grows with pixels plus runs, not islands x
    pixels. Uses a real CCP sample photo at full size."""
    ledger.try_("coco", "speckled mask export")
    from PIL import Image

    sample = Path(__file__).resolve().parents[2] / "resources" / "sample" / "ccp_0014.jpg"
    rec = project.add_image(sample)
    rng = np.random.default_rng(0)
    mask = np.zeros(rec.shape, np.uint8)
    mask[::4, ::4] = rng.integers(1, 7, mask[::4, ::4].shape)  # ~28,000 one-pixel islands
    project.save_mask(rec.id, "parsing7", mask)
    start = time.process_time()  # CPU seconds: a loaded CI machine does not make it flaky
    summary = export_project(project, tmp_path / "out", "coco", "parsing7")
    seconds = time.process_time() - start
    assert summary.count == 1 and seconds < 3.0, seconds  # was 8 s of islands x pixels
    coco = json.loads((tmp_path / "out" / "annotations.json").read_text())
    anns = coco["annotations"]
    assert len(anns) == int((mask > 0).sum()) == sum(a["area"] for a in anns)
    for i in np.random.default_rng(1).choice(len(anns), 200, replace=False):
        seg = dict(anns[i]["segmentation"], counts=anns[i]["segmentation"]["counts"].encode())
        ys, xs = np.nonzero(mask_utils.decode(seg))
        x, y, w, h = anns[i]["bbox"]
        assert (len(ys), w, h) == (1, 1, 1) and (xs[0], ys[0]) == (x, y)
        assert mask[ys[0], xs[0]] == anns[i]["category_id"]
    assert Image.open(tmp_path / "out" / "images" / "ccp_0014.jpg").size == (rec.width, rec.height)
    ledger.handled("coco", "speckled mask export")
