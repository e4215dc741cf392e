"""A YOLO ``data.yaml`` whose class name is a list or a map is refused at once.

Written out with ``str()``, a name built of nested YAML aliases (a few lines, the "billion
laughs") grew to gigabytes: the import ran out of memory instead of naming the file.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project


def _yolo(src: Path, write_photo, names: str) -> None:
    write_photo(src / "images" / "look.png", (24, 32))
    (src / "labels").mkdir(parents=True)
    (src / "labels" / "look.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n")
    (src / "data.yaml").write_text(names)


def test_a_class_name_built_of_nested_aliases_is_refused_quickly(project: Project, tmp_path: Path, write_photo) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    _yolo(tmp_path, write_photo, "\n".join([*lines, "names: [*a8]"]) + "\n")  # 10^9 x's written out
    started = time.monotonic()
    with pytest.raises(ValueError, match=r"data\.yaml: class 0's name is a list, not a name"):
        import_source(project, tmp_path, "yolo")
    assert time.monotonic() - started < 10


def test_a_class_name_that_is_a_map_is_refused(project: Project, tmp_path: Path, write_photo) -> None:
    _yolo(tmp_path, write_photo, "names:\n  0: {a: 1}\n")
    with pytest.raises(ValueError, match=r"data\.yaml: class 0's name is a map, not a name"):
        import_source(project, tmp_path, "yolo")


def test_scalar_class_names_still_import(project: Project, tmp_path: Path, write_photo) -> None:
    _yolo(tmp_path, write_photo, "names: [top, 7]\n")
    assert import_source(project, tmp_path, "yolo", "parsing7").masks == 1
