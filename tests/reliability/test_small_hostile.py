"""Taxonomy tables of imported folders, and the QA CSV (formula injection)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.report import write_csv
from fashion_annotator.qa.scores import ImageScore

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)
GARMENT = {"classes": ["background", "garment"], "from_ids": {"0": 0, "1": 1}}

TAXONOMY_CASES = {
    "not JSON": ("{oops", "invalid JSON"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "a list": ("[1, 2]", "expected a JSON object"),
    "task not an object": (json.dumps({"garment": 3}), "expected an object"),
    "classes not names": (json.dumps({"garment": {**GARMENT, "classes": [1, 2]}}), "classes"),
    "classes differ from shipped": (
        json.dumps({"garment": {**GARMENT, "classes": ["bg", "cloth"]}}), "differ"),
    "two source tables": (json.dumps({"garment": {**GARMENT, "from_x": {}}}), "exactly one"),
    "source id 300": (json.dumps({"garment": {**GARMENT, "from_ids": {"300": 1}}}), "300"),
    "source id not a number": (json.dumps({"garment": {**GARMENT, "from_ids": {"a": 1}}}), "'a'"),
    "target out of range": (json.dumps({"garment": {**GARMENT, "from_ids": {"1": 7}}}), "7"),
    "target unknown name": (json.dumps({"garment": {**GARMENT, "from_ids": {"1": "hat"}}}), "hat"),
    "table not an object": (json.dumps({"garment": {**GARMENT, "from_ids": [1]}}), "object"),
    "binary garbage": ("\udcff\udcfe".encode("utf-8", "surrogateescape"), "taxonomies.json"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TAXONOMY_CASES))
def test_hostile_taxonomy_tables_are_refused(
    project: Project, tmp_path: Path, write_photo, write_mask, ledger, name: str
) -> None:
    ledger.try_("taxonomies", name)
    text, expected = TAXONOMY_CASES[name]
    src = tmp_path / "plain"
    write_photo(src / "images" / "a.png", SHAPE)
    write_mask(src / "masks" / "a.png", np.ones(SHAPE, np.uint8))
    table = src / "taxonomies.json"
    if isinstance(text, bytes):
        table.write_bytes(text)
    else:
        table.write_text(text)
    with pytest.raises(ValueError) as info:
        import_source(project, src, "plain", "garment")
    message = str(info.value)
    assert "taxonomies.json" in message and expected in message, message
    assert project.images() == []  # refused before anything was imported
    ledger.handled("taxonomies", name)


def test_unknown_taxonomy_name_is_refused(project: Project, tmp_path: Path, ledger) -> None:
    ledger.try_("taxonomies", "--taxonomy ../../etc/passwd")
    (tmp_path / "plain" / "images").mkdir(parents=True)
    with pytest.raises(Exception, match="unknown"):
        import_source(project, tmp_path / "plain", "plain", "../../etc/passwd")
    ledger.handled("taxonomies", "--taxonomy ../../etc/passwd")


@pytest.mark.parametrize(
    "hostile",
    ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"],
)
def test_qa_csv_cells_never_start_a_formula(tmp_path: Path, ledger, hostile: str) -> None:
    ledger.try_("qa csv", repr(hostile))
    score = ImageScore(
        image_id=1, name=f"{hostile}.jpg", task="garment", score=0.5, pixel_accuracy=0.9,
        reference="proposal", status="rejected", operator=hostile, seconds=1.0, actions=2,
        versions=1, saved_at=0.0, decision="reject", reason=hostile, reason_text=hostile,
    )  # fmt: skip
    path = write_csv([score], tmp_path / "qa.csv", "Dice")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), rows[1]
    assert rows[1][1] == "'" + hostile + ".jpg"  # the text itself is kept
    ledger.handled("qa csv", repr(hostile))
