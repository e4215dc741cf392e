"""Exports into a destination that fills up: no photo copy cut short, every error names the
destination file, and the images listed as failed before the export stopped stay listed."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.core import atomic
from fashion_annotator.dataset.formats.common import UNFINISHED_EXPORT
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (200, 300)

SIZE_LIMITED_EXPORT = """
import resource, signal, sys
from fashion_annotator.cli import main

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, hard))
sys.exit(main(["export", sys.argv[1], sys.argv[2], "--format", "labelme", "--task", "garment"]))
"""


def _masked_project(root: Path, write_photo, count: int) -> Project:
    """A garment project of ``count`` random photos of ``SHAPE`` (about 180 KB each), masked."""
    project = Project.create(root, tasks=("garment",))
    for i in range(count):
        rec = project.add_image(write_photo(root.parent / "src" / f"look{i}.png", SHAPE, seed=i))
        mask = np.zeros(SHAPE, np.uint8)
        mask[20:120, 40:200] = 1
        project.save_mask(rec.id, "garment", mask)
    return project


def test_photos_an_export_cannot_write_are_never_left_cut_short(tmp_path: Path, write_photo, run_child) -> None:
    """A fault injection (labelme into a small disk): 0-byte and cut-short photo copies, the
    export's unfinished mark removed (it passed for a finished partial export), and each
    error naming the project's own photo (``.../images/0005.jpg: No space left on device``)."""
    root, out = tmp_path / "p", tmp_path / "out"
    _masked_project(root, write_photo, 2).close()
    child = run_child(SIZE_LIMITED_EXPORT, str(root), str(out))
    assert child.returncode == 3, child.stdout + child.stderr[-3000:]
    copies = [p.name for p in out.iterdir() if p.name != UNFINISHED_EXPORT]
    assert copies == [], f"copies cut short at the size limit were left: {copies}"
    problems = [line.strip() for line in child.stderr.splitlines() if line.startswith("  ")]
    assert problems == [f"look{i}.png: {out / f'look{i}.png'}: File too large" for i in range(2)], child.stderr


CLOSING_FILES = {
    "plain": "labels.json",
    "coco": "annotations.json",
    "cvat": "annotations.xml",
    "voc": "default.txt",
    "labelstudio": "tasks.json",
    "yolo": "data.yaml",
}


@pytest.mark.parametrize("fmt", sorted(CLOSING_FILES))
def test_an_export_into_a_full_disk_names_the_file_and_keeps_the_images_it_listed(
    tmp_path: Path, write_photo, capsys, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A fault injection: these exports said only ``error: [Errno 28] No space left on device``
    (no file, no folder), and the images listed as failed before were not printed."""
    root, out = tmp_path / "p", tmp_path / "out"
    _masked_project(root, write_photo, 2).close()
    usage = shutil.disk_usage(tmp_path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: usage._replace(free=4096))
    assert main(["export", str(root), str(out), "--format", fmt, "--task", "garment"]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err.splitlines()
    problems = [line.strip() for line in err if line.startswith("  ")]
    assert len(problems) == 2 and all(f": {out}" in p and "the disk is full" in p for p in problems), err
    last = err[-1]
    assert last.startswith(f"fashion-annotator export: error: {out}") and CLOSING_FILES[fmt] in last, last
    assert "cannot write: the disk is full (0.0 MiB free" in last and "free at least 1.0 MiB" in last, last
    assert (out / UNFINISHED_EXPORT).is_file(), "a stopped export stays marked unfinished"
    assert not [p for p in out.rglob("*") if p.name.endswith(atomic.TMP_SUFFIX)]


@pytest.mark.parametrize(("fmt", "module", "annotation"), [
    ("yolo", "yolo", "look0.txt"), ("voc", "voc", "look0.png"), ("labelme", "labelme", "look0.json"),
])  # fmt: skip
def test_an_image_whose_annotation_cannot_be_written_leaves_no_photo_behind(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch, fmt: str, module: str, annotation: str
) -> None:
    """A review: the label file failed (a quota), the image was listed as not exported, but its
    photo stayed in the export, which then counted as finished: a YOLO trainer reads a photo
    without a label file as one with no garment on it."""
    import importlib

    from fashion_annotator.dataset.formats import export_project

    project = _masked_project(tmp_path / "p", write_photo, 2)
    formats = importlib.import_module(f"fashion_annotator.dataset.formats.{module}")
    writer = "atomic_write_bytes" if fmt == "voc" else "atomic_write_text"
    real = getattr(formats, writer)

    def refused(path, data, *args, **kwargs):
        if Path(path).name == annotation and Path(path).parent.name != "JPEGImages":
            raise OSError(errno.EDQUOT, "Disk quota exceeded", str(path))
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(formats, writer, refused)
    summary = export_project(project, tmp_path / "out", fmt, "garment")
    assert summary.count == 1 and [name for name, _ in summary.errors] == [project.images()[0].name]
    photos = sorted(p.name for p in (tmp_path / "out").rglob("look*") if p.suffix in {".png", ".jpg"}
                    and p.parent.name in {"images", "JPEGImages", "out"})  # fmt: skip
    assert photos == ["look1.png"], photos
    project.close()
