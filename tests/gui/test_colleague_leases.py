"""Two operators on one project: a refused switch, a read-only view, a store that goes away.

Found by a hand test of two windows on one PostgreSQL project; the same paths run on a folder
project here (the lease logic is the backend's, the window's reaction is what is tested).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.dataset.leases import person
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import open_project
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.annotate.queue_dock import ID_ROLE
from fashion_annotator.ui.annotate.queue_refresh import QUEUE_POLL_S
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import (
    Answers,
    add_tiny_model,
    click,
    copy_project,
    drag,
    open_window,
)

pytestmark = pytest.mark.reliability


@pytest.fixture
def two(qtbot, template, tmp_path):
    """Alice's and Bob's windows on one project: Alice on the first image, Bob on the second."""
    root = copy_project(template, tmp_path / "project")
    alice, a_project = open_window(qtbot, root, tmp_path / "alice.ini", Answers(), user="alice")
    bob_answers = Answers()  # Bob's window starts on Alice's image, read-only
    bob, b_project = open_window(qtbot, root, tmp_path / "bob.ini", bob_answers, user="bob")
    ids = [r.id for r in a_project.images()]
    assert alice.session.image_id == ids[0]
    assert bob.open_image(ids[1])
    bob_answers.read_only = False  # from now on Bob skips an image a colleague holds
    yield alice, bob, bob_answers, ids
    for window, project in ((bob, b_project), (alice, a_project)):
        window.close()
        project.close()


def test_skipping_a_colleagues_image_keeps_the_open_one_editable_and_saved(two, qtbot):
    alice, bob, answers, ids = two
    bob.canvas.set_tool("brush")
    drag(bob, [(300, 300), (340, 330)])
    assert bob.session.unsaved
    said: list[str] = []
    bob.session.message.connect(said.append)
    assert not bob.open_image(ids[0])  # Alice holds it; Bob skips
    holder = bob.project.leases.current(ids[0]).holder
    assert answers.asked[-1] == ("lease", holder)
    assert said[-1] == f"Skipped {bob.project.image(ids[0]).name}: {person(holder)} is editing it"
    # Bob is still on his image, leased, editable; the edit made before was saved
    assert bob.session.image_id == ids[1] and not bob.session.current.read_only
    assert bob.project.lease(ids[1]).holder.startswith("bob@")
    versions = len(bob.project.mask_versions(ids[1], "garment"))
    assert versions == 1
    drag(bob, [(400, 300), (440, 330)])  # and a later edit is saved, not dropped
    assert bob.save()
    assert len(bob.project.mask_versions(ids[1], "garment")) == 2
    assert bob.queue.view.currentIndex().data(ID_ROLE) == ids[1]


def test_an_unreachable_store_keeps_the_open_image_and_the_queue(two, qtbot, monkeypatch):
    _alice, bob, _answers, ids = two
    rows = bob.queue.model.rowCount()

    def down(*_args, **_kwargs):
        raise ProjectError("server closed the connection unexpectedly")

    name = bob.display_name(bob.project.image(ids[2]))
    monkeypatch.setattr(bob.project.leases, "acquire", down)
    monkeypatch.setattr(bob.project, "images", down)
    monkeypatch.setattr(bob.project, "image", down)
    assert not bob.open_image(ids[2])
    assert bob.session.image_id == ids[1] and not bob.session.current.read_only
    said = f"Could not open {name}: server closed"  # the list's name, not "image N" (a QA hand test)
    assert said in bob.banner.text() or said in bob.status.currentMessage()
    bob.reload_queue()  # what a save does: the list keeps its rows, the status bar says why
    assert bob.queue.model.rowCount() == rows
    assert "not refreshed" in bob.status.currentMessage()


def test_viewing_a_held_image_read_only_writes_no_instances(two, qtbot):
    alice, bob, answers, ids = two
    answers.read_only = True
    record = bob.project.image(ids[0])
    parsing = np.zeros(record.shape, np.uint8)
    parsing[150:450, 120:330] = 3  # a top: instances are derived from it
    alice.project.save_mask(ids[0], "parsing7", parsing)
    assert bob.open_image(ids[0])  # Alice holds it: Bob views it read-only
    assert bob.session.current.read_only
    qtbot.waitUntil(lambda: bob.instances.doc is not None and bool(bob.instances.doc.instances))
    shown = len(bob.instances.doc.instances)
    qtbot.mouseClick(bob.instances.buttons["propose"], Qt.MouseButton.LeftButton)  # the button itself
    assert len(bob.instances.doc.instances) == shown  # refused, not proposed over Alice's
    assert "read-only" in bob.status.currentMessage()
    assert bob.session.save()  # what autosave and a switch do: nothing written, nothing raised
    assert bob.instances.flush()
    assert bob.project.instance_versions(ids[0]) == []


def test_saved_instances_are_not_held_to_a_parsing_proposal(qtbot, template, tmp_path):
    """Instances saved earlier survive a save while the parsing mask is still a fresh proposal
    (here: empty, no model); they used to be reconciled away and saved as the operator's."""
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        image_id = window.session.image_id
        record = project.image(image_id)
        imap = np.zeros(record.shape, np.uint8)
        imap[200:400, 150:300] = 1
        project.save_instances(image_id, InstanceSet(imap, {1: Instance(1, parsing_class=4, category="shoes")}),
                               source="model")  # fmt: skip
        window.step(1)
        window.step(-1)  # reopen: the saved instances are loaded
        assert window.session.image_id == image_id and window.instances.doc is not None
        assert "parsing7" in window.session.current.fresh
        window.canvas.set_tool("brush")
        click(window, 500, 400)
        assert window.save()
        latest = project.load_instances(image_id)
        assert latest is not None and list(latest.instances) == [1]
        assert len(project.instance_versions(image_id)) == 1
    finally:
        window.close()
        project.close()


