"""The undo histories of photos left, kept for the window's session (annotate/kept_history)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.annotate.kept_history import KeptHistories
from fashion_annotator.annotate.session import (
    OpenImage,
    latest_saved,
    load_document,
    save_open_image,
)
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.document import InstanceDocument, InstanceHistory

SHAPE = (40, 60)


def _paint(mask: np.ndarray, rows: slice, label: int = 1) -> BBox | None:
    before = mask.copy()
    mask[rows] = label
    return BBox.of(mask != before)


def _doc(image_id: int, saved: np.ndarray) -> AnnotationDocument:
    doc = AnnotationDocument(image_id, np.zeros((*SHAPE, 3), np.uint8), {"garment": saved.copy()})
    doc.mark_saved()
    return doc


def _left_with_a_saved_edit(image_id: int = 7) -> tuple[AnnotationDocument, np.ndarray, np.ndarray]:
    """A photo opened at version 2, edited, saved on leave (version 3)."""
    v2 = np.zeros(SHAPE, np.uint8)
    v2[5:10] = 1
    doc = _doc(image_id, v2)
    doc.apply("garment", _paint, slice(20, 30))
    doc.mark_saved(["garment"])  # the save on leave
    return doc, v2, doc.masks["garment"].copy()


def test_a_history_kept_comes_back_and_its_undo_is_an_edit_to_save():
    kept = KeptHistories()
    left, v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": (3, "sha3")}, photo="abc")
    assert len(kept) == 1 and kept.nbytes > 0
    again = _doc(7, v3)  # the photo opened again: its latest version, 3
    assert not again.can_undo("garment")
    assert kept.give_back(again, {"garment": (3, "sha3")}, photo="abc") == ["garment"]
    assert again.can_undo("garment") and not again.unsaved and len(kept) == 0
    again.undo("garment")
    np.testing.assert_array_equal(again.masks["garment"], v2)
    assert again.unsaved == {"garment"}, "undone past the saved version: a new version to save"
    again.redo("garment")
    assert not again.unsaved


def test_a_version_saved_since_or_another_photo_gets_no_history():
    kept = KeptHistories()
    left, _v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": (3, "sha3")}, photo="abc")
    assert (
        kept.give_back(_doc(7, v3), {"garment": (4, "sha4")}, photo="abc") == []
    )  # a colleague saved
    assert len(kept) == 0, "given back or not, it leaves the keeping"
    left, _v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": (3, "sha3")}, photo="abc")
    assert (
        kept.give_back(_doc(7, v3), {"garment": (3, "sha3")}, photo="other") == []
    )  # the id reused


def test_unsaved_documents_and_empty_histories_are_not_kept():
    kept = KeptHistories()
    left, _v2, _v3 = _left_with_a_saved_edit()
    left.apply("garment", _paint, slice(0, 2), 2)  # a save on leave that failed
    kept.keep(left, {"garment": (3, "sha3")})
    untouched = _doc(8, np.zeros(SHAPE, np.uint8))
    kept.keep(untouched, {"garment": (1, "sha1")})
    assert len(kept) == 0


def test_the_oldest_photos_histories_go_past_the_count_and_the_byte_budget():
    by_count = KeptHistories(max_photos=2)
    for image_id in (1, 2, 3):
        by_count.keep(_left_with_a_saved_edit(image_id)[0], {"garment": (3, "sha3")})
    assert len(by_count) == 2
    assert (
        by_count.give_back(_doc(1, _left_with_a_saved_edit(1)[2]), {"garment": (3, "sha3")}) == []
    )
    one = _left_with_a_saved_edit(1)[0]
    by_bytes = KeptHistories(max_bytes=one.task_history("garment").nbytes + 1)
    for image_id in (1, 2, 3):
        by_bytes.keep(_left_with_a_saved_edit(image_id)[0], {"garment": (3, "sha3")})
    assert len(by_bytes) == 1, "the photo left last keeps its history"
    assert by_bytes.give_back(_doc(3, _left_with_a_saved_edit(3)[2]), {"garment": (3, "sha3")}) == [
        "garment"
    ]


def test_budgets_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        KeptHistories(max_photos=0)


def test_keeping_never_reads_a_mask_not_read_yet():
    """A large photo's other tasks are read on first use: leaving it must not read them (a
    damaged saved file raised out of the window's close)."""

    def damaged() -> np.ndarray:
        raise AssertionError("read")

    v2 = np.zeros(SHAPE, np.uint8)
    doc = AnnotationDocument(
        7, np.zeros((*SHAPE, 3), np.uint8), {"garment": v2.copy(), "parsing": damaged}
    )
    doc.mark_saved(["garment"])
    doc.apply("garment", _paint, slice(20, 30))
    doc.mark_saved(["garment"])
    kept = KeptHistories()
    kept.keep(doc, {"garment": (3, "sha3"), "parsing": (1, "sha1")})
    again = AnnotationDocument(
        7,
        np.zeros((*SHAPE, 3), np.uint8),
        {"garment": doc.masks["garment"].copy(), "parsing": damaged},
    )
    again.mark_saved(["garment"])
    assert kept.give_back(again, {"garment": (3, "sha3"), "parsing": (1, "sha1")}) == ["garment"]


