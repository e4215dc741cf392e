"""A read-only project opens in the window with a banner; edits are blocked, nothing is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import Answers, click, open_window, wait_ready

pytestmark = pytest.mark.reliability

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample" / "ccp_0014.jpg"


def test_read_only_project_shows_a_banner_and_saves_nothing(
    qtbot, tmp_path: Path, isolated_settings: Path
) -> None:
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(SAMPLE)
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    project = Project.open(root, readonly=True)
    answers = Answers()
    window = MainWindow(
        project, Preferences(settings_file(isolated_settings)),
        ask_restore=answers.ask_restore, ask_quit=answers.ask_quit,
        ask_lease_held=answers.ask_lease_held,
        proposals=ProposalSource(project, use_shipped=False),
    )  # fmt: skip
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    wait_ready(qtbot, window)
    assert window.banner.isVisible()
    assert "Read-only project" in window.banner.text()
    assert window.session.current.read_only
    click(window, 200, 300)  # an editing click is swallowed
    assert not window.session.unsaved
    # said, without blaming a colleague: it read "another operator is editing this image"
    assert window.status.currentMessage() == "Read-only: this image cannot be edited; the banner above it says why"
    assert window.session.save(status="done")
    window.close()
    with Project.open(root) as again:
        assert len(again.mask_versions(rec.id, "garment")) == 1
        assert again.image(rec.id).status == "new"
        assert again.lease(rec.id) is None


def test_masks_set_aside_at_open_are_named_in_the_banner(qtbot, tmp_path: Path, isolated_settings: Path) -> None:
    """A re-test: after an index restored from a backup the masks saved since were moved to
    lost+found with only a log line: the operator thought the work was lost."""
    import shutil

    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(SAMPLE)
        saved = project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    shutil.copyfile(saved.path, saved.path.with_name("v2.png"))  # a save the index lost
    window, project = open_window(qtbot, root, isolated_settings, Answers())
    assert window.banner.isVisible()
    assert "moved 1 saved mask file(s) its index does not name to" in window.banner.text()
    assert "nothing was deleted" in window.banner.text()
    window.close()
    project.close()
