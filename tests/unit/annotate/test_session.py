"""The open-image rules without a display: load, save, the journal and restore."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.annotate.restore import StaleEntry, already_saved, restore_entry
from fashion_annotator.annotate.session import (
    OpenImage,
    load_document,
    save_open_image,
    tasks_to_save,
    untouched,
)
from fashion_annotator.annotate.tools import Pointer, ToolContext, make_tool
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.core.masks import BBox, fill_polygon
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project


def _project(tmp_path: Path) -> tuple[Project, int]:
    photo = tmp_path / "a.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(photo)
    project = Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="olga")
    image_id = project.add_image(photo).id
    proposal = np.zeros((40, 30), np.uint8)
    proposal[5:20, 5:20] = 1
    project.save_proposal(image_id, "garment", proposal, "v1")
    return project, image_id


def _dab(doc, x: float, y: float) -> None:
    """One brush dab of garment at (x, y): an operator edit."""
    brush = make_tool("brush")
    ctx = ToolContext(doc, "garment", label=1, radius=2.0)
    brush.press(ctx, Pointer(x, y))
    brush.release(ctx, Pointer(x, y))


def test_a_fresh_image_starts_from_its_proposal_and_saves_what_was_edited(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        doc, fresh = load_document(project, image_id)
        assert fresh == {"garment", "parsing7"}
        assert doc.masks["garment"].sum() == 15 * 15 and not doc.dirty  # not an operator edit
        opened = OpenImage(doc, fresh=fresh)
        assert tasks_to_save(opened, None) == []
        _dab(doc, 25, 30)
        assert opened.edited == {"garment"}
        journal.record(image_id, "garment", doc.masks["garment"], seconds=3.0, actions=1)
        assert save_open_image(project, opened, journal) == ["garment"]
        assert not doc.dirty and not journal.entries()
        assert project.image(image_id).status == "in_progress"
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), doc.masks["garment"])
        # a never-saved, untouched task is clean as it opened: saved only when marked done
        assert doc.is_clean("parsing7") and doc.is_clean("garment")
        # Marking it done writes every task, the never-edited one included.
        assert save_open_image(project, opened, journal, status="done") == ["parsing7"]
        assert project.image(image_id).status == "done"


def test_edits_undone_back_to_the_opened_start_save_nothing(tmp_path: Path) -> None:
    """A hand test: an image the operator did not change (edits undone back to the model's
    start, or to the empty never-saved mask) was saved by the autosave as a new mask version
    and became "In progress". Marking it done still saves every task: that is a decision."""
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        doc, fresh = load_document(project, image_id)
        opened = OpenImage(doc, fresh=fresh)
        start = doc.masks["garment"].copy()
        _dab(doc, 25, 30)
        doc.apply("parsing7", fill_polygon, np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]]), 3)
        assert opened.edited == {"garment", "parsing7"}
        doc.undo("garment")
        doc.undo("parsing7")
        np.testing.assert_array_equal(doc.masks["garment"], start)
        assert not opened.edited and tasks_to_save(opened, None) == []
        assert not untouched(opened, "garment"), "a newer proposal would drop the redo"
        assert save_open_image(project, opened, journal) == []
        assert project.mask_versions(image_id, "garment") == [] and project.image(image_id).status == "new"
        assert save_open_image(project, opened, journal, status="done") == ["garment", "parsing7"]
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), start)


def test_editing_an_approved_image_sends_it_back_to_review(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        project.save_mask(image_id, "garment", np.zeros((40, 30), np.uint8), status="done")
        project.record_decision(image_id, "garment", "approve")
        assert project.image(image_id).status == "approved"
        doc, fresh = load_document(project, image_id)
        opened = OpenImage(doc, fresh=fresh)
        _dab(doc, 10, 10)
        assert save_open_image(project, opened, journal) == ["garment"]
        assert project.image(image_id).status == "done", "QA approved the earlier version, not this one"


def _journalled(tmp_path: Path, image_id: int):
    """The project's journal with one unsaved garment mask (a 4x4 corner) of ``image_id``."""
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    mask = np.zeros((40, 30), np.uint8)
    mask[0:4, 0:4] = 1
    journal.record(image_id, "garment", mask, seconds=9.0, actions=4)
    (entry,) = journal.entries()
    return journal, entry


