"""A photo an import cannot read, or cannot copy into the project, is refused in one line that
names it once, with the problem, as every other import refusal does (``PATH: problem``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.atomic import full_disk_error
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.photo_imports import copy_error
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)

IMPORT = """
import json, sys
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.core.atomic import full_disk_error
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.photo_imports import copy_error
from fashion_annotator.dataset.store import Project

with Project.open(sys.argv[1]) as project:
    summary = import_source(project, sys.argv[2], sys.argv[3])
print(json.dumps(summary.errors))
"""


def _errors(run_child, unprivileged: list[str], root: Path, src: Path, fmt: str) -> list[tuple[str, str]]:
    """``summary.errors`` of importing ``src`` as ``fmt`` into ``root``, file permissions enforced."""
    child = run_child(IMPORT, str(root), str(src), fmt, prefix=tuple(unprivileged))
    assert child.returncode == 0, child.stderr[-3000:]
    return [tuple(pair) for pair in json.loads(child.stdout.strip().splitlines()[-1])]


def test_a_cutout_that_cannot_be_read_is_named_once(
    tmp_path: Path, write_photo, run_child, unprivileged: list[str], ledger
) -> None:
    """It said ``PATH: cannot read file ([Errno 13] Permission denied: 'PATH')``."""
    ledger.try_("import", "unreadable cutout")
    Project.create(tmp_path / "proj", tasks=("garment",)).close()
    cutout = tmp_path / "cutouts" / "look.png"
    cutout.parent.mkdir()
    Image.fromarray(np.full((*SHAPE, 4), 200, np.uint8), "RGBA").save(cutout)
    cutout.chmod(0)
    try:
        errors = _errors(run_child, unprivileged, tmp_path / "proj", cutout.parent, "alpha")
    finally:
        cutout.chmod(0o644)
    assert errors == [(str(cutout), "cannot read: Permission denied")]
    ledger.handled("import", "unreadable cutout")


def test_a_photo_that_cannot_be_copied_into_the_project_is_named_once(
    tmp_path: Path, write_photo, run_child, unprivileged: list[str], ledger
) -> None:
    """It said ``SRC: PROJECT/images/look.png: cannot copy the photo: Permission denied`` (on a
    full disk ``PROJECT/images/look.png`` twice and its folder a third time)."""
    ledger.try_("import", "photo not copyable into the project")
    root = tmp_path / "proj"
    Project.create(root, tasks=("garment",)).close()
    photo = write_photo(tmp_path / "src" / "look.png", SHAPE)
    (root / "images").chmod(0o555)
    try:
        errors = _errors(run_child, unprivileged, root, photo.parent, "photos")
    finally:
        (root / "images").chmod(0o755)
    assert errors == [(str(photo), f"cannot copy it into {root / 'images'}: Permission denied")]
    ((_, problem),) = errors
    assert str(photo) not in problem and "look.png" not in problem
    ledger.handled("import", "photo not copyable into the project")


def test_a_photo_that_cannot_be_read_is_named_once(
    tmp_path: Path, write_photo, run_child, unprivileged: list[str]
) -> None:
    Project.create(tmp_path / "proj", tasks=("garment",)).close()
    photo = write_photo(tmp_path / "src" / "look.png", SHAPE)
    photo.chmod(0)
    try:
        errors = _errors(run_child, unprivileged, tmp_path / "proj", photo.parent, "photos")
    finally:
        photo.chmod(0o644)
    assert errors == [(str(photo), "cannot read: Permission denied")]


def test_a_copy_a_full_disk_refused_names_the_photo_and_the_folder_once(tmp_path: Path) -> None:
    """The full-disk error names the file it wrote and its folder; the copy's message put its
    own ``DEST: cannot copy the photo:`` before it (the destination twice, its folder once more)."""
    src, dest = tmp_path / "src" / "look.png", tmp_path / "proj" / "images" / "look.png"
    dest.parent.mkdir(parents=True)
    text = str(copy_error(src, dest, full_disk_error(dest, 1 << 20)))
    assert text.startswith(f"{src}: cannot copy it into the project: the disk is full ("), text
    assert text.endswith("free at least 1.0 MiB and try again"), text
    assert text.count(str(dest.parent)) == 1 and str(dest) not in text, text


def test_a_coco_file_that_is_not_there_is_named_once(project: Project, tmp_path: Path) -> None:
    """It said ``PATH: not a readable COCO JSON ([Errno 2] No such file or directory: 'PATH')``."""
    path = tmp_path / "coco" / "instances_val.json"
    with pytest.raises(ValueError) as caught:
        import_source(project, path, "coco")
    assert str(caught.value) == f"{path}: not a readable COCO JSON (No such file or directory)"