def test_a_model_promoted_elsewhere_proposes_at_the_next_image(two, qtbot, tmp_path):
    alice, bob, _answers, ids = two
    assert bob.session.proposals.predictor("garment") is None  # no model yet in this project
    add_tiny_model(alice.project, tmp_path, "garment")  # Alice's window (or a terminal) promotes one
    assert bob.open_image(ids[2])
    qtbot.waitUntil(lambda: bob.session.current.doc.proposal("garment") is not None, timeout=20000)
    assert bob.session.proposals.predictor("garment") is not None


def test_a_colleagues_status_change_shows_at_the_next_poll(two, qtbot):
    alice, bob, _answers, ids = two

    def shown_status(window, image_id):
        return next(r.status for r in window.queue.model.records() if r.id == image_id)

    assert bob.queue_refresh.timer.isActive() and bob.queue_refresh.timer.interval() == QUEUE_POLL_S * 1000
    assert not bob.queue_refresh.reload(only_if_changed=True)  # nothing changed: the list is left alone
    read: list[int] = []
    images = bob.project.images
    bob.project.images = lambda *a, **k: read.append(1) or images(*a, **k)  # type: ignore[method-assign]
    assert not bob.queue_refresh.reload(only_if_changed=True) and read == []  # no colleague committed: not even read
    alice.canvas.set_tool("brush")
    drag(alice, [(300, 300), (340, 330)])
    assert alice.mark_done()
    assert shown_status(bob, ids[0]) == "new"
    bob.queue_refresh.timer.timeout.emit()  # what the timer does every QUEUE_POLL_S
    assert shown_status(bob, ids[0]) == "done"
    assert bob.queue.view.currentIndex().data(ID_ROLE) == ids[1]  # Bob's selection stays


def test_a_save_clears_an_earlier_error_and_a_read_only_reason_stays(two, qtbot):
    _alice, bob, answers, ids = two
    bob.session.error.emit("Could not renew the lease on this image: server closed the connection")
    assert "Could not renew" in bob.banner.text()
    bob.canvas.set_tool("brush")
    drag(bob, [(300, 300), (340, 330)])
    assert bob.save()
    assert "Could not renew" not in bob.banner.text()  # the save went through: it is over
    answers.read_only = True
    assert bob.open_image(ids[0])  # Alice's image, read-only
    bob.session.error.emit("Not saved: alice holds this image")
    assert "Not saved" in bob.banner.text() and "alice" in bob.banner.text()
    assert "Read-only" in bob.banner.text()  # why it is read-only is not pushed out by the error


def test_the_banner_clears_when_the_store_answers_again(two, qtbot, monkeypatch):
    _alice, bob, _answers, _ids = two
    acquire = bob.project.leases.acquire

    def down(*_args, **_kwargs):
        raise ProjectError("connection refused")

    monkeypatch.setattr(bob.project.leases, "acquire", down)
    bob.session._lease_timer.timeout.emit()  # a renewal while the server is away
    assert "Could not renew" in bob.banner.text()
    monkeypatch.setattr(bob.project.leases, "acquire", acquire)
    bob.session._lease_timer.timeout.emit()  # the next one, once it is back: nothing saved meanwhile
    assert "Could not renew" not in bob.banner.text()
    assert "answers again" in bob.status.currentMessage()


def test_viewing_a_held_image_read_only_records_no_proposal(two, qtbot, tmp_path):
    """A colleague only looking wrote a "shown" proposal row (a model's output can differ
    between opens), changing what QA scores the holder's work against."""
    alice, bob, answers, ids = two
    answers.read_only = True
    add_tiny_model(alice.project, tmp_path)
    assert bob.open_image(ids[0]) and bob.session.current.read_only  # Alice holds it
    qtbot.waitUntil(lambda: bob.session.current.doc.proposals.get("garment") is not None, timeout=30_000)
    assert bob.project.proposals(ids[0], "garment") == []


def test_skipping_the_first_photo_at_start_says_that_none_is_open_and_what_to_do(qtbot, template, tmp_path):
    # bob skipped alice's photo in the first question: an empty grey canvas, nothing said.
    root = copy_project(template, tmp_path / "project")
    alice, a_project = open_window(qtbot, root, tmp_path / "alice.ini", Answers(), user="alice")
    b_project = open_project(root, user="bob")
    answers = Answers(read_only=False)  # Skip
    bob = MainWindow(b_project, Preferences(settings_file(tmp_path / "bob.ini")), ask_lease_held=answers.ask_lease_held,
                     proposals=ProposalSource(b_project, use_shipped=False))  # fmt: skip
    try:
        qtbot.addWidget(bob)
        bob.resize(1200, 800)
        bob.show()
        qtbot.waitExposed(bob)
        bob.start()
        first = a_project.image(alice.session.image_id)
        assert [q[0] for q in answers.asked] == ["lease"] and bob.session.current is None
        holder = a_project.leases.current(first.id).holder
        said = bob.banner.text()
        assert bob.banner.isVisible() and f"Skipped {first.name}: {person(holder)} is editing it" in said
        assert "No photo is open: choose one in the image list, or use Next free to-do (Ctrl+Shift+N)" in said
        # a hand test: "... is editing it No photo is open: ...", two sentences run together
        assert bob.status.currentMessage().startswith(
            f"Skipped {first.name}: {person(holder)} is editing it. No photo is open: choose one")
        assert bob.open_next_free() and bob.session.image_id != first.id
        assert "No photo is open" not in bob.banner.text()
    finally:
        bob.close()
        b_project.close()
        alice.close()
        a_project.close()