def _left_from_a_large_proposal(image_id: int, shape: tuple[int, int]) -> AnnotationDocument:
    """A large photo with no saved mask: started from the model's full-size proposal, one
    small edit, marked done on leave (version 1)."""
    doc = AnnotationDocument(
        image_id, np.zeros((*shape, 3), np.uint8), {"garment": np.zeros(shape, np.uint8)}
    )
    doc.mark_clean(["garment"])
    proposal = np.zeros(shape, np.uint8)
    proposal[100:-100, 300:-300] = 1
    doc.start_from("garment", proposal)
    doc.apply("garment", _paint, slice(0, 2))
    doc.mark_saved(["garment"])
    return doc


def test_the_byte_budget_counts_the_start_masks_and_evicts_large_photos():
    """The budget counted only the undo patches: ten 4000x6000 photos started from their
    proposals counted 0.0 MiB and held 229 MiB (a full-size start mask each)."""
    shape = (2000, 3000)  # 6 MB a mask
    one = _left_from_a_large_proposal(1, shape).task_history("garment")
    assert one.nbytes >= shape[0] * shape[1] > 100 * one.history.nbytes
    kept = KeptHistories(max_bytes=16 * 2**20)  # two such photos fit, not three
    for image_id in (1, 2, 3, 4):
        kept.keep(_left_from_a_large_proposal(image_id, shape), {"garment": (1, "sha1")})
    assert len(kept) == 2 and 2 * shape[0] * shape[1] <= kept.nbytes <= kept.max_bytes
    again = AnnotationDocument(
        4, np.zeros((*shape, 3), np.uint8), {"garment": np.zeros(shape, np.uint8)}
    )
    again.mark_saved()
    assert kept.give_back(again, {"garment": (1, "sha1")}) == ["garment"], "the last left stays"


def test_the_marked_pixels_of_the_saved_state_are_counted():
    """Undone past its save, a history keeps the saved pixels of the box changed since."""
    left, _v2, _v3 = _left_with_a_saved_edit()
    left.undo("garment")
    left.mark_saved(["garment"])  # the undo saved on leave as version 4
    left.redo("garment")
    left.mark_saved(["garment"])  # and the redo as version 5: the mark is taken again
    left.undo("garment")  # version 4's pixels again: the mark keeps version 5's of the box
    left.mark_saved(["garment"])
    history = left.task_history("garment")
    assert history.history.held_nbytes == history.history.nbytes
    left.redo("garment")
    left.undo("garment")  # back at the mark by the serial: its pixels stay kept
    box_bytes = 10 * SHAPE[1]
    assert history.nbytes == history.history.nbytes + box_bytes


def _photo(tmp_path: Path) -> Path:
    photo = tmp_path / "a.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(photo)
    return photo


def _project_at_v1(root: Path, photo: Path, user: str) -> tuple[Project, int]:
    project = Project.create(root, tasks=("garment",), user=user)
    image_id = project.add_image(photo).id
    v1 = np.zeros(SHAPE, np.uint8)
    v1[5:10] = 1
    project.save_mask(image_id, "garment", v1)
    return project, image_id


