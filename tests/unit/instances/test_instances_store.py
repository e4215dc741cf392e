"""Instances in the project store: versions, atomic saves, validation, the v1 -> v2 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset import schema
from fashion_annotator.dataset.store import (
    INDEX_NAME,
    Project,
    ProjectError,
    create_project,
    open_project,
)
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import load_instance_taxonomy


def _set(parsing: np.ndarray) -> InstanceSet:
    d = propose_instances(parsing, load_taxonomy("parsing7"), load_instance_taxonomy())
    insts = {
        k: Instance(k, c, category="jeans" if c == 5 else None, proposed_category="pants" if c == 5 else None,
                    category_score=0.7, attributes={"fabric": "denim"} if c == 5 else {}, colour="blue",
                    colour_rgb=(40, 70, 180))
        for k, c in enumerate(d.classes, start=1)
    }  # fmt: skip
    return InstanceSet(d.map, insts)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new project's location on each store: a folder, or a PostgreSQL project URL."""
    if request.param == "sqlite":
        return str(tmp_path / "p")
    return request.getfixturevalue("pg_url")


def test_save_load_versions(location: str, ccp_dir: Path, ccp_photo: dict) -> None:
    with create_project(location, user="ann") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        assert proj.load_instances(rec.id) is None
        iset = _set(ccp_photo["parsing"])
        v1 = proj.save_instances(rec.id, iset, source="model")
        assert v1.version == 1 and v1.path.is_file() and v1.n_instances == len(iset.instances)
        jeans = next(k for k, i in iset.instances.items() if i.category == "jeans")
        iset.instances[jeans].attributes["fit"] = "tight"
        gone = next(k for k in iset.instances if k != jeans)
        del iset.instances[gone]
        iset.map[iset.map == gone] = 0
        proj.save_instances(rec.id, iset)
    with open_project(location, user="bob") as proj:
        assert [v.version for v in proj.instance_versions(rec.id)] == [1, 2]
        assert [v.user for v in proj.instance_versions(rec.id)] == ["ann", "ann"]
        back = proj.load_instances(rec.id)
        assert np.array_equal(back.map, iset.map)
        assert back.instances[jeans].attributes == {"fabric": "denim", "fit": "tight"}
        assert back.instances[jeans].category_changed and back.instances[jeans].colour_rgb == (40, 70, 180)
        first = proj.load_instances(rec.id, version=1)
        assert len(first.instances) == v1.n_instances
        assert proj.images_with_instances() == [rec.id]


