"""A photo copied into a project's ``images/`` and later replaced by another file: never paired
with the masks drawn on the photo that was added (the window, an export, a QA report, a
re-score, a retrain)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project, ProjectError

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


def test_a_copied_photo_replaced_in_images_is_not_paired_with_its_masks(
    tmp_path: Path, write_photo
) -> None:
    """Found by a tester: another photo of the same size written over ``images/0001.jpg`` was
    exported under the old masks (rc 0, no warning) and opened in the window under them."""
    from fashion_annotator.annotate.session import load_document
    from fashion_annotator.dataset.training_set import select_training_masks
    from fashion_annotator.qa.report import build_html
    from fashion_annotator.qa.scores import score_project
    from fashion_annotator.segmentation.pipeline import propose_for_image

    root = tmp_path / "p"
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:12, 5:20] = 1
    with Project.create(root, tasks=("garment",)) as project:
        replaced = project.add_image(write_photo(tmp_path / "src" / "look.png", SHAPE, seed=1))
        kept = project.add_image(write_photo(tmp_path / "src" / "other.png", SHAPE, seed=2))
        for rec in (replaced, kept):
            project.save_proposal(rec.id, "garment", mask, "v1")
            project.save_mask(rec.id, "garment", mask, status="done", actions=3)
        stored = Path(replaced.path)
        earlier = stored.read_bytes()
        write_photo(tmp_path / "new.png", SHAPE, seed=3).replace(stored)  # same name, same size

        with pytest.raises(ProjectError, match=r"look\.png: the file changed since it was added") as err:
            load_document(project, replaced.id)
        assert "copy the photo that was added" in str(err.value)  # what to do
        load_document(project, kept.id)
        with pytest.raises(ProjectError, match="changed since it was added"):
            propose_for_image(project, replaced.id, predictor=None)  # a QA re-score's proposal
        selection = select_training_masks(project, "garment")
        assert [it.image_id for it in selection.items()] == [kept.id]
        assert "changed since it was added" in selection.unreadable[0][1]
        summary = export_project(project, tmp_path / "out", "plain")
        assert summary.count == 1 and summary.errors[0][0] == replaced.name
        assert "changed since it was added" in summary.errors[0][1]
        assert not (tmp_path / "out" / "images" / stored.name).exists()
        document = build_html(project, "garment", score_project(project, "garment"))
        assert "no picture: " in document and "changed since it was added" in document

        stored.write_bytes(earlier)  # the photo that was added put back
        load_document(project, replaced.id)
        assert export_project(project, tmp_path / "out2", "plain").count == 2


def test_a_copy_that_kept_the_mtime_and_size_is_still_caught(tmp_path: Path, write_photo) -> None:
    """The hash is kept per file state: a replacement that kept the earlier file's size and
    modification time (``cp -p``) in a long-running window is still read again."""
    from fashion_annotator.dataset.storeio import referenced_photo_changed

    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE, seed=1))
        stored = Path(rec.path)
        assert referenced_photo_changed(rec, project.root) is None
        before = stored.stat()
        other = bytearray(stored.read_bytes())
        other[len(other) // 2] ^= 0xFF  # one byte other: same size
        stored.write_bytes(bytes(other))
        os.utime(stored, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert "changed since it was added" in (referenced_photo_changed(rec, project.root) or "")


def test_a_second_look_at_more_than_8192_photos_reads_none_of_them(tmp_path: Path, monkeypatch) -> None:
    """A review: the hashes were kept in a least-recently-used cache of 8,192 entries, so a
    second pass over a larger project (an export after a QA report) found none and read and
    hashed every photo again. Each file keeps its last hash until its stat changes."""
    from fashion_annotator.dataset import storeio

    files = []
    for i in range(8200):
        path = tmp_path / f"{i:05d}.jpg"
        path.write_bytes(i.to_bytes(4, "little"))
        files.append(path)
    reads: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))

    def look() -> None:
        for path in files:
            info = path.stat()
            storeio._file_sha256(str(path), (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size))

    look()
    assert len(reads) == 8200
    reads.clear()
    look()
    assert reads == [], f"{len(reads)} photos read again"
    files[7].write_bytes(b"another photo")  # a changed file is read again
    look()
    assert reads == ["00007.jpg"]


@pytest.mark.parametrize("fmt", ["plain", "coco"])
def test_an_export_reads_only_the_photos_with_a_mask(tmp_path: Path, write_photo, monkeypatch, fmt) -> None:
    """A review: the photo-changed check ran before the mask lookup, so an export read and
    hashed every photo of the project (20,000 for 500 masks). 5 photos, 1 mask: 1 read."""
    from fashion_annotator.dataset import storeio

    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        records = [project.add_image(write_photo(tmp_path / "src" / f"look{i}.png", SHAPE, seed=i)) for i in range(5)]
        project.save_mask(records[2].id, "garment", np.ones(SHAPE, np.uint8), status="done")
        monkeypatch.setattr(storeio, "_HASHED", {})  # nothing known: each check reads its photo
        hashed: list[str] = []
        real = storeio._file_sha256
        monkeypatch.setattr(storeio, "_file_sha256", lambda path, changed: hashed.append(Path(path).name) or real(path, changed))
        summary = export_project(project, tmp_path / "out", fmt)
    assert summary.count == 1 and len(summary.skipped) == 4
    assert hashed == [Path(records[2].path).name]