def _opened(project: Project, image_id: int, shown: str | None = None) -> OpenImage:
    saved = latest_saved(project, image_id)
    doc, fresh = load_document(project, image_id, shown=shown)
    return OpenImage(doc, fresh=fresh, base_versions={t: v for t, (v, _) in saved.items()},
                     base_hashes={t: sha for t, (_, sha) in saved.items()})  # fmt: skip


def test_a_restored_project_numbering_versions_again_gets_no_history(tmp_path: Path):
    """A project.sqlite restored while the window stays open numbers the next versions again:
    a colleague's version 2 took the history this window left at its own version 2."""
    photo = _photo(tmp_path)
    journal = RecoveryJournal(tmp_path / "journal")
    kept = KeptHistories()
    ours, image_id = _project_at_v1(tmp_path / "ours", photo, "olga")
    restored, restored_id = _project_at_v1(tmp_path / "restored", photo, "bob")
    with ours, restored:
        opened = _opened(ours, image_id)
        opened.doc.apply("garment", _paint, slice(20, 30))
        assert save_open_image(ours, opened, journal) == ["garment"]  # version 2, on leave
        sha = ours.image(image_id).sha256
        kept.keep(opened.doc, opened.saved_states(), sha)
        again = _opened(ours, image_id)
        assert kept.give_back(again.doc, latest_saved(ours, image_id), sha) == ["garment"]
        kept.keep(again.doc, again.saved_states(), sha)
        theirs = ours.load_mask(image_id, "garment").copy()
        theirs[30:35] = 1
        restored.save_mask(restored_id, "garment", theirs)  # the colleague's version 2
        assert restored_id == image_id and restored.image(restored_id).sha256 == sha
        assert latest_saved(restored, image_id)["garment"][0] == 2
        colleagues = _opened(restored, image_id)
        assert kept.give_back(colleagues.doc, latest_saved(restored, image_id), sha) == []
        assert not colleagues.doc.can_undo("garment")


def _damaged_latest(project: Project, image_id: int) -> None:
    project.mask_versions(image_id, "garment")[-1].path.write_bytes(b"not a png")


def test_a_mask_opened_at_an_older_version_than_the_latest_gets_no_history(tmp_path: Path):
    """The latest version's file damaged, the mask opens at the one before: a history given
    back put back the clean state the opening took away, so an edit undone saved nothing."""
    journal = RecoveryJournal(tmp_path / "journal")
    kept = KeptHistories()
    project, image_id = _project_at_v1(tmp_path / "p", _photo(tmp_path), "olga")
    with project:
        opened = _opened(project, image_id)
        opened.doc.apply("garment", _paint, slice(20, 30))
        assert save_open_image(project, opened, journal) == ["garment"]
        kept.keep(opened.doc, opened.saved_states())
        _damaged_latest(project, image_id)
        again = _opened(project, image_id, shown="garment")
        assert kept.give_back(again.doc, latest_saved(project, image_id)) == []
        again.doc.apply("garment", _paint, slice(0, 3))
        again.doc.undo("garment")
        assert again.edited == {"garment"}, "opened at version 1: the edit, undone, saves on top"
        assert save_open_image(project, again, journal) == ["garment"]


def test_a_deferred_mask_found_damaged_when_read_drops_the_history_given(
    tmp_path: Path, monkeypatch
):
    """A large photo's other tasks are read on first use: a history given back before the read
    finds the latest file damaged goes at that read, not applied to the older pixels."""
    from fashion_annotator.core import images

    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 100_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 100)
    photo = tmp_path / "big.jpg"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)).save(photo, quality=90)
    journal = RecoveryJournal(tmp_path / "journal")
    kept = KeptHistories()
    with Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="olga") as project:
        image_id = project.add_image(photo).id
        v1 = np.zeros((400, 600), np.uint8)
        v1[50:350, 100:500] = 1
        project.save_mask(image_id, "garment", v1)
        saved = latest_saved(project, image_id)
        doc, fresh = load_document(project, image_id, progressive=True, shown="garment")
        opened = OpenImage(doc, fresh=fresh, base_versions={t: v for t, (v, _) in saved.items()},
                           base_hashes={t: sha for t, (_, sha) in saved.items()})  # fmt: skip
        doc.apply("garment", _paint, slice(0, 20))
        assert save_open_image(project, opened, journal) == ["garment"]
        kept.keep(doc, opened.saved_states())
        _damaged_latest(project, image_id)
        again, _fresh = load_document(project, image_id, progressive=True, shown="parsing7")
        assert not again.masks.is_read("garment")
        assert kept.give_back(again, latest_saved(project, image_id)) == ["garment"]
        assert not again.unsaved and not again.masks.is_read("garment")
        assert not again.can_undo("garment"), "read at version 1: the steps were version 2's"
        np.testing.assert_array_equal(again.masks["garment"], v1)
        assert again.undo("garment") is None
        again.apply("garment", _paint, slice(0, 3))
        again.undo("garment")
        assert again.unsaved == {"garment"}, "opened at version 1: the edit, undone, saves on top"


