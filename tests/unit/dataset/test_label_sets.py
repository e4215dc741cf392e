"""A studio's own label set: `new --tasks garment,PATH.json`, stored in the project, checked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.core.tasks import primary_metric, task_title
from fashion_annotator.dataset import schema
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project, open_project
from fashion_annotator.resources import resource_path

PARTS = ["background", "garment", "label-tag", "hanger"]


def _parts(**changes) -> dict:
    data = {
        "name": "garment_parts",
        "classes": [
            {"name": n, "color": [i * 40, 200 - i * 30, i * 10], "shortcut": str(i + 1)}
            for i, n in enumerate(PARTS)
        ],
    }
    data.update(changes)
    return data


def test_new_with_a_label_set_file_stores_it(tmp_path: Path, write_photo, label_set_file: Path, capsys) -> None:
    write_photo(tmp_path / "photos" / "a.png")
    proj = tmp_path / "proj"
    tasks = f"garment,{label_set_file}"
    assert main(["new", str(proj), "--images", str(tmp_path / "photos"), "--tasks", tasks]) == 0
    label_set_file.unlink()  # the project keeps its own copy
    with open_project(proj) as project:
        assert project.tasks == ("garment", "garment_parts")
        taxonomy = project.taxonomy("garment_parts")
        assert taxonomy.names == PARTS
        assert taxonomy.classes[3].color == (0, 130, 200) and taxonomy.classes[3].shortcut == "4"
        assert project.taxonomy("garment") == load_taxonomy("garment")
        assert task_title("garment_parts") == "Garment parts"
        assert primary_metric("garment_parts", False) == "miou"
        image = project.images()[0]
        mask = np.zeros((image.height, image.width), np.uint8)
        mask[2:10, 3:12] = 3
        project.save_mask(image.id, "garment_parts", mask, status="done")
        with pytest.raises(ValueError, match="labels 4..7 outside the taxonomy 'garment_parts' \\(0..3\\)"):
            project.save_mask(image.id, "garment_parts", mask + 4)
    with Project.open(proj) as project:
        np.testing.assert_array_equal(project.load_mask(image.id, "garment_parts"), mask)
        assert schema.schema_version(project._conn) == schema.SCHEMA_VERSION == 5
    assert main(["info", str(proj), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["tasks"] == {"garment": 0, "garment_parts": 1}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"name": "garment_parts", "classes": [', "invalid JSON"),
        (_parts(classes=[]), "'classes' must be a non-empty list"),
        (_parts(classes=_parts()["classes"][1:] + _parts()["classes"][:1]), "first class must be 'background'"),
        (_parts(classes=[*_parts()["classes"], {**_parts()["classes"][1], "color": [1, 2, 3], "shortcut": ""}]),
         "duplicate class names ['garment']"),
        (_parts(classes=[*_parts()["classes"][:3], {**_parts()["classes"][3], "color": [0, 200, 0]}]),
         "share the colour [0, 200, 0]"),
        (_parts(classes=[*_parts()["classes"][:3], {**_parts()["classes"][3], "shortcut": "2"}]),
         "['garment', 'hanger'] share the shortcut '2'"),
        (_parts(classes=[*_parts()["classes"][:3], {**_parts()["classes"][3], "shortcut": "F5"}]),
         "has shortcut 'F5'"),
        (_parts(name="parsing7"), "'parsing7' is a shipped task with other classes"),
        (_parts(name="our parts/v2"), "must start with a letter and hold only letters, digits"),
        (_parts(name="click"), "reserved"),
        (_parts(task={"refinements": ["snap"]}), "may set title and primary_metric only, not refinements"),
        (_parts(task={"title": "Garment\nparts"}), "task 'title' 'Garment\\nparts' has control characters"),
        (_parts(task={"title": "Garment parts\t"}), "has control characters or spaces at its ends"),
        (_parts(task={"title": " Garment parts"}), "task 'title' ' Garment parts' has control characters or spaces"),
        (_parts(task={"title": "G" * 41}), "task 'title' has 41 characters; 40 at most"),
    ],
)
def test_a_bad_label_set_is_refused_naming_file_and_problem(
    tmp_path: Path, write_photo, content: str | dict, problem: str, capsys
) -> None:
    path = tmp_path / "ours.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    write_photo(tmp_path / "photos" / "a.png")
    proj = tmp_path / "proj"
    assert main(["new", str(proj), "--images", str(tmp_path / "photos"), "--tasks", f"garment,{path}"]) == 1
    err = capsys.readouterr().err
    assert f"label set {path}: " in err and problem in err
    assert not (proj / "project.sqlite").exists()


def test_a_shipped_taxonomy_file_is_the_shipped_task(tmp_path: Path) -> None:
    shipped = json.loads(resource_path("taxonomies", "garment.json").read_text(encoding="utf-8"))
    path = tmp_path / "garment.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")
    with Project.create(tmp_path / "proj", tasks=[str(path)]) as project:
        assert project.tasks == ("garment",)
        assert project.label_sets.specs == {}
        assert project._conn.execute("SELECT COUNT(*) FROM label_sets").fetchone()[0] == 0


def test_an_older_program_refuses_the_project(tmp_path: Path, label_set_file: Path, monkeypatch) -> None:
    Project.create(tmp_path / "proj", tasks=["garment", label_set_file]).close()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 4)  # the program before label sets
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
    with pytest.raises(ProjectError, match="schema version 5 is newer than this program supports"):
        Project.open(tmp_path / "proj")


def test_a_project_of_the_previous_schema_opens_and_upgrades(tmp_path: Path) -> None:
    Project.create(tmp_path / "proj", tasks=["garment"]).close()
    conn = sqlite3.connect(tmp_path / "proj" / "project.sqlite")
    conn.executescript("DROP TABLE label_sets; PRAGMA user_version = 4;")
    conn.close()
    with Project.open(tmp_path / "proj") as project:
        assert project.tasks == ("garment",)
        assert schema.schema_version(project._conn) == 5
        assert project.label_sets.specs == {}


def test_a_damaged_stored_label_set_is_named(tmp_path: Path, label_set_file: Path) -> None:
    Project.create(tmp_path / "proj", tasks=["garment", label_set_file]).close()
    conn = sqlite3.connect(tmp_path / "proj" / "project.sqlite")
    conn.execute("UPDATE label_sets SET definition = '{\"name\": \"garment_parts\"}'")
    conn.commit()
    conn.close()
    with Project.open(tmp_path / "proj") as project:  # the other tasks stay usable
        assert project.taxonomy("garment") == load_taxonomy("garment")
        with pytest.raises(ProjectError, match="label set 'garment_parts': 'classes' must be a non-empty list"):
            project.taxonomy("garment_parts")


def test_postgres_project_stores_its_label_set(pg_url: str, label_set_file: Path, write_photo, tmp_path) -> None:
    from fashion_annotator.dataset.postgres import schema as pg_schema
    from fashion_annotator.dataset.store import create_project

    with create_project(pg_url, tasks=["garment", str(label_set_file)]) as project:
        record = project.add_image(write_photo(tmp_path / "a.png"))
        mask = np.zeros((record.height, record.width), np.uint8)
        mask[1:5, 1:9] = 2
        project.save_mask(record.id, "garment_parts", mask)
    with open_project(pg_url) as project:
        assert project.tasks == ("garment", "garment_parts")
        assert project.taxonomy("garment_parts").names == PARTS
        np.testing.assert_array_equal(project.load_mask(record.id, "garment_parts"), mask)
        version = project._db.query("SELECT value FROM meta WHERE key = 'schema_version'")[0]["value"]
        assert int(version) == pg_schema.SCHEMA_VERSION == 4


def test_migrate_copies_a_label_set_to_postgres_and_back(pg_url: str, label_set_file: Path, write_photo, tmp_path) -> None:
    from fashion_annotator.dataset.transfer import migrate_project

    folder = tmp_path / "proj"
    with Project.create(folder, tasks=["garment", label_set_file]) as project:
        record = project.add_image(write_photo(tmp_path / "a.png"))
        mask = np.zeros((record.height, record.width), np.uint8)
        mask[3:9, 2:20] = 3
        project.save_mask(record.id, "garment_parts", mask)
    there = migrate_project(folder, pg_url)
    assert there.verified and there.counts["label_sets"] == 1
    back = migrate_project(pg_url, tmp_path / "back")
    assert back.verified and back.counts["label_sets"] == 1
    with Project.open(tmp_path / "back") as project:
        assert project.tasks == ("garment", "garment_parts")
        assert project.taxonomy("garment_parts").names == PARTS
        np.testing.assert_array_equal(project.load_mask(record.id, "garment_parts"), mask)
