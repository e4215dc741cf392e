"""A label set's name becomes mask folders and model files (``masks/<id>/<task>/``,
``models/<task>/``, ``resources/models/<task>.safetensors``): on Windows and macOS, whose
folders ignore letter case, a name differing from another only in case names the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project


def _label_set(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.json"
    classes = [{"name": "background", "color": [0, 0, 0]}, {"name": "top", "color": [200, 10, 10]}]
    path.write_text(json.dumps({"name": name, "classes": classes}), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["Garment", "PARSING7", "Click", "Instances"])
def test_a_label_set_named_as_a_shipped_task_in_other_letters_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ProjectError, match=f"{name!r}.*only in letter case"):
        Project.create(tmp_path / "proj", tasks=("garment", _label_set(tmp_path, name)))
    assert not (tmp_path / "proj" / "project.sqlite").exists()


def test_a_label_set_named_as_a_shipped_model_is_refused(tmp_path: Path) -> None:
    """``instance_categories`` is no taxonomy, but the proposals of a task without a project
    model come from ``resources/models/<task>.safetensors``: the instance classifier."""
    with pytest.raises(ProjectError, match="'instance_categories'.*shipped model"):
        Project.create(tmp_path / "proj", tasks=(_label_set(tmp_path, "instance_categories"),))


def test_two_label_sets_differing_only_in_letter_case_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    upper = _label_set(tmp_path / "a", "Parts")
    with pytest.raises(ProjectError, match="'parts' and 'Parts'.*letter case"):
        Project.create(tmp_path / "proj", tasks=(_label_set(tmp_path, "parts"), upper))


def test_a_label_set_of_its_own_name_is_still_made(tmp_path: Path) -> None:
    with Project.create(tmp_path / "proj", tasks=("garment", _label_set(tmp_path, "studio_parts"))) as project:
        assert project.tasks == ("garment", "studio_parts")