def test_bad_sets_are_refused_and_nothing_recorded(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    with Project.create(tmp_path / "p") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        iset = _set(ccp_photo["parsing"])
        iset.instances[1].category = "cloak"
        with pytest.raises(ValueError, match="0019.jpg.*category 'cloak'"):
            proj.save_instances(rec.id, iset)
        iset = _set(ccp_photo["parsing"])
        del iset.instances[1]
        with pytest.raises(ValueError, match=r"ids \[1\] with no instance record"):
            proj.save_instances(rec.id, iset)
        with pytest.raises(ValueError, match="map must be"):
            proj.save_instances(rec.id, InstanceSet(np.zeros((4, 4), np.uint8)))
        iset = _set(ccp_photo["parsing"])
        iset.instances = {k + 1: i for k, i in iset.instances.items()}  # records under the wrong ids
        with pytest.raises(ValueError, match="0019.jpg.*instance record 2 says it is instance 1"):
            proj.save_instances(rec.id, iset)
        assert proj.instance_versions(rec.id) == []


def test_a_saved_instance_map_of_another_size_is_refused_on_load(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    from fashion_annotator.core.label_images import encode_mask_png

    with Project.create(tmp_path / "p") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        proj.save_instances(rec.id, _set(ccp_photo["parsing"]))
        path = proj.instance_versions(rec.id)[-1].path
        path.write_bytes(encode_mask_png(np.zeros((20, 30), np.uint8)))
        with pytest.raises(ProjectError, match=r"v1.png: the saved instance map is 30x20, the photo"):
            proj.load_instances(rec.id)


def test_failed_write_keeps_earlier_versions(tmp_path: Path, ccp_dir: Path, ccp_photo: dict, monkeypatch) -> None:
    from fashion_annotator.dataset import mask_files

    with Project.create(tmp_path / "p") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        iset = _set(ccp_photo["parsing"])
        proj.save_instances(rec.id, iset)

        def full_disk(path, data):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(mask_files, "atomic_create_bytes", full_disk)  # the one mask-file write
        with pytest.raises(ProjectError, match="nothing was recorded"):
            proj.save_instances(rec.id, iset)
        assert [v.version for v in proj.instance_versions(rec.id)] == [1]
        assert np.array_equal(proj.load_instances(rec.id).map, iset.map)


def test_index_before_instances_is_migrated(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    Project.create(tmp_path / "p").close()
    conn = sqlite3.connect(tmp_path / "p" / INDEX_NAME)
    conn.executescript(
        "DROP TABLE label_sets; DROP TABLE instances; DROP TABLE instance_versions; ALTER TABLE decisions DROP COLUMN mask_version;"
        " PRAGMA user_version = 2;"
    )
    conn.close()
    with Project.open(tmp_path / "p") as proj:
        assert schema.schema_version(proj._conn) == schema.SCHEMA_VERSION == 5
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        proj.save_instances(rec.id, _set(ccp_photo["parsing"]))
        assert proj.images_with_instances() == [rec.id]


def test_instance_qa_rows(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    from fashion_annotator.instances.qa import instance_qa_rows, instance_qa_summary

    with Project.create(tmp_path / "p") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        iset = _set(ccp_photo["parsing"])
        parsing = ccp_photo["parsing"].copy()
        jeans = next(k for k, i in iset.instances.items() if i.category == "jeans")
        parsing[iset.map == jeans] = 3  # the parsing mask now disagrees with the jeans instance
        proj.save_mask(rec.id, "parsing7", parsing)
        proj.save_instances(rec.id, iset)
        (row,) = instance_qa_rows(proj)
        assert row.instances == len(iset.instances) and row.category_changed == 1
        assert row.uncategorised == len(iset.instances) - 1
        assert row.attributes_filled == pytest.approx(1 / (6 * len(iset.instances)))
        assert row.inconsistent_pixels == int((iset.map == jeans).sum())
        s = instance_qa_summary([row])
        assert s["inconsistent_images"] == 1 and s["category_changed_share"] == 1.0, "of the 1 proposed"
        # an image only opened: the model's proposals, status new; not counted until worked on
        twin = tmp_path / "0019-twin.png"  # the same size, other bytes
        Image.open(ccp_dir / "images" / "0019.jpg").save(twin)
        opened = proj.add_image(twin)
        proj.save_instances(opened.id, _set(ccp_photo["parsing"]), source="model")
        assert [r.image_id for r in instance_qa_rows(proj)] == [rec.id]
        proj.set_status(opened.id, "in_progress")
        assert [r.image_id for r in instance_qa_rows(proj)] == [rec.id, opened.id]


def test_an_edit_moves_the_status_in_the_save_transaction(location: str, ccp_dir: Path, ccp_photo: dict,
                                                          monkeypatch) -> None:  # fmt: skip
    """The operator's instance edits of an approved image send it back to QA in the save's own
    transaction: a status write that fails leaves no new version (never edited and approved)."""
    with create_project(location, user="ann") as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        iset = _set(ccp_photo["parsing"])
        proj.save_instances(rec.id, iset, source="model", edited=False)
        proj.set_status(rec.id, "approved")
        proj.save_instances(rec.id, iset, source="model")
        assert proj.image(rec.id).status == "approved"  # the model's proposal is no edit

        def lost(*args: object, **kwargs: object) -> None:
            raise ProjectError("connection lost")

        monkeypatch.setattr(type(proj.instances._db), "write_status", lost)
        with pytest.raises(ProjectError, match="connection lost"):
            proj.save_instances(rec.id, iset, edited=True)
        monkeypatch.undo()
        assert len(proj.instance_versions(rec.id)) == 2 and proj.image(rec.id).status == "approved"
        proj.save_instances(rec.id, iset, edited=True)
        assert len(proj.instance_versions(rec.id)) == 3 and proj.image(rec.id).status == "done"
        proj.set_status(rec.id, "new")
        proj.save_instances(rec.id, iset, edited=True)
        assert proj.image(rec.id).status == "in_progress"


def test_instance_qa_rows_read_the_instance_taxonomy_once(tmp_path: Path, ccp_dir: Path, ccp_photo: dict,
                                                         monkeypatch) -> None:  # fmt: skip
    """The figures of each image parsed the instance taxonomy's JSON again (a fifth of the
    Review tab's first read at 700 images); the rows stay those of each image read alone."""
    from fashion_annotator.instances import schema as instance_schema
    from fashion_annotator.instances.qa import instance_qa_row, instance_qa_rows

    with Project.create(tmp_path / "p") as proj:
        for i in range(4):
            photo = tmp_path / f"0019-{i}.png"
            pixels = np.array(Image.open(ccp_dir / "images" / "0019.jpg"))
            pixels[0, 0] = i  # other bytes, the same size
            Image.fromarray(pixels).save(photo)
            rec = proj.add_image(photo)
            parsing = ccp_photo["parsing"].copy()
            iset = _set(ccp_photo["parsing"])
            ys, xs = np.nonzero(iset.map)
            parsing[ys[: 500 * i], xs[: 500 * i]] = 1  # a few instance pixels on skin, more each image
            proj.save_mask(rec.id, "parsing7", parsing)
            proj.save_instances(rec.id, iset)
        alone = [instance_qa_row(proj, proj.image(i), proj.load_instances(i)) for i in proj.images_with_instances()]
        reads: list[str] = []
        real = instance_schema._read
        monkeypatch.setattr(instance_schema, "_read", lambda path: reads.append(str(path)) or real(path))
        rows = instance_qa_rows(proj)
    assert rows == alone and len(rows) == 4 and len({r.inconsistent_pixels for r in rows}) > 1
    assert len([p for p in reads if "instances" in Path(p).parts]) <= 1