def _instances_left(shape: tuple[int, int] = SHAPE) -> InstanceDocument:
    """An instance document with a delete made (one step holding two patches of the map)."""
    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.instances.model import Instance, InstanceSet
    from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

    imap = np.zeros(shape, np.uint8)
    imap[: shape[0] // 2] = 1
    iset = InstanceSet(imap, {1: Instance(1, 3, category="blouse")})
    doc = InstanceDocument(iset, load_instance_taxonomy(), load_attribute_schema(), load_taxonomy("parsing7"))
    doc.mark_saved()
    doc.delete(1)
    doc.mark_saved()
    return doc


def test_the_instances_history_comes_back_after_the_masks_only_at_its_version():
    kept = KeptHistories()
    left, _v2, v3 = _left_with_a_saved_edit()
    kept.keep(left, {"garment": (3, "sha3")}, photo="abc")
    steps = _instances_left().history()
    kept.keep_instances(7, (2, "isha2"), steps, photo="abc")
    assert len(kept) == 1 and kept.nbytes == left.task_history("garment").nbytes + steps.nbytes > 0
    assert kept.give_back(_doc(7, v3), {"garment": (3, "sha3")}, photo="abc") == ["garment"]
    assert len(kept) == 1, "the masks' given back: the panel's waits for the panel"
    assert kept.give_back_instances(7, (2, "isha2"), photo="abc") is steps and len(kept) == 0
    kept.keep_instances(7, (2, "isha2"), steps, photo="abc")
    assert kept.give_back_instances(7, (3, "isha3"), photo="abc") is None, "a colleague saved"
    assert len(kept) == 0, "given back or not, it leaves the keeping"
    kept.keep_instances(7, (2, "isha2"), steps, photo="abc")
    assert kept.give_back_instances(7, (2, "isha2"), photo="other") is None  # the id reused
    kept.keep_instances(7, (0, ""), steps, photo="abc")  # never saved: nothing to match
    empty = InstanceHistory([], [], 0)
    kept.keep_instances(8, (2, "isha2"), empty, photo="abc")
    assert len(kept) == 0


def test_the_instances_histories_count_in_the_byte_budget():
    steps = _instances_left((400, 500)).history()
    kept = KeptHistories(max_bytes=steps.nbytes + 1)
    kept.keep_instances(1, (1, "a"), steps, photo="p1")
    kept.keep_instances(2, (1, "b"), _instances_left((400, 500)).history(), photo="p2")
    assert len(kept) == 1 and kept.give_back_instances(1, (1, "a"), photo="p1") is None
    assert kept.give_back_instances(2, (1, "b"), photo="p2") is not None


def test_an_instance_document_takes_a_kept_history_and_its_undo_is_an_operators_edit():
    from fashion_annotator.instances.model import InstanceSet

    left = _instances_left()
    opened = InstanceSet(left.map.copy(), copy.deepcopy(left.instances))  # the saved set read again
    again = InstanceDocument(opened, left.taxonomy, left.schema, left.parsing_taxonomy)
    again.mark_saved()
    again.adopt_history(left.history())
    assert again.can_undo and again.actions == 1 and again.as_saved()
    assert again.undo() == "delete" and 1 in again.instances and not again.as_saved()
    with pytest.raises(RuntimeError):
        again.adopt_history(left.history())
