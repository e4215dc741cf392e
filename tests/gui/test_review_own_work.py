"""Review tab, a QA hand test on a team project: bob approved 0004, which he had fixed himself,
unwarned. Approving a mask whose latest version the reviewer saved asks first, No the default;
the Throughput panel says which of its figures adds up to the images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import approve
from fashion_annotator.ui import prompts
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)
#: The real question, taken before the suite's fixture answers it Yes (tests/gui/conftest.py).
ASK = prompts.ask_approve_own_work


def _mask(x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:x1] = 1
    return mask


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """alice saves 0001..0004; bob reworks 0004 (its latest version is his)."""
    rng = np.random.default_rng(0)
    with Project.create(tmp_path / "proj", tasks=("garment",), user="alice") as alice:
        for i in range(1, 5):
            path = tmp_path / "src" / f"000{i}.jpg"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = alice.add_image(path).id
            alice.save_proposal(image_id, "garment", _mask(30), "v1")
            alice.save_mask(image_id, "garment", _mask(28), seconds=60.0 * i, actions=i)
            alice.set_status(image_id, "done")
        root = Path(alice.root)
    with Project.open(root, user="bob") as bob:
        fixed = bob.images(search="0004")[0].id
        bob.save_mask(fixed, "garment", _mask(30), seconds=400.0, actions=9)
        bob.set_status(fixed, "done")
    return root


def _view(qtbot, project: Project) -> ReviewView:
    view = ReviewView(project)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


def _answer(button: QMessageBox.StandardButton | None, seen: list[tuple[str, str, object]]) -> None:
    """Answer the question once it is up: ``button`` clicked, or None: Enter (its default)."""

    def reply() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, reply)
            return
        seen.append((box.windowTitle(), box.text(), box.defaultButton() is box.button(QMessageBox.StandardButton.No)))
        chosen = box.defaultButton() if button is None else box.button(button)
        chosen.click()

    QTimer.singleShot(0, reply)


def test_approving_ones_own_latest_version_asks_first_no_by_default(team, qtbot, monkeypatch):
    monkeypatch.setattr(prompts, "ask_approve_own_work", ASK)
    with Project.open(team, user="bob") as bob:
        view = _view(qtbot, bob)
        fixed = bob.images(search="0004")[0].id
        assert view.select_image(fixed)
        seen: list[tuple[str, str, object]] = []
        _answer(None, seen)  # Enter: the default
        assert not view.approve_selected()
        assert seen == [("Approve your own work?",
                         "You saved the latest version of 0004.jpg yourself. Approve your own work?", True)]
        assert bob.decisions() == [] and view.selected_row().image_id == fixed
        _answer(QMessageBox.StandardButton.Yes, seen)
        assert view.approve_selected()
        assert [(d.image_id, d.decision, d.user) for d in bob.decisions()] == [(fixed, "approve", "bob")]


def test_approving_a_colleagues_latest_version_asks_nothing(team, qtbot, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(prompts, "ask_approve_own_work", lambda parent, name: asked.append(name) or False)
    with Project.open(team, user="bob") as bob:
        view = _view(qtbot, bob)
        other = bob.images(search="0002")[0].id
        assert view.select_image(other) and view.approve_selected()
        assert asked == [] and [d.image_id for d in bob.decisions()] == [other]
        fixed = bob.images(search="0004")[0].id
        assert view.select_image(fixed) and not view.approve_selected()
        assert asked == ["0004.jpg"] and len(bob.decisions()) == 1
        approve(bob, fixed, "garment")  # the command line's and the API's path: unchanged
        assert len(bob.decisions()) == 2


def test_the_throughput_panel_says_what_adds_up_to_the_images(team, qtbot):
    """alice showed 4 images, only 3 of them hers in their latest version."""
    with Project.open(team, user="rita") as rita:
        text = _view(qtbot, rita).throughput.text()
    assert "<th>worked on</th><th>latest theirs</th>" in text
    assert "<tr><td>alice</td><td align=right>4</td><td align=right>3</td>" in text
    assert "<tr><td>bob</td><td align=right>1</td><td align=right>1</td>" in text
    assert "a reworked image counts for each operator" in text
