"""Closing the window when saving or the tool raises something unexpected: never a silent close."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.annotate import session
from fashion_annotator.core.journal import journal_entries
from fashion_annotator.ui.testing import Answers, copy_project, drag, open_window


@pytest.fixture
def root(template, tmp_path) -> Path:
    return copy_project(template, tmp_path / "project")


def test_an_unexpected_error_in_the_save_at_close_asks_instead_of_closing(qtbot, root, tmp_path, monkeypatch, caplog):
    """A save at quit that raised something other than a store refusal (a bug, a MemoryError)
    went out of closeEvent: the window closed unsaved without the quit question, the crash
    dialog went with the application, and the operator learnt of the journal at the next start."""
    answers = Answers(quit=False)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    first = window.session.image_id
    name = window.display_name(project.image(first))
    drag(window, [(100, 200), (300, 200)])

    def broken(*_args, **_kwargs):
        raise RuntimeError("mask encoder gave up")

    monkeypatch.setattr(session, "save_open_image", broken)
    assert not window.close()  # the operator chose to stay
    assert window.isVisible() and answers.asked[-1][0] == "quit"
    assert f"Could not save {name}: RuntimeError: mask encoder gave up" in answers.asked[-1][1]
    assert "mask encoder gave up" in caplog.text and "Traceback" in caplog.text
    assert journal_entries(root / "journal"), "the edit waits in the recovery journal"
    monkeypatch.undo()
    assert window.close()
    assert project.load_mask(first, "garment")[200, 200] == 1
    project.close()


def test_an_error_finishing_the_tool_at_close_still_saves_the_strokes_made(qtbot, root, tmp_path, monkeypatch):
    """A tool that raised when the close ended its edit in progress stopped the close before the
    save: the window closed with every earlier stroke unsaved."""
    answers = Answers()
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])

    def broken() -> None:
        raise RuntimeError("brush lost its last point")

    monkeypatch.setattr(window.canvas, "finish_edit", broken)
    assert window.close()
    assert project.load_mask(first, "garment")[200, 200] == 1
    assert not answers.asked and not journal_entries(root / "journal")
    project.close()