def test_restore_saves_a_journalled_mask_as_recovered(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    with project:
        journal, entry = _journalled(tmp_path, image_id)
        restore_entry(project, entry)
        assert not journal.entries()
        version = project.mask_versions(image_id, "garment")[-1]
        assert (version.source, version.actions) == ("recovered", 4)
        assert project.image(image_id).status == "in_progress"


def test_a_restored_mask_keeps_the_smart_clicks_behind_it(tmp_path: Path) -> None:
    """A hand test: after a crash the restored mask had lost its click log (training data).
    The journal keeps the standing clicks (an undone one left out) and the restore writes them
    beside the recovered version; the document's log stays for its own save."""
    from fashion_annotator.core.document import AnnotationDocument
    from fashion_annotator.dataset.click_logs import read_click_log

    project, image_id = _project(tmp_path)
    with project:
        doc = AnnotationDocument(image_id, np.zeros((40, 30, 3), np.uint8), {"garment": np.zeros((40, 30), np.uint8)})

        def fill(mask, y, x):
            mask[y, x] = 1
            return BBox(y, x, y + 1, x + 1)

        for y, x in ((3, 3), (10, 10)):
            doc.apply("garment", fill, y, x)
            doc.click_log.setdefault("garment", []).append(
                {"kind": "click", "y": y, "x": x, "positive": True, "label": 1,
                 "step": doc.history["garment"].last_serial()})  # fmt: skip
        doc.undo("garment")  # the second click is taken back
        journal = RecoveryJournal(tmp_path / "p" / "journal")
        journal.record(image_id, "garment", doc.masks["garment"], actions=2, clicks=doc.standing_clicks("garment"))
        assert len(doc.click_log["garment"]) == 2, "the journal does not take the log"
        (entry,) = journal.entries()
        assert [(c["y"], c["x"]) for c in entry.clicks] == [(3, 3)] and "step" not in entry.clicks[0]
        restore_entry(project, entry)
        saved = project.mask_versions(image_id, "garment")[-1]
        assert [(c["y"], c["x"], c["kind"]) for c in read_click_log(saved.path)] == [(3, 3, "click")]


def test_edits_older_than_the_latest_saved_version_are_not_restored_over_it(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    with project:
        journal, entry = _journalled(tmp_path, image_id)
        newer = np.zeros((40, 30), np.uint8)
        newer[10:30, 10:20] = 1
        with Project.open(tmp_path / "p", user="bob") as bob:  # bob took the image over and saved it
            bob.save_mask(image_id, "garment", newer, seconds=600.0, actions=40)
        with pytest.raises(StaleEntry, match=r"^a\.png \(garment\): version 1 saved by bob at .* is newer than these unsaved edits"):
            restore_entry(project, entry)
        assert [v.user for v in project.mask_versions(image_id, "garment")] == ["bob"]
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), newer)
        assert journal.entries() == [entry], "the entry stays for the caller to set aside"


def _large_project(tmp_path: Path, monkeypatch) -> tuple[Project, int, dict[str, np.ndarray]]:
    """A JPEG taken for a large photo (preview thresholds lowered) with saved masks of both tasks."""
    from fashion_annotator.core import images

    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 100_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 100)
    photo = tmp_path / "big.jpg"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)).save(photo, quality=90)
    project = Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="olga")
    image_id = project.add_image(photo).id
    saved = {"garment": np.zeros((400, 600), np.uint8), "parsing7": np.zeros((400, 600), np.uint8)}
    saved["garment"][50:350, 100:500] = 1
    saved["parsing7"][60:200, 150:450] = 2
    saved["parsing7"][200:340, 150:450] = 5
    for task, mask in saved.items():
        project.save_mask(image_id, task, mask)
    return project, image_id, saved


