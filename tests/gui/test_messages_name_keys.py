"""Messages that name a key name the operator's key: after Undo, Save, Mark done or a tool got
another key in Preferences, the status bar, the banner, the quit question and Help > Getting
started still said Ctrl+Z, Ctrl+S, Ctrl+D or B."""

from __future__ import annotations

import re

import pytest

from fashion_annotator.ui.about import getting_started_text
from fashion_annotator.ui.annotate.banner import reject_notes
from fashion_annotator.ui.annotate.instance_links import ParsingLinks, removed_text
from fashion_annotator.ui.shortcuts import default_keys, key_name, set_keys
from fashion_annotator.ui.testing import drag
from fashion_annotator.ui.window_lifecycle import quit_question

NEW_KEYS = {"undo": "Ctrl+Alt+U", "redo": "Ctrl+Alt+R", "save": "Ctrl+Alt+S", "done": "Ctrl+Alt+D",
            "accept": "Ctrl+Alt+A", "tool_brush": "Ctrl+Alt+B", "new_project": "Ctrl+Alt+N",
            "help": "Ctrl+Alt+H"}  # fmt: skip
OLD_KEYS = ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+S", "Ctrl+D", "Ctrl+Enter", "Ctrl+N", "F1", "B brush")


@pytest.fixture
def rebound(opened):
    """The window with :data:`NEW_KEYS`; the default keys given back after the test (messages
    of later tests, built without a window, name the defaults)."""
    window, project = opened
    for name, key in NEW_KEYS.items():
        set_keys(window.actions_by_name[name], [key])
    yield window, project
    for name in NEW_KEYS:
        action = window.actions_by_name[name]
        set_keys(action, default_keys(action))


def _stale(text: str) -> list[str]:
    """The old keys ``text`` names (not as the end of a new key: "Ctrl+Alt+B brush")."""
    return [key for key in OLD_KEYS if re.search(rf"(?<![\w+]){re.escape(key)}(?![\w+])", text)]


def test_texts_name_the_changed_keys(rebound) -> None:
    texts = {
        "instances removed": removed_text(["3. dress"]),
        "held back undo": ParsingLinks().held_back_text(None, "undo"),
        "held back redo": ParsingLinks().held_back_text(None, "redo"),
        "quit question": quit_question("Could not save image 1", ["garment"]),
        "getting started": getting_started_text(),
    }
    stale = {what: _stale(text) for what, text in texts.items() if _stale(text)}
    assert not stale, f"these texts name keys the commands no longer have: {stale}"
    assert "Ctrl+Alt+U" in texts["instances removed"] and "Ctrl+Alt+R" in texts["held back redo"]
    assert "Ctrl+Alt+S" in texts["quit question"]
    assert "Ctrl+Alt+B brush" in texts["getting started"]


def test_refine_and_the_reject_banner_name_the_changed_keys(qtbot, rebound) -> None:
    window, project = rebound
    image = window.session.image_id
    mask = window.session.current.doc.masks[window.task]
    mask[200:260, 200:260] = 1
    mask[300:302, 300:302] = 1
    window.canvas.refresh_overlay()
    window.actions_by_name["refine_clean"].trigger()
    assert window.status.currentMessage().endswith("(Ctrl+Alt+U undoes)")
    qtbot.waitUntil(lambda: not window.session.unfinished_proposals(), timeout=20000)
    assert window.save()
    version = project.mask_versions(image, "garment")[-1].version
    project.record_decision(image, "garment", "reject", reason="low_contrast", seen_version=version)
    drag(window, [(300, 360), (340, 360)])
    assert window.save()
    lines = reject_notes(project, image)
    assert lines[-1] == "Fixed since: Mark done (Ctrl+Alt+D, or Ctrl+Alt+A) sends it back to review."


def test_messages_name_the_defaults_again_once_the_keys_are_back(rebound) -> None:
    window, _ = rebound
    action = window.actions_by_name["undo"]
    assert key_name("undo", "Ctrl+Z") == "Ctrl+Alt+U"
    set_keys(action, [])
    assert key_name("undo", "Ctrl+Z") == "“Undo”"
    set_keys(action, default_keys(action))
    assert key_name("undo", "Ctrl+Z") == "Ctrl+Z"
