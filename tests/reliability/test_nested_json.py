"""JSON nested deeper than Python's parser can follow, in every importer that reads JSON: the
file is refused by name (a RecursionError named no file), and labelme goes on with the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import common as formats_common
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

NESTED = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    ("fmt", "name", "text", "what"),
    [
        ("coco-instances", "instances.json", '{"images": ' + NESTED + "}", "COCO JSON"),
        ("labelstudio", "tasks.json", NESTED, "Label Studio JSON"),
        ("coco", "annotations.json", NESTED, "COCO JSON"),
    ],
)
def test_a_deeply_nested_file_is_refused_by_name(
    project: Project, tmp_path: Path, ledger, fmt: str, name: str, text: str, what: str
) -> None:
    ledger.try_(fmt, "deeply nested JSON")
    path = tmp_path / "src" / name
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        import_source(project, path.parent, fmt)
    assert str(caught.value) == f"{path}: not a readable {what} (JSON nested too deeply)"
    ledger.handled(fmt, "deeply nested JSON")


def test_a_deeply_nested_labelme_file_is_refused_and_the_others_imported(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    ledger.try_("labelme", "deeply nested JSON")
    src = tmp_path / "lm"
    write_photo(src / "a.png", (24, 32), seed=1)
    write_photo(src / "b.png", (24, 32), seed=2)
    (src / "a.json").write_text('{"shapes": ' + NESTED + "}")
    shape = {"label": "garment", "points": [[1, 1], [20, 1], [20, 20]], "shape_type": "polygon"}
    (src / "b.json").write_text(json.dumps({"shapes": [shape], "imagePath": "b.png"}))
    summary = import_source(project, src, "labelme", "garment")
    assert summary.errors == [(str(src / "a.json"), "not a readable labelme JSON (JSON nested too deeply)")]
    assert summary.masks == 1
    ledger.handled("labelme", "deeply nested JSON")


def test_a_coco_instances_file_over_the_size_limit_is_refused(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COCO had a size limit and coco-instances read any file whole."""
    monkeypatch.setattr(formats_common, "MAX_JSON_BYTES", 100)
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": [], "annotations": [], "pad": "x" * 200}))
    with pytest.raises(ValueError, match=r"instances.json: not a readable COCO JSON \(\d+ bytes exceeds the limit of 100\)"):
        import_source(project, path, "coco-instances")