def test_a_large_photo_reads_only_the_shown_tasks_mask_and_saving_keeps_the_others(
    tmp_path: Path, monkeypatch
) -> None:
    project, image_id, saved = _large_project(tmp_path, monkeypatch)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        reads: list[str] = []
        load_mask = project.load_mask
        monkeypatch.setattr(
            project, "load_mask", lambda i, t, v=None: reads.append(t) or load_mask(i, t, v)
        )
        doc, fresh = load_document(project, image_id, progressive=True, shown="garment")
        assert not doc.photo_ready and fresh == set() and reads == ["garment"]
        assert not doc.masks.is_read("parsing7")
        opened = OpenImage(doc, fresh=fresh)
        brush = make_tool("brush")
        ctx = ToolContext(doc, "garment", label=0, radius=3.0)
        brush.press(ctx, Pointer(300, 200))
        brush.release(ctx, Pointer(300, 200))
        # Saving, and marking done (which writes every never-saved task), leave parsing7 alone.
        assert save_open_image(project, opened, journal) == ["garment"]
        assert save_open_image(project, opened, journal, status="done") == []
        assert reads == ["garment"] and len(project.mask_versions(image_id, "parsing7")) == 1
        np.testing.assert_array_equal(project.load_mask(image_id, "parsing7"), saved["parsing7"])
        # Whoever writes a not-yet-read task's mask writes the saved one, never an empty mask.
        project.save_mask(image_id, "parsing7", doc.masks["parsing7"])
        versions = project.mask_versions(image_id, "parsing7")
        assert len(versions) == 2 and reads[1] == "parsing7"
        np.testing.assert_array_equal(project.load_mask(image_id, "parsing7"), saved["parsing7"])


