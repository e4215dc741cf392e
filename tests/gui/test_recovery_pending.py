"""Edits restored at start that wait for their image to open (found in review).

A restored edit of a task whose saved mask cannot be read (a large photo's other task, read on
first use) raised out of the image's opening: the image opened without its photo, superpixels or
proposals, and its other restored edits were lost for the session. Restored edits waited in the
crashed session's folder, so a second window starting meanwhile was offered them again (its No
set them aside: the first window then restored nothing). An edit that could not be put in at
one opening (the store briefly unreachable) was dropped for the session, never tried again.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core import images
from fashion_annotator.core.journal import claimed_folder, journal_entries, session_journal
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate import journal_recovery
from fashion_annotator.ui.annotate.image_session import ImageSession
from fashion_annotator.ui.annotate.proposal_source import ProposalSource


def _photo(path: Path, width: int, height: int, top: int = 255) -> Path:
    ramp = np.linspace(0, top, width, dtype=np.uint8)
    rgb = np.stack([np.tile(ramp, (height, 1))] * 3, axis=-1)
    rgb[height // 3 : height // 2, width // 4 : width // 2] = (200, 40, 40)
    Image.fromarray(rgb).save(path, quality=90)
    return path


def _crashed(root: Path, name: str = "dead0001"):
    """The journal of a window of this host that has ended without saving."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    return session_journal(root / "journal", f"alice@{socket.gethostname()}-{ended.pid}-{name}", user="alice")


def _session(qtbot, project: Project) -> tuple[ImageSession, list[str]]:
    session = ImageSession(project, proposals=ProposalSource(project, use_shipped=False))
    errors: list[str] = []
    session.error.connect(errors.append)
    return session, errors


def _stroke(shape: tuple[int, int], rows: slice, value: int = 1) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[rows, 10:60] = value
    return mask


@pytest.fixture
def small(tmp_path) -> tuple[Path, list[int]]:
    """A project of two small photos, nothing saved."""
    root = tmp_path / "project"
    with Project.create(root) as project:
        ids = [project.add_image(_photo(tmp_path / f"p{n}.png", 80, 60, 255 - n)).id for n in range(2)]
    assert len(set(ids)) == 2
    return root, ids


def test_a_restored_edit_whose_saved_mask_cannot_be_read_is_said_and_the_rest_goes_on(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)  # a large photo: masks read on first use
    root = tmp_path / "project"
    with Project.create(root) as project:
        rec = project.add_image(_photo(tmp_path / "big.jpg", 1500, 900))
        shape = (rec.height, rec.width)
        project.save_mask(rec.id, "garment", _stroke(shape, slice(0, 5)))
        project.save_mask(rec.id, "parsing7", _stroke(shape, slice(0, 5), 2))
        damaged = project.mask_versions(rec.id, "parsing7")[-1].path
    Path(root, damaged).write_bytes(b"not a PNG")  # the parsing mask, read on first use, fails
    crashed = _crashed(root)
    crashed.record(rec.id, "parsing7", _stroke(shape, slice(20, 40), 3), seconds=2.0, actions=1, base=1)
    crashed.record(rec.id, "garment", _stroke(shape, slice(50, 70)), seconds=3.0, actions=2, base=1)
    project = Project.open(root, user="alice")
    session, errors = _session(qtbot, project)
    try:
        assert session.restore_unsaved(session.set_aside_refused(session.recoverable())) == [rec.id]
        assert session.open_image(rec.id, shown="garment")
        doc = session.current.doc
        np.testing.assert_array_equal(doc.masks["garment"], _stroke(shape, slice(50, 70)))
        assert session.unsaved
        (said,) = errors
        assert said.startswith(f"Could not restore the unsaved edits of big.jpg ({task_title('parsing7')}): ")
        assert "v1.png: cannot read the saved mask" in said and "stay in the recovery journal" in said
        qtbot.waitUntil(lambda: doc.photo_ready and doc.shape == shape, timeout=30000)  # the jobs started
        (left,) = [e for e in session._pending]
        assert left.task == "parsing7" and left.path.is_file(), "the failed edit stays pending, in the journal"
    finally:
        session.shutdown()
        project.close()
    with Project.open(root, user="alice") as project:  # the next start offers it again
        later, _ = _session(qtbot, project)
        try:
            assert [e.task for e in later.recoverable()] == ["parsing7"]
        finally:
            later.shutdown()


