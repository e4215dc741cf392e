"""``--tasks`` and ``--add`` entries: a label set file whose path holds a comma could not be given
(the comma split it in two: "unknown task '/path/studio'"); a path naming an existing file is
now taken whole, and the options may be given again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.core.label_sets import split_task_entries
from fashion_annotator.dataset.store import Project, open_project


@pytest.fixture
def comma_file(tmp_path: Path, label_set_file: Path) -> Path:
    """The label set file in a folder whose name holds a comma, under another of them."""
    path = tmp_path / "studio, 2026" / "parts,v2.json"
    path.parent.mkdir()
    shutil.copy(label_set_file, path)
    return path


@pytest.mark.parametrize("form", ["one", "repeated"])
def test_new_takes_a_label_set_whose_path_holds_a_comma(tmp_path: Path, write_photo, comma_file: Path,
                                                        form: str) -> None:  # fmt: skip
    write_photo(tmp_path / "photos" / "a.png")
    proj = tmp_path / "proj"
    options = ["--tasks", f"garment,{comma_file}"] if form == "one" else ["--tasks", "garment", "--tasks", str(comma_file)]
    assert main(["new", str(proj), "--images", str(tmp_path / "photos"), *options]) == 0
    with open_project(proj) as project:
        assert project.tasks == ("garment", "garment_parts")


def test_tasks_add_takes_a_label_set_whose_path_holds_a_comma(tmp_path: Path, comma_file: Path, capsys) -> None:
    root = tmp_path / "proj"
    Project.create(root, tasks=["garment"]).close()
    assert main(["tasks", str(root), "--add", f"{comma_file}, parsing7", "--add", "person"]) == 0
    assert "added task garment_parts" in capsys.readouterr().out
    with Project.open(root) as project:
        assert project.tasks == ("garment", "garment_parts", "parsing7", "person")


def test_entries_split_on_commas_outside_an_existing_file(tmp_path: Path, comma_file: Path) -> None:
    assert split_task_entries(["garment, parsing7,", " person"]) == ["garment", "parsing7", "person"]
    assert split_task_entries([f"garment,{comma_file},person"]) == ["garment", str(comma_file), "person"]
    missing = tmp_path / "studio, 2026" / "gone.json"
    assert split_task_entries([f"{missing}"]) == [str(tmp_path / "studio"), "2026/gone.json"]
