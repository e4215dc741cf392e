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


def test_a_settings_file_that_cannot_be_written_is_said_when_the_window_opens(
    qtbot, template, tmp_path, answers
):
    """A read-only home folder or ``XDG_CONFIG_HOME`` naming a file: the keys, colours and
    recent projects the operator set were silently gone at the next start."""
    (tmp_path / "a file").write_text("")
    settings = tmp_path / "a file" / "fashion-annotator.conf"
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, settings, answers)
    said = window.banner.text()
    assert f"Preferences are not saved: {settings} cannot be written" in said
    assert window.status.currentMessage().startswith("Preferences are not saved: ")
    window.close()
    project.close()


def test_numbers_out_of_any_range_in_the_settings_file_fall_back_to_the_defaults(
    qtbot, template, tmp_path, answers
):
    """``interval_s=nan`` or ``99999999999`` stopped the app at start-up (``int(nan)``, a Qt
    timer interval past 2**31 ms); so did ``nan`` as a project's background retrain count."""
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "damaged.ini"
    prefs = Preferences(settings_file(settings))
    for interval, every, expected in (("nan", "nan", (30, 0)), ("99999999999", "1e30", (3600, 10_000)),
                                      ("-5", "-1", (0, 0)), ("inf", "garbage", (30, 0))):  # fmt: skip
        prefs.settings.setValue("autosave/interval_s", interval)
        prefs.settings.setValue(f"background_every/{str(root.resolve()).replace('/', '|')}", every)
        assert (prefs.autosave_interval_s, prefs.background_retrain_every(root)) == expected
    prefs.settings.setValue("autosave/interval_s", "nan")
    prefs.sync()
    window, project = open_window(qtbot, root, settings, answers)
    assert window.session.current is not None
    window.close()
    project.close()


def test_a_settings_file_damaged_outside_the_program_is_said_as_damaged_and_written_anew(
    qtbot, template, tmp_path, answers
):
    """Random bytes in the settings file (a disk error, a bad copy): the window said the file
    "cannot be written" and that the layout and recent projects last only until the app quits,
    though the file was written anew and all of them lasted."""
    settings = tmp_path / "damaged.ini"
    settings.write_bytes(bytes(range(256)) * 8)
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, settings, answers)
    said = window.banner.text()
    assert "cannot be written" not in said
    assert f"Preferences file {settings} was damaged" in said
    window.close()
    project.close()
    again = Preferences(settings_file(settings))
    assert again.unsaved_reason() is None
    assert all(isinstance(value, bytes) and value for value in again.window_state()), "the layout was saved"
    assert again.last_image(root) is not None
