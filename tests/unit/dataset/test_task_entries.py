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
    assert split_task_entries(["garment,typo task, person"]) == ["garment", "typo task", "person"]
    assert split_task_entries([f"{tmp_path}/a.json,{tmp_path}/b.json"]) == [f"{tmp_path}/a.json", f"{tmp_path}/b.json"]


@pytest.mark.parametrize(
    "missing",
    ["studio, 2026/gone.json", "studio, 2026/gone, v2.json", "gone, v2/parts.json", "no folder,gone.json"],
)
def test_a_path_with_a_comma_that_names_no_file_stays_whole(tmp_path: Path, comma_file: Path, missing: str) -> None:
    """Was: split at its commas ("studio" and "2026/gone.json"), the error naming neither."""
    path = f"{tmp_path}/{missing}"
    assert split_task_entries([path]) == [path]
    assert split_task_entries([f"garment,{path}, person"]) == ["garment", path, "person"]


def test_tasks_add_names_a_missing_path_with_a_comma_as_given(tmp_path: Path, comma_file: Path, capsys) -> None:
    root = tmp_path / "proj"
    Project.create(root, tasks=["garment"]).close()
    missing = comma_file.with_name("parts,v3.json")
    assert main(["tasks", str(root), "--add", f"parsing7,{missing}"]) == 1
    assert f"label set {missing}: file does not exist" in capsys.readouterr().err
    with Project.open(root) as project:
        assert project.tasks == ("garment",)
