"""The status bar's model field says the model is loading until it is known.

Found in a hand test: after ``models P1 --task garment --activate 1`` the window's status bar
said "no model" for about 25 s after the start, then "model v1".
"""

from __future__ import annotations

import cv2
import numpy as np

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.annotate.status_bar import LOADING, StatusBar
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import Answers, open_window


def test_the_model_field_says_loading_until_the_model_is_known(qtbot) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    assert bar.model.text() == LOADING == "model: loading…"
    assert "not known yet" in bar.model.toolTip()
    bar.set_model("v1 (20261207-185459)", known=False)  # a task switch before its first proposal
    assert bar.model.text() == LOADING
    bar.set_model("v1 (20261207-185459)")
    assert bar.model.text() == "model v1" and bar.model.toolTip().endswith("v1 (20261207-185459)")
    bar.set_model(None)
    assert bar.model.text() == "no model"


def test_with_no_photo_open_the_model_field_names_the_model_that_will_load(qtbot, tmp_path) -> None:
    """A review finding: an empty project said "model: loading…" for good (the field changed
    only when a proposal arrived); it names the model the first photo loads."""
    Project.create(tmp_path / "p", tasks=("garment", "parsing7")).close()
    project = Project.open(tmp_path / "p", user="alice")
    answers = Answers()
    window = MainWindow(project, Preferences(settings_file(tmp_path / "s.ini")), ask_restore=answers.ask_restore,
                        ask_quit=answers.ask_quit, ask_lease_held=answers.ask_lease_held,
                        ask_stop=answers.ask_stop, proposals=ProposalSource(project, use_shipped=True))  # fmt: skip
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    try:
        assert window.session.current is None
        assert window.status.model.text() == "model shipped"
        assert "loads with the first photo" in window.status.model.toolTip()
        window.set_task("parsing7")
        assert window.status.model.text() == "model shipped"
    finally:
        window.close()
        project.close()


def test_a_failed_proposal_leaves_the_model_field_loading_no_more(qtbot, tmp_path, monkeypatch) -> None:
    """The proposal of the open photo fails: the error says so, and the field stops saying
    "loading…" (it names the model, or "no model" when none could load)."""
    Project.create(tmp_path / "p", tasks=("garment",)).close()
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), np.full((120, 80, 3), 200, np.uint8))
    with Project.open(tmp_path / "p", user="alice") as made:
        made.add_image(photo)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the network ran out of memory")

    monkeypatch.setattr(ProposalSource, "propose", fail)
    window, project = open_window(qtbot, tmp_path / "p", tmp_path / "s.ini", Answers(), use_shipped=True)
    try:
        qtbot.waitUntil(lambda: "garment proposal failed" in window.banner.text(), timeout=20000)
        assert window.status.model.text() != LOADING
        assert window.status.model.text() == "model shipped"
    finally:
        window.close()
        project.close()