CLAIMER = textwrap.dedent(
    """
    import os, sys
    from PySide6.QtCore import QCoreApplication
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.annotate.image_session import ImageSession
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    app = QCoreApplication([])
    project = Project.open(sys.argv[1], user="alice")
    session = ImageSession(project, proposals=ProposalSource(project, use_shipped=False))
    print(session.restore_unsaved(session.recoverable()), flush=True)  # "Yes, restore"
    sys.stdin.readline()
    os._exit(3)  # crashes before the image opened
    """
)


def test_restored_edits_are_never_offered_to_another_window_and_survive_their_window_crashing(qtbot, small):
    root, (image_id, _other) = small
    edit = _stroke((60, 80), slice(5, 15))
    _crashed(root).record(image_id, "garment", edit, seconds=3.0, actions=1, base=0)
    first = Project.open(root, user="alice")
    second = Project.open(root, user="bob")
    a, a_errors = _session(qtbot, first)
    b, _ = _session(qtbot, second)
    try:
        assert a.restore_unsaved(a.recoverable()) == [image_id]  # window A: Yes, restore
        assert b.recoverable() == [], "window B, started meanwhile, was offered A's restored edits"
        assert a.open_image(image_id)
        np.testing.assert_array_equal(a.current.doc.masks["garment"], edit)
        assert a_errors == [] and a.unsaved
    finally:
        a.shutdown()
        b.shutdown()
        first.close()
        second.close()
    # a window of another process of this host claims them, then crashes before their image opens
    _crashed(root, "dead0002").record(image_id, "parsing7", _stroke((60, 80), slice(30, 40), 2), base=0)
    child = subprocess.Popen([sys.executable, "-c", CLAIMER, str(root)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == f"[{image_id}]"
        with Project.open(root, user="bob") as project:
            meanwhile, _ = _session(qtbot, project)
            assert [e.task for e in meanwhile.recoverable() if e.task == "parsing7"] == [], "offered while claimed"
            meanwhile.shutdown()
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.close()
        child.wait(timeout=60)
    with Project.open(root, user="bob") as project:  # the claimer crashed: nothing lost
        after, _ = _session(qtbot, project)
        offered = [e for e in after.recoverable() if e.task == "parsing7"]
        after.shutdown()
    assert len(offered) == 1 and offered[0].path.parent.name.endswith(".claimed")


def test_another_hosts_claim_holds_while_it_is_touched(qtbot, small):
    root, (image_id, _other) = small
    theirs = session_journal(root / "journal", "dora@otherhost-77-0ff51de0", user="dora")
    folder = claimed_folder(theirs)
    moved = session_journal(root / "journal", folder.name, user="dora")
    moved.record(image_id, "garment", _stroke((60, 80), slice(5, 15)), base=0)
    with Project.open(root, user="alice") as project:
        session, _ = _session(qtbot, project)
        try:
            assert session.recoverable() == [], "a claim touched just now is another window's"
            stale = time.time() - journal_recovery.CLAIM_TTL_S - 5
            os.utime(folder, (stale, stale))
            assert [e.image_id for e in session.recoverable()] == [image_id]
        finally:
            session.shutdown()


def test_an_edit_not_put_in_while_the_store_did_not_answer_is_tried_at_the_next_opening(qtbot, small, monkeypatch):
    root, (image_id, other) = small
    edit = _stroke((60, 80), slice(5, 15))
    elsewhere = session_journal(root / "journal", "alice@laptop-77-dead0003", user="alice")  # crashed on another host
    elsewhere.record(image_id, "garment", edit, seconds=3.0, actions=1, base=0)
    project = Project.open(root, user="alice")
    session, errors = _session(qtbot, project)
    refusal = journal_recovery.refusal
    calls: list[int] = []

    def unreachable_once(store, entry):
        calls.append(1)
        if len(calls) == 1:
            raise ProjectError("the project's server does not answer")
        return refusal(store, entry)

    monkeypatch.setattr(journal_recovery, "refusal", unreachable_once)
    try:
        assert session.restore_unsaved(session.recoverable()) == [image_id]
        assert session.open_image(image_id)
        assert not session.current.doc.masks["garment"].any() and not session.unsaved
        (said,) = errors
        assert f"p0.png ({task_title('garment')})" in said and "server does not answer" in said
        assert session.open_image(other) and session.open_image(image_id), errors
        np.testing.assert_array_equal(session.current.doc.masks["garment"], edit)
        assert session.unsaved and session._pending == []
        assert [e.path.parent for e in journal_entries(root / "journal")] == [session.journal.directory]
    finally:
        session.shutdown()
        project.close()
