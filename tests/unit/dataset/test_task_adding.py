"""`fashion-annotator tasks P --add garment,PATH.json`: a shipped task or a studio's label set
added to an existing project, on a folder and on a PostgreSQL project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project, create_project, open_project

PARTS = ["background", "garment", "label-tag", "hanger"]


def _project_with_a_done_mask(location: str | Path, photo: Path) -> int:
    with create_project(location, tasks=["garment"]) as project:
        record = project.add_image(photo)
        mask = np.zeros((record.height, record.width), np.uint8)
        mask[2:9, 3:11] = 1
        project.save_mask(record.id, "garment", mask, status="done")
        return record.id


def _adds_a_label_set(location: str, label_set_file: Path, photo: Path, capsys) -> None:
    image_id = _project_with_a_done_mask(location, photo)
    with open_project(location) as before:  # a session open meanwhile (a window, a colleague)
        assert main(["tasks", location, "--add", f"garment,parsing7,{label_set_file}"]) == 0
        out = capsys.readouterr().out
        assert "garment: already a task of the project" in out
        assert "added task garment_parts (Garment parts: background, garment, label-tag, hanger)" in out
        rows = {line.split()[0]: line.split() for line in out.splitlines()}
        assert rows["garment_parts"] == ["garment_parts", "Garment", "parts", "4", "0", "1", "label", "set"]
        assert rows["garment"][-2:] == ["0", "shipped"]  # the done photo has its garment mask
        assert ('1 image marked done has no mask of garment_parts: the window\'s image list shows it '
                'with the filter "Done, no mask of Garment parts"') in out
        label_set_file.unlink()  # the project keeps its own copy
        assert before.tasks == ("garment", "parsing7", "garment_parts")
        assert before.taxonomy("garment_parts").names == PARTS  # read again, not "unknown task"
    with open_project(location) as project:
        assert project.tasks == ("garment", "parsing7", "garment_parts")
        assert project.taxonomy("garment_parts").classes[3].color == (0, 130, 200)
        assert project.image(image_id).status == "done"
        assert project.load_mask(image_id, "garment_parts") is None  # none until it is painted
        assert project.task_counts() == {"garment": 1, "parsing7": 0, "garment_parts": 0}
        assert project.label_sets.without_mask() == {"parsing7": [image_id], "garment_parts": [image_id]}
        mask = np.zeros(project.image(image_id).shape, np.uint8)
        mask[1:4, 1:6] = 3
        project.save_mask(image_id, "garment_parts", mask)
        assert project.label_sets.without_mask() == {"parsing7": [image_id]}
        project.add_task("garment_parts")  # present: nothing (an import names its task so)
        np.testing.assert_array_equal(project.load_mask(image_id, "garment_parts"), mask)


def test_tasks_add_stores_a_label_set_in_a_folder_project(tmp_path: Path, label_set_file: Path, write_photo,
                                                          capsys) -> None:  # fmt: skip
    _adds_a_label_set(str(tmp_path / "proj"), label_set_file, write_photo(tmp_path / "a.png"), capsys)
    with Project.open(tmp_path / "proj") as project:
        stored = project._conn.execute("SELECT task, definition FROM label_sets").fetchall()
        assert [r[0] for r in stored] == ["garment_parts"] and json.loads(stored[0][1])["name"] == "garment_parts"


def test_tasks_add_stores_a_label_set_in_a_postgres_project(pg_url: str, label_set_file: Path, write_photo,
                                                            tmp_path: Path, capsys) -> None:  # fmt: skip
    _adds_a_label_set(pg_url, label_set_file, write_photo(tmp_path / "a.png"), capsys)


def _variant(path: Path, **changes) -> Path:
    data = json.loads(path.read_text())
    data.update(changes)
    if "colour" in changes:
        data["classes"][2]["color"] = changes.pop("colour")
        del data["colour"]
    out = path.with_name(f"v{len(list(path.parent.glob('v*.json')))}.json")
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (lambda f: f.with_name("missing.json"), "label set {dir}/missing.json: file does not exist"),
        (lambda f: _variant(f, classes=[]), "label set {dir}/v0.json: 'classes' must be a non-empty list"),
        (lambda f: "nope", "unknown task 'nope'"),
        (lambda f: "Garment", "unknown task 'Garment'"),
        (lambda f: _variant(f, name="Garment_Parts"), "its task 'garment_parts' and 'Garment_Parts' differ only in letter case"),
        (lambda f: _variant(f, colour=[1, 2, 3]), "it has a task 'garment_parts' of other classes, colours or keys"),
    ],
)
def test_tasks_add_refuses_naming_the_problem_and_adds_nothing(
    tmp_path: Path, label_set_file: Path, write_photo, capsys, entry, problem: str
) -> None:
    root = tmp_path / "proj"
    Project.create(root, tasks=["garment", label_set_file]).close()
    assert main(["tasks", str(root), "--add", f"parsing7,{entry(label_set_file)}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fashion-annotator tasks: error: ") and problem.format(dir=tmp_path) in err
    with Project.open(root) as project:
        assert project.tasks == ("garment", "garment_parts")  # parsing7, checked first, not added


def test_tasks_lists_without_adding(tmp_path: Path, label_set_file: Path, capsys) -> None:
    root = tmp_path / "proj"
    Project.create(root, tasks=["garment", label_set_file]).close()
    assert main(["tasks", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["task", "title", "classes", "masks", "done-no-mask", "kind"]
    assert lines[1].split() == ["garment", "Garment", "cutout", "2", "0", "0", "shipped"]
    assert main(["tasks", str(root), "--add", " , "]) == 1
    assert "--add: no task given" in capsys.readouterr().err


def test_an_import_into_a_project_without_the_label_set_says_how_to_add_it(
    tmp_path: Path, label_set_file: Path, write_photo, capsys
) -> None:
    """An export of a label set imported into a project made without it said only "unknown
    task 'garment_parts': no such taxonomy (... available: [the shipped ones])"."""
    source = tmp_path / "source"
    with Project.create(source, tasks=[label_set_file]) as project:
        record = project.add_image(write_photo(tmp_path / "a.png"))
        project.save_mask(record.id, "garment_parts", np.ones((record.height, record.width), np.uint8))
    assert main(["export", str(source), str(tmp_path / "out"), "--format", "plain"]) == 0
    target = tmp_path / "target"
    Project.create(target, tasks=["garment"]).close()
    assert main(["import", str(target), str(tmp_path / "out"), "--format", "plain", "--taxonomy", "garment_parts"]) == 1
    assert "`tasks PROJECT --add PATH.json` for a project made without it" in capsys.readouterr().err
    assert main(["tasks", str(target), "--add", str(label_set_file)]) == 0
    assert main(["import", str(target), str(tmp_path / "out"), "--format", "plain", "--taxonomy", "garment_parts"]) == 0
    with Project.open(target) as project:
        assert project.task_counts()["garment_parts"] == 1


