"""A saved mask version is read back only as it was saved: its bytes against the SHA-256 the
index recorded, its decoded size against the photo's and its labels against the task's
taxonomy, on both backends. A fuzz replaced the newest version's file with a readable PNG (a
label of 77 on the binary garment task, or a 10x10 mask) and every reader took it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.records import MaskVersion, ProjectError
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.dataset.transfer import migrate_project

SHAPE = (24, 32)
CHANGED = r"changed (on disk|in the database) since it was saved \(SHA-256 differs"


def _png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, format="PNG")
    return buf.getvalue()


def _replace(project, version: MaskVersion, data: bytes, table: str = "mask_versions") -> None:
    """Put other bytes where ``version`` is stored: its file (SQLite), its row (PostgreSQL)."""
    if project.backend == "sqlite":
        version.path.write_bytes(data)
        return
    with project._db.tx() as conn:
        conn.execute(
            f"UPDATE {table} SET png = %s WHERE image_id = %s AND task = %s AND version = %s",
            (data, version.image_id, version.task, version.version),
        )


def _set_sha(project, version: MaskVersion, sha: str) -> None:
    """Give ``version``'s row another recorded SHA-256 (an index from elsewhere)."""
    mark = "?" if project.backend == "sqlite" else "%s"
    with project._tx() as conn:
        conn.execute(
            f"UPDATE mask_versions SET sha256 = {mark} WHERE image_id = {mark} AND task = {mark}"
            f" AND version = {mark}",
            (sha, version.image_id, version.task, version.version),
        )


@pytest.fixture
def two_versions(location, write_photo, tmp_path: Path):
    """A garment project with one image and two saved versions of its mask."""
    with create_project(location, tasks=("garment",), user="alice") as project:
        record = project.add_image(write_photo(tmp_path / "src" / "look.png", SHAPE))
        first = np.zeros(SHAPE, np.uint8)
        first[4:20, 6:22] = 1
        project.save_mask(record.id, "garment", first)
        second = first.copy()
        second[:3] = 1
        v2 = project.save_mask(record.id, "garment", second, status="done")
        yield project, record, first, second, v2


@pytest.mark.parametrize(
    "bad",
    [np.full(SHAPE, 77, np.uint8), np.ones((10, 10), np.uint8), np.zeros(SHAPE, np.uint8)],
    ids=["label-77", "10x10", "same-size-valid"],
)
def test_a_version_changed_behind_the_index_is_refused_naming_it(two_versions, bad) -> None:
    project, record, first, _, v2 = two_versions
    _replace(project, v2, _png(bad))
    with pytest.raises(ProjectError, match=CHANGED) as caught:
        project.load_mask(record.id, "garment")
    assert "v2.png" in str(caught.value) or "version 2" in str(caught.value)
    with pytest.raises(ProjectError, match=CHANGED):
        project.load_mask(record.id, "garment", 2)
    assert np.array_equal(project.load_mask(record.id, "garment", 1), first)
    with pytest.raises(ProjectError, match=CHANGED):
        list(project.training_masks("garment"))
    with pytest.raises(ProjectError, match=CHANGED):  # an import compares with the latest version
        project.save_import(record.id, "garment", np.ones(SHAPE, np.uint8))


def test_migrate_names_a_changed_version_and_the_copy_passes_over_it(two_versions, tmp_path: Path) -> None:
    project, record, first, _, v2 = two_versions
    _replace(project, v2, _png(np.full(SHAPE, 77, np.uint8)))
    report = migrate_project(project.location, tmp_path / "copy")
    ((line,),) = [report.changed]
    assert report.verified and re.search(CHANGED, line) and ("v2.png" in line or "version 2" in line)
    with open_project(tmp_path / "copy") as copy:
        with pytest.raises(ProjectError, match=CHANGED):
            copy.load_mask(record.id, "garment")
        assert np.array_equal(copy.load_mask(record.id, "garment", 1), first)


def test_a_row_without_a_hash_is_still_checked_for_size_and_labels(two_versions) -> None:
    """An index row with no SHA-256 (an empty or foreign value): the hash is not checked, the
    decoded mask still is."""
    project, record, _, second, v2 = two_versions
    for sha in ("", "not-a-sha"):
        _set_sha(project, v2, sha)
        assert np.array_equal(project.load_mask(record.id, "garment"), second)
    _replace(project, v2, _png(np.full(SHAPE, 77, np.uint8)))
    with pytest.raises(ProjectError, match=r"labels 77\.\.77 outside the taxonomy 'garment'"):
        project.load_mask(record.id, "garment")
    _replace(project, v2, _png(np.ones((10, 10), np.uint8)))
    with pytest.raises(ProjectError, match=r"shape \(10, 10\) differs from the photo's \(24, 32\)"):
        project.load_mask(record.id, "garment")


def test_a_recorded_proposal_is_checked_for_size_and_labels(location, write_photo, tmp_path) -> None:
    """Proposals record no hash (neither backend's table has one): what is decoded is checked."""
    with create_project(location, tasks=("garment",), user="alice") as project:
        record = project.add_image(write_photo(tmp_path / "src" / "look.png", SHAPE))
        proposal = project.save_proposal(record.id, "garment", np.ones(SHAPE, np.uint8), "1")
        stored = MaskVersion(record.id, "garment", proposal.version, proposal.path, "", "", 0, 0, "", 0)
        _replace(project, stored, _png(np.full(SHAPE, 9, np.uint8)), table="proposals")
        with pytest.raises(ProjectError, match=r"labels 9\.\.9 outside the taxonomy 'garment'"):
            project.load_proposal(record.id, "garment")


def test_an_instance_map_changed_behind_the_index_is_refused(location, write_photo, tmp_path) -> None:
    """Instance versions record a SHA-256 too: a map replaced by another of the photo's size
    (same shape: the one check there was) is refused, naming it; the earlier version still opens."""
    from fashion_annotator.instances.model import Instance, InstanceSet

    with create_project(location, user="alice") as project:
        record = project.add_image(write_photo(tmp_path / "src" / "look.png", SHAPE))
        imap = np.zeros(SHAPE, np.uint8)
        imap[2:9, 3:11] = 1
        jeans = Instance(1, parsing_class=4, category="jeans")
        project.save_instances(record.id, InstanceSet(imap, {1: jeans}), source="model")
        saved = project.save_instances(record.id, InstanceSet(imap, {1: jeans}))
        other = _png(np.ones(SHAPE, np.uint8))
        if project.backend == "sqlite":
            saved.path.write_bytes(other)
        else:
            with project._db.tx() as conn:
                conn.execute("UPDATE instance_versions SET png = %s WHERE image_id = %s AND version = %s",
                             (other, record.id, saved.version))  # fmt: skip
        with pytest.raises(ProjectError, match=CHANGED) as caught:
            project.load_instances(record.id)
        assert f"v{saved.version}.png" in str(caught.value) or f"version {saved.version}" in str(caught.value)
        assert np.array_equal(project.load_instances(record.id, saved.version - 1).map, imap)
