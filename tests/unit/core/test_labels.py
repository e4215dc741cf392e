"""Taxonomies, their shipped JSON, and data-driven mappings from CCP ids."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import (
    UNMAPPED,
    LabelClass,
    LabelMapping,
    Taxonomy,
    apply_mapping,
    available_mappings,
    available_taxonomies,
    load_mapping,
    load_taxonomy,
    load_taxonomy_file,
    mapping_from_taxonomies_json,
    validate_mask,
)
from fashion_annotator.resources import resource_path

CCP_TASKS = ("garment", "person", "parsing7", "parsing18")
DEEPFASHION24 = [
    "background", "top", "outer", "skirt", "dress", "pants", "leggings", "headwear",
    "eyeglass", "neckwear", "belt", "footwear", "bag", "hair", "face", "skin", "ring",
    "wrist wearing", "socks", "gloves", "necklace", "rompers", "earrings", "tie",
]  # fmt: skip


@pytest.fixture(scope="module")
def ccp_taxonomies(ccp_dir: Path) -> dict:
    return json.loads((ccp_dir / "taxonomies.json").read_text())


def test_shipped_names() -> None:
    assert available_taxonomies() == sorted(
        ["garment", "person", "parsing7", "parsing18", "deepfashion24"]
    )


@pytest.mark.parametrize("task", CCP_TASKS)
def test_ccp_taxonomies_match_dataset_exactly(task: str, ccp_taxonomies: dict) -> None:
    taxonomy = load_taxonomy(task)
    assert taxonomy.name == task
    assert taxonomy.names == ccp_taxonomies[task]["classes"]
    assert taxonomy.num_classes == len(ccp_taxonomies[task]["classes"])
    assert taxonomy.is_binary == (task in ("garment", "person"))


def test_deepfashion24() -> None:
    taxonomy = load_taxonomy("deepfashion24")
    assert taxonomy.names == DEEPFASHION24
    assert taxonomy.num_classes == 24 and not taxonomy.is_binary
    assert taxonomy.index("wrist wearing") == 17


@pytest.mark.parametrize("name", ["garment", "person", "parsing7", "parsing18", "deepfashion24"])
def test_colours_and_shortcuts(name: str) -> None:
    taxonomy = load_taxonomy(name)
    colors = taxonomy.colors
    assert colors.shape == (taxonomy.num_classes, 3) and colors.dtype == np.uint8
    assert colors[0].max() <= 64  # background dark
    # Distinct enough to tell apart on screen: no two classes closer than 40 in RGB.
    for a, b in combinations(range(taxonomy.num_classes), 2):
        gap = np.linalg.norm(colors[a].astype(float) - colors[b].astype(float))
        assert gap >= 40, (taxonomy.names[a], taxonomy.names[b])
    expected = [*"1234567890", *[""] * max(0, taxonomy.num_classes - 10)]
    assert [c.shortcut for c in taxonomy.classes] == expected[: taxonomy.num_classes]
    assert [c.id for c in taxonomy.classes] == list(range(taxonomy.num_classes))
    colors[:] = 7  # a copy: the taxonomy itself is unchanged
    assert taxonomy.colors[0].tolist() == list(taxonomy.classes[0].color)


def test_garment_colour_saturated() -> None:
    color = np.array(load_taxonomy("garment").classes[1].color)
    assert color.max() - color.min() >= 150


def test_index_and_errors() -> None:
    taxonomy = load_taxonomy("parsing7")
    assert taxonomy.index("background") == 0
    assert taxonomy.index("dress") == 6
    with pytest.raises(KeyError, match="jacket"):
        taxonomy.index("jacket")
    with pytest.raises(ValueError, match="unknown taxonomy 'nope'.*parsing7"):
        load_taxonomy("nope")
    with pytest.raises(ValueError, match="unknown taxonomy"):
        load_taxonomy("../taxonomies/parsing7")


def test_taxonomy_invariants() -> None:
    bg = LabelClass(0, "background", (0, 0, 0), "1")
    with pytest.raises(ValueError, match="duplicate"):
        Taxonomy("t", (bg, LabelClass(1, "background", (9, 9, 9), "2")))
    with pytest.raises(ValueError, match="expected 1"):
        Taxonomy("t", (bg, LabelClass(2, "x", (9, 9, 9), "2")))
    with pytest.raises(ValueError, match="classes"):
        Taxonomy("t", ())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "invalid JSON"),
        ('{"classes": []}', "'name'"),
        ('{"name": "t", "classes": []}', "'classes'"),
        ('{"name": "t", "classes": [{"name": "a", "color": [0, 0]}]}', "'color'"),
        ('{"name": "t", "classes": [{"name": "a", "color": [0, 0, 300]}]}', "'color'"),
        ('{"name": "t", "classes": [{"color": [0, 0, 0]}]}', "'name'"),
        ('{"name": "t", "classes": [{"name": "a", "color": [0,0,0], "shortcut": 1}]}', "shortcut"),
    ],
)
def test_bad_taxonomy_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError) as info:
        load_taxonomy_file(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_taxonomy_file_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(
        json.dumps(
            {
                "name": "two",
                "classes": [
                    {"name": "bg", "color": [0, 0, 0], "shortcut": "1"},
                    {"name": "fg", "color": [250, 0, 0]},
                ],
            }
        )
    )
    taxonomy = load_taxonomy_file(path)
    assert taxonomy.names == ["bg", "fg"] and taxonomy.is_binary
    assert taxonomy.classes[1] == LabelClass(1, "fg", (250, 0, 0), "")


@pytest.mark.parametrize("task", CCP_TASKS)
def test_mapping_lut_from_dataset_file(task: str, ccp_dir: Path, ccp_taxonomies: dict) -> None:
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", task)
    assert (mapping.source, mapping.target) == ("ccp", task)
    assert mapping.lut.shape == (256,) and mapping.lut.dtype == np.uint8
    table = ccp_taxonomies[task]["from_ccp"]
    for key, value in table.items():
        assert mapping.lut[int(key)] == value
    assert (mapping.lut[59:] == UNMAPPED).all()
    shipped = load_mapping("ccp", task)
    np.testing.assert_array_equal(shipped.lut, mapping.lut)


def test_available_mappings() -> None:
    assert "ccp" in available_mappings()
    with pytest.raises(ValueError, match="no shipped mapping"):
        load_mapping("lip", "parsing7")


def test_real_mask_to_parsing7(ccp_dir: Path, ccp_splits: dict, ccp_taxonomies: dict) -> None:
    labels = json.loads((ccp_dir / "labels.json").read_text())
    table = {int(k): v for k, v in ccp_taxonomies["parsing7"]["from_ccp"].items()}
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    parsing7 = load_taxonomy("parsing7")
    stem = ccp_splits["train"][0]
    src = load_mask(ccp_dir / "masks" / f"{stem}.png")
    out = apply_mapping(src, mapping)
    assert out.shape == src.shape and out.dtype == np.uint8
    validate_mask(out, parsing7)
    for ccp_id in np.unique(src):
        expected = table[int(ccp_id)]
        assert (out[src == ccp_id] == expected).all(), labels[str(ccp_id)]
    # Hair and skin are the same in every source naming scheme: check them by name.
    hair = src == int(next(k for k, v in labels.items() if v == "hair"))
    if hair.any():
        assert (out[hair] == parsing7.index("hair")).all()


def test_mapping_by_class_name_and_other_source(tmp_path: Path) -> None:
    path = tmp_path / "tax.json"
    path.write_text(
        json.dumps(
            {"mine": {"classes": ["bg", "a", "b"], "from_lip": {"0": "bg", "7": "b", "3": 1}}}
        )
    )
    mapping = mapping_from_taxonomies_json(path, "mine")
    assert (mapping.source, mapping.target) == ("lip", "mine")
    assert mapping.lut[[0, 3, 7]].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(
        apply_mapping(np.array([[0, 7], [3, 3]], np.uint8), mapping), [[0, 2], [1, 1]]
    )
    with pytest.raises(ValueError, match=r"mask has lip ids not mapped to 'mine': 5, 9"):
        apply_mapping(np.array([[0, 5, 9]], np.uint8), mapping)
    plain = LabelMapping("ids", "mine", mapping.lut)  # a plain import's identity table ("from_ids")
    with pytest.raises(ValueError, match=r"^mask has ids not mapped to 'mine': 5, 9$"):  # was "ids ids"
        apply_mapping(np.array([[0, 5, 9]], np.uint8), plain)
    with pytest.raises(ValueError, match="uint8"):
        apply_mapping(np.zeros((2, 2), np.int64), mapping)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"other": {}}, "no mapping for taxonomy 'mine'"),
        ({"mine": {"classes": ["bg", "a"]}}, "from_"),
        ({"mine": {"classes": ["bg", "a"], "from_x": {"0": 2}}}, "not a class id"),
        ({"mine": {"classes": ["bg", "a"], "from_x": {"0": "zz"}}}, "'zz'"),
        ({"mine": {"classes": ["bg", "a"], "from_x": {"300": 0}}}, "outside 0..255"),
        ({"mine": {"classes": ["bg", "a"], "from_x": {"q": 0}}}, "not an integer"),
        ({"mine": {"classes": []}}, "'classes'"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, content: dict, problem: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError) as info:
        mapping_from_taxonomies_json(path, "mine")
    assert str(path) in str(info.value) and problem in str(info.value)


def test_mapping_classes_must_match_shipped_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"garment": {"classes": ["garment", "background"], "from_x": {}}}))
    with pytest.raises(ValueError, match="differ from the shipped taxonomy"):
        mapping_from_taxonomies_json(path, "garment")


def test_label_mapping_checks_lut() -> None:
    with pytest.raises(ValueError, match=r"\(256,\) uint8"):
        LabelMapping("a", "b", np.zeros(10, np.uint8))
    lut = np.zeros(256, np.uint8)
    mapping = LabelMapping("a", "b", lut)
    lut[:] = 3
    assert mapping.lut.max() == 0
    with pytest.raises(ValueError, match="read-only"):
        mapping.lut[0] = 1


def test_validate_mask() -> None:
    taxonomy = load_taxonomy("parsing7")
    validate_mask(np.arange(7, dtype=np.uint8).reshape(1, 7), taxonomy)
    bad = np.array([[0, 7, 19], [19, 2, 200]], np.uint8)
    with pytest.raises(ValueError) as info:
        validate_mask(bad, taxonomy, path=Path("masks/0042.png"))
    message = str(info.value)
    assert "masks/0042.png" in message and "7, 19, 200" in message and "parsing7" in message
    with pytest.raises(ValueError, match="2-D"):
        validate_mask(np.zeros((2, 2, 3), np.uint8), taxonomy)
    with pytest.raises(ValueError, match="uint8"):
        validate_mask(np.zeros((2, 2), np.int32), taxonomy)
    many = np.arange(7, 40, dtype=np.uint8).reshape(3, 11)
    with pytest.raises(ValueError, match=r"\.\.\. \(33 values\)"):
        validate_mask(many, taxonomy)


def test_shipped_json_files_self_consistent() -> None:
    for path in sorted(resource_path("taxonomies").glob("*.json")):
        raw = json.loads(path.read_text())
        assert raw["name"] == path.stem
        assert set(raw) == {"name", "task", "classes"}
        assert {"title", "primary_metric", "refinements"} <= set(raw["task"])
        assert set(raw["task"]) <= {"title", "primary_metric", "refinements", "agrees_with"}
        for entry in raw["classes"]:
            assert set(entry) == {"name", "color", "shortcut"}
