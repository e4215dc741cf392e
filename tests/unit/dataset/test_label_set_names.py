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


def test_a_shipped_tasks_classes_in_other_colours_are_not_said_to_be_other_classes(tmp_path: Path) -> None:
    """A copy of the shipped garment.json with its colours changed was refused as "a shipped
    task with other classes (background, garment)": the very classes the file listed."""
    from fashion_annotator.core.labels import load_taxonomy

    classes = [{"name": c.name, "color": [255 - v for v in c.color], "shortcut": c.shortcut}
               for c in load_taxonomy("garment").classes]  # fmt: skip
    path = tmp_path / "garment.json"
    path.write_text(json.dumps({"name": "garment", "classes": classes}), encoding="utf-8")
    with pytest.raises(ProjectError, match="'garment' is a shipped task with other colours or keys") as refused:
        Project.create(tmp_path / "proj", tasks=(path,))
    assert "Preferences" in str(refused.value)
