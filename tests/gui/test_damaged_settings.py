"""A settings file edited or damaged by hand: the window opens with the defaults."""

from __future__ import annotations

from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import copy_project, open_window


def test_a_window_layout_that_is_not_a_byte_array_opens_the_default_layout(
    qtbot, template, tmp_path, answers
):
    """``geometry=garbage`` in the settings file stopped the app at start-up with a TypeError
    out of ``restoreGeometry``; the window now opens with its default layout."""
    settings = tmp_path / "damaged.ini"
    settings.write_text("[window]\ngeometry=garbage\nstate=12\n")
    assert Preferences(settings_file(settings)).window_state() == (None, None)
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, settings, answers)
    assert window.isVisible() and window.session.current is not None
    window.close()
    project.close()
    saved = Preferences(settings_file(settings)).window_state()
    assert all(isinstance(value, bytes) and value for value in saved), "the layout is saved again"