def test_a_deferred_mask_undone_back_to_its_saved_version_saves_nothing(
    tmp_path: Path, monkeypatch
) -> None:
    """A large photo's tasks other than the shown one are read on first use: an edit of one of
    them undone back to its saved mask read "Unsaved" and saved an identical version (an
    approved image went back to review). One opened at an older version (its latest file
    damaged) still saves on top."""
    project, image_id, saved = _large_project(tmp_path, monkeypatch)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    square = np.array([[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [10.0, 40.0]])
    with project:
        project.set_status(image_id, "approved")
        doc, fresh = load_document(project, image_id, progressive=True, shown="garment")
        opened = OpenImage(doc, fresh=fresh)
        doc.apply("parsing7", fill_polygon, square, 4)
        assert opened.edited == {"parsing7"}
        doc.undo("parsing7")
        assert not opened.edited and save_open_image(project, opened, journal) == []
        assert len(project.mask_versions(image_id, "parsing7")) == 1
        assert project.image(image_id).status == "approved"
        project.save_mask(image_id, "parsing7", saved["parsing7"])
        project.mask_versions(image_id, "parsing7")[-1].path.write_bytes(b"not a png")
        notes: list[str] = []
        doc, fresh = load_document(project, image_id, progressive=True, shown="garment", notes=notes)
        opened = OpenImage(doc, fresh=fresh)
        doc.apply("parsing7", fill_polygon, square, 4)
        doc.undo("parsing7")
        assert notes and opened.edited == {"parsing7"}
        assert save_open_image(project, opened, journal) == ["parsing7"]


def test_a_deferred_mask_that_became_unreadable_names_its_file_when_first_read(
    tmp_path: Path, monkeypatch
) -> None:
    import pytest

    from fashion_annotator.dataset.records import ProjectError

    project, image_id, _saved = _large_project(tmp_path, monkeypatch)
    with project:
        doc, _fresh = load_document(project, image_id, progressive=True, shown="garment")
        path = project.mask_versions(image_id, "parsing7")[-1].path
        path.write_bytes(b"not a png")
        with pytest.raises(ProjectError, match=rf"{path.name}: cannot read the saved mask"):
            doc.masks["parsing7"]
        assert not doc.masks.is_read("parsing7")


def test_edits_journalled_after_a_colleagues_save_are_not_restored_over_it(tmp_path: Path) -> None:
    """The staleness check compared times: edits an operator kept making on the version she
    opened, journalled after a colleague saved over it (her autosave refused with NewerVersion),
    were restored on top of the colleague's version. The journal now says which version the
    edits started from."""
    project, image_id = _project(tmp_path)
    with project:
        with Project.open(tmp_path / "p", user="bob") as bob:
            bob.save_mask(image_id, "garment", np.ones((40, 30), np.uint8), seconds=60.0, actions=9)
        journal = RecoveryJournal(tmp_path / "p" / "journal", user="olga")
        mask = np.zeros((40, 30), np.uint8)
        journal.record(image_id, "garment", mask, seconds=9.0, actions=4, base=0)  # opened before bob saved
        (entry,) = journal.entries()
        assert entry.base == 0 and entry.written_at > project.mask_versions(image_id, "garment")[-1].created
        with pytest.raises(StaleEntry, match="version 1 saved by bob"):
            restore_entry(project, entry)
        assert [v.user for v in project.mask_versions(image_id, "garment")] == ["bob"]
        journal.record(image_id, "garment", mask, seconds=9.0, actions=4, base=1)  # edits on bob's version
        (entry,) = journal.entries()
        restore_entry(project, entry)
        assert [v.user for v in project.mask_versions(image_id, "garment")] == ["bob", "olga"]


def test_recovered_edits_of_an_approved_image_send_it_back_to_review(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    with project:
        project.save_mask(image_id, "garment", np.zeros((40, 30), np.uint8), status="done")
        project.record_decision(image_id, "garment", "approve")
        journal = RecoveryJournal(tmp_path / "p" / "journal")
        journal.record(image_id, "garment", np.ones((40, 30), np.uint8), actions=2, base=1)
        restore_entry(project, journal.entries()[0])
        assert project.image(image_id).status == "done", "QA approved the earlier version, not this one"


def test_a_click_log_that_cannot_be_written_is_a_warning_not_a_failed_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The click log is written after its mask's commit: its failure raised out of the save, so
    the window said "Could not save" for a saved mask, kept it unsaved and journalled, and the
    next autosave added a duplicate version."""
    from fashion_annotator.core import atomic

    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    real = atomic.atomic_write_bytes

    def full_disk(path: Path, data: bytes) -> None:
        if path.name.endswith(".clicks.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr("fashion_annotator.dataset.click_logs.atomic_write_bytes", full_disk)
    with project:
        doc, fresh = load_document(project, image_id)
        opened = OpenImage(doc, fresh=fresh)
        warnings: list[str] = []
        for version, x in ((1, 25), (2, 5)):
            _dab(doc, x, 30)
            doc.click_log["garment"] = [{"kind": "click", "y": 30, "x": x, "positive": True, "label": 1,
                                         "step": doc.history["garment"].last_serial()}]  # fmt: skip
            journal.record(image_id, "garment", doc.masks["garment"], actions=version)
            if version == 1:  # as before: no list of warnings given (logged only)
                assert save_open_image(project, opened, journal) == ["garment"]
            else:
                assert save_open_image(project, opened, journal, None, warnings) == ["garment"]
            assert not doc.dirty and not journal.entries()
            assert len(project.mask_versions(image_id, "garment")) == version
        assert warnings == ["The garment mask of image 1 was saved (version 2), but its Smart-click log "
                            "was not: [Errno 28] No space left on device"]  # fmt: skip
        assert save_open_image(project, opened, journal) == []  # nothing left to save: no duplicate


def test_a_crashed_sessions_edits_are_never_restored_onto_another_photo_with_their_id(tmp_path: Path) -> None:
    """Entries were matched to photos by image id alone: after the index was restored from a
    backup made before photo b.png was added, a new photo c.png got b's id, and b's crashed
    edits were saved as c's mask. The entry now names its photo and is refused for another."""
    import shutil

    from fashion_annotator.annotate.restore import DeclinedEntry, OtherPhoto

    project, _ = _project(tmp_path)
    root = tmp_path / "p"
    project.close()
    shutil.copyfile(root / "project.sqlite", tmp_path / "backup.sqlite")
    photos = {}
    for name, seed in (("b.png", 1), ("c.png", 2)):
        photos[name] = tmp_path / name
        Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(photos[name])
    with Project.open(root, user="olga") as project:
        b = project.add_image(photos["b.png"])
    journal = RecoveryJournal(root / "journal" / "crashed", user="olga")
    edits = np.ones((40, 30), np.uint8)
    journal.record(b.id, "garment", edits, actions=5, base=0, photo=b.sha256)
    shutil.copyfile(tmp_path / "backup.sqlite", root / "project.sqlite")  # the admin restores the index
    for leftover in ("project.sqlite-wal", "project.sqlite-shm"):
        (root / leftover).unlink(missing_ok=True)
    with Project.open(root, user="olga") as project:
        c = project.add_image(photos["c.png"])
        assert c.id == b.id and c.sha256 != b.sha256
        (entry,) = journal.entries()
        assert entry.photo == b.sha256
        with pytest.raises(OtherPhoto, match=r"^c\.png \(garment\): these unsaved edits were made on another photo"):
            restore_entry(project, entry)
        assert isinstance(OtherPhoto(entry, "c.png"), DeclinedEntry)  # set aside, as a stale entry
        assert project.mask_versions(c.id, "garment") == []
        assert journal.entries() == [entry], "the entry stays for the caller to set aside"
        journal.record(c.id, "garment", edits, actions=5, base=0, photo=c.sha256)  # c's own edits
        restore_entry(project, journal.entries()[0])
        assert [v.source for v in project.mask_versions(c.id, "garment")] == ["recovered"]


def test_a_journal_entry_written_before_photos_were_named_is_restored_by_its_id(tmp_path: Path) -> None:
    import json

    project, image_id = _project(tmp_path)
    with project:
        journal = RecoveryJournal(tmp_path / "p" / "journal")
        path = journal.record(image_id, "garment", np.ones((40, 30), np.uint8), actions=2, base=0)
        head, _, body = path.read_bytes().partition(b"\n")
        header = json.loads(head)
        del header["photo"]  # as an earlier version wrote it
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
        (entry,) = journal.entries()
        assert entry.photo is None
        restore_entry(project, entry)
        assert [v.source for v in project.mask_versions(image_id, "garment")] == ["recovered"]


class _LostAnswer:
    """A store whose next save commits and then raises, as a PostgreSQL save does when the
    network drops after COMMIT reached the server and before its answer came back."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self.drop_next = False

    def __getattr__(self, name: str):
        return getattr(self._project, name)

    def save_mask(self, *args, **kwargs):
        saved = self._project.save_mask(*args, **kwargs)
        if self.drop_next:
            self.drop_next = False
            raise ProjectError("cannot write the project: server closed the connection unexpectedly")
        return saved


def _a_save_whose_answer_is_lost(project: Project, image_id: int, journal: RecoveryJournal):
    """Open the image, dab once and save through a store that commits and then raises: the
    store, the document and the open image after that save."""
    store = _LostAnswer(project)
    doc, fresh = load_document(project, image_id)
    opened = OpenImage(doc, fresh=fresh, base_versions={"garment": 0, "parsing7": 0})
    _dab(doc, 25, 30)
    store.drop_next = True
    with pytest.raises(ProjectError, match="server closed"):
        save_open_image(store, opened, journal)
    return store, doc, opened


def test_a_save_whose_answer_was_lost_is_taken_as_this_windows_own_version(tmp_path: Path) -> None:
    """A network drop after COMMIT (a hand test through a proxy): the server kept version 1,
    the window said "Could not save", and its next save was refused as if a colleague had
    saved version 1 ("saved by olga ... read-only now"): the operator was locked out of her
    own image and her later edits were declined at the next restore."""
    from fashion_annotator.dataset.records import NewerVersion

    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal", user="olga")
    with project:
        store, doc, opened = _a_save_whose_answer_is_lost(project, image_id, journal)
        assert [v.version for v in project.mask_versions(image_id, "garment")] == [1]  # it was committed
        _dab(doc, 10, 30)  # she goes on editing; the next save finds version 1 after her base 0
        assert save_open_image(store, opened, journal) == ["garment"]
        assert [v.version for v in project.mask_versions(image_id, "garment")] == [1, 2]
        assert opened.base_versions["garment"] == 2
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), doc.masks["garment"])
        # a version that is not one of her failed saves is still a colleague's: never saved over
        with Project.open(tmp_path / "p", user="olga") as again:
            again.save_mask(image_id, "garment", np.ones((40, 30), np.uint8))
        _dab(doc, 27, 8)
        with pytest.raises(NewerVersion, match="version 3"):
            save_open_image(store, opened, journal)


def test_edits_journalled_after_a_lost_answer_are_restored_after_a_crash(tmp_path: Path) -> None:
    """A review: after a save whose answer was lost, the window's later edits were journalled
    with base 0; the window crashed before its next save, and the restore refused them as if a
    colleague had saved version 1 ("version 1 saved by olga ... not restored over it")."""
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal", user="olga")
    with project:
        store, doc, opened = _a_save_whose_answer_is_lost(project, image_id, journal)
        _dab(doc, 10, 30)  # more edits, journalled as the window does, then the window dies
        journal.record(image_id, "garment", doc.masks["garment"], seconds=5.0, actions=2,
                       base=opened.base_versions["garment"], unanswered=opened.unanswered.get("garment"))  # fmt: skip
        (entry,) = journal.entries()
        assert entry.base == 0 and len(entry.unanswered) == 1
        restore_entry(project, entry)
        versions = project.mask_versions(image_id, "garment")
        assert [(v.version, v.source) for v in versions][-1] == (2, "recovered")
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), doc.masks["garment"])


class _KilledAtDiscard(RecoveryJournal):
    """A journal whose window is killed right after a save's commit: the entry stays as a crash
    between the commit and its deletion leaves it."""

    def discard(self, image_id, task=None) -> None:
        raise KeyboardInterrupt("killed")


def _saved_then_killed(project: Project, image_id: int, root: Path, clicks: list[dict] | None = None):
    """Open the image, dab, journal it as the window does, save; the window dies before the
    entry goes. Returns the entry the crash left."""
    journal = _KilledAtDiscard(root / "journal" / "olga@host-1-dead", user="olga")
    doc, fresh = load_document(project, image_id)
    opened = OpenImage(doc, fresh=fresh, base_versions={"garment": 0, "parsing7": 0})
    _dab(doc, 25, 30)
    doc.click_log["garment"] = [dict(c, step=0) for c in clicks or ()]
    journal.record(image_id, "garment", doc.masks["garment"], seconds=2.0, actions=1, base=0,
                   clicks=doc.standing_clicks("garment"), photo=project.image(image_id).sha256)  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        save_open_image(project, opened, journal)
    (entry,) = journal.entries()
    return entry


def test_an_entry_left_by_a_kill_right_after_its_save_is_already_saved(tmp_path: Path) -> None:
    """A crash tester: a kill between a save's commit and the deletion of its journal entry
    made the next start offer the edits and then decline them as if a colleague had saved over
    them ("version 1 saved by olga ... is newer than these unsaved edits"): it was her own save,
    pixel for pixel. Such an entry is already saved: deleted, nothing saved again."""
    project, image_id = _project(tmp_path)
    with project:
        entry = _saved_then_killed(project, image_id, tmp_path / "p")
        assert [v.version for v in project.mask_versions(image_id, "garment")] == [1]
        assert already_saved(project, entry)
        restore_entry(project, entry)
        assert not entry.path.exists()
        assert [(v.version, v.source) for v in project.mask_versions(image_id, "garment")] == [(1, "operator")]


def test_an_entry_that_differs_from_the_saved_pixels_is_never_taken_as_saved(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    with project:
        entry = _saved_then_killed(project, image_id, tmp_path / "p")
        with Project.open(tmp_path / "p", user="bob") as bob:  # bob changed one pixel since
            mask = bob.load_mask(image_id, "garment")
            mask[0, 0] = 1 - mask[0, 0]
            bob.save_mask(image_id, "garment", mask)
        assert not already_saved(project, entry)
        with pytest.raises(StaleEntry, match="version 2 saved by bob"):
            restore_entry(project, entry)
        assert entry.path.exists(), "kept for the caller to set aside"


def test_an_own_save_killed_before_its_click_log_gets_the_log_from_the_entry(tmp_path: Path) -> None:
    """The kill can come after the commit and before the Smart-click log is written beside the
    version: the entry's clicks (training data) are written there, then the entry goes."""
    from fashion_annotator.dataset.click_logs import click_log_path, read_click_log

    clicks = [{"kind": "click", "y": 30.0, "x": 25.0, "positive": True, "label": 1}]
    project, image_id = _project(tmp_path)
    with project:
        entry = _saved_then_killed(project, image_id, tmp_path / "p", clicks)
        saved = project.mask_versions(image_id, "garment")[-1]
        click_log_path(saved.path).unlink()  # the kill came before the log was written
        assert already_saved(project, entry)
        assert read_click_log(saved.path) == clicks
        # a log that differs from the saved one is not taken as saved: restored or set aside
        with Project.open(tmp_path / "p", user="bob") as bob:
            bob.save_mask(image_id, "garment", project.load_mask(image_id, "garment"))
        assert not already_saved(project, entry), "bob's version has no clicks: the entry's would be lost"


def test_edits_of_an_image_the_project_no_longer_has_are_refused_for_good(tmp_path: Path) -> None:
    """A crash tester: entries of an image that is gone (the index restored from a backup made
    before it was added) failed with "no image with id 4" at every start and stayed, offered
    again forever. They are declined (the caller sets them aside); a store that does not
    answer is a failure for later, not a gone image."""
    from fashion_annotator.annotate.restore import DeclinedEntry, ImageGone

    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    journal.record(image_id + 3, "garment", np.ones((40, 30), np.uint8), actions=2, base=0)
    (entry,) = journal.entries()
    with project:
        with pytest.raises(ImageGone, match=rf"^image {image_id + 3} \(garment\): no longer in the project") as gone:
            restore_entry(project, entry)
        assert isinstance(gone.value, DeclinedEntry) and entry.path.exists()
        assert not already_saved(project, entry)
    with pytest.raises(ProjectError, match="closed") as away:  # the store does not answer
        restore_entry(project, entry)
    assert not isinstance(away.value, DeclinedEntry)


def test_a_refused_save_names_the_photo_once() -> None:
    """A team hand test: "Could not save 0017.jpg: 0017.jpg is being edited by bob@vm (pid 7)"."""
    from fashion_annotator.annotate.session import save_failure
    from fashion_annotator.dataset.leases import LeaseHeld

    held = LeaseHeld(13, "bob@vm (pid 7)", 0.0, name="0017.jpg")
    assert str(held).startswith("0017.jpg is being edited by bob@vm (pid 7)")
    assert save_failure("0017.jpg", held) == f"Could not save: {held}"
    assert save_failure("0017.jpg", OSError("No space left on device")) == (
        "Could not save 0017.jpg: No space left on device")