def test_tasks_add_of_several_adds_none_when_one_is_refused_meanwhile(
    tmp_path: Path, label_set_file: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague adds a label set of one of the names, with other classes, once the command
    has checked its tasks: was, parsing7 (stored first) stayed though the command failed."""
    from fashion_annotator.dataset.label_sets import ProjectLabelSets

    root = tmp_path / "proj"
    Project.create(root, tasks=["garment"]).close()
    theirs = _variant(label_set_file, colour=[1, 2, 3])
    check_new = ProjectLabelSets.check_new
    colleague: list[str] = []

    def checked_then_a_colleague_adds(self, specs, tasks) -> None:
        check_new(self, specs, tasks)
        if not colleague:
            colleague.append("added")
            with Project.open(root) as other:
                other.add_task(theirs)

    monkeypatch.setattr(ProjectLabelSets, "check_new", checked_then_a_colleague_adds)
    assert main(["tasks", str(root), "--add", f"parsing7,{label_set_file},person"]) == 1
    with Project.open(root) as project:
        assert project.tasks == ("garment", "garment_parts")
        assert project.taxonomy("garment_parts").classes[2].color == (1, 2, 3)  # the colleague's
    err = capsys.readouterr().err
    assert "task 'garment_parts' was added meanwhile (another session)" in err and "nothing added" in err
