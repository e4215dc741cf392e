"""Two sessions add a label set of one name at the same moment: the second checked the project
before the first stored its own, and stored it after. Of the same classes it is the same task;
of other classes it is refused naming the task and the problem (was: the database's bare
``UNIQUE constraint failed: label_sets.task``), on a folder and a PostgreSQL project."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import create_project, open_project


def _other_classes(label_set_file: Path) -> Path:
    data = json.loads(label_set_file.read_text())
    data["classes"][3]["name"] = "zip"
    out = label_set_file.with_name("their_parts.json")
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def _race(location: str, mine: list[str | Path], theirs: Path) -> None:
    """Session ``b`` adds the tasks ``mine``; session ``a`` adds ``theirs`` once ``b`` has
    checked them."""
    with open_project(location) as a, open_project(location) as b:
        checked = b.label_sets.adding

        @contextlib.contextmanager
        def adding(tasks, present):
            with checked(tasks, present) as found:
                a.add_task(theirs)  # a colleague's, committed between b's check and b's transaction
                yield found

        b.label_sets.adding = adding  # type: ignore[method-assign]
        b.add_task(*mine)


def _two_sessions_add_one_name(location: str, label_set_file: Path) -> None:
    create_project(location, tasks=["garment"]).close()
    theirs = _other_classes(label_set_file)
    with pytest.raises(ProjectError) as refused:
        _race(location, [label_set_file], theirs)
    assert str(refused.value).endswith(
        ": task 'garment_parts' was added meanwhile (another session) with other classes, colours or keys "
        "(background, garment, label-tag, zip); nothing added: give your label set another name"
    )
    with open_project(location) as project:
        assert project.tasks == ("garment", "garment_parts")
        assert project.taxonomy("garment_parts").names == ["background", "garment", "label-tag", "zip"]
    again = location + "b"  # another project (a PostgreSQL URL ends in its project's name)
    create_project(again, tasks=["garment"]).close()
    _race(again, [theirs], theirs)  # the same classes: the same task, stored once
    with open_project(again) as project:
        assert project.tasks == ("garment", "garment_parts")
        assert project.taxonomy("garment_parts").names[3] == "zip"


def test_two_sessions_adding_one_label_set_name_to_a_folder_project(tmp_path: Path, label_set_file: Path) -> None:
    _two_sessions_add_one_name(str(tmp_path / "proj"), label_set_file)


def test_two_sessions_adding_one_label_set_name_to_a_postgres_project(pg_url: str, label_set_file: Path) -> None:
    _two_sessions_add_one_name(pg_url, label_set_file)


def _adding_several_is_all_or_nothing(location: str, label_set_file: Path) -> None:
    create_project(location, tasks=["garment"]).close()
    theirs = _other_classes(label_set_file)
    with pytest.raises(ProjectError, match="task 'garment_parts' was added meanwhile"):
        _race(location, ["parsing7", label_set_file, "person"], theirs)
    with open_project(location) as project:  # was: parsing7, added before garment_parts, stayed
        assert project.tasks == ("garment", "garment_parts")
    again = location + "b"
    create_project(again, tasks=["garment"]).close()
    _race(again, ["parsing7", theirs, "person", "parsing7"], theirs)
    with open_project(again) as project:
        assert project.tasks == ("garment", "garment_parts", "parsing7", "person")


def test_adding_several_tasks_to_a_folder_project_is_all_or_nothing(tmp_path: Path, label_set_file: Path) -> None:
    _adding_several_is_all_or_nothing(str(tmp_path / "proj"), label_set_file)


def test_adding_several_tasks_to_a_postgres_project_is_all_or_nothing(pg_url: str, label_set_file: Path) -> None:
    _adding_several_is_all_or_nothing(pg_url, label_set_file)
