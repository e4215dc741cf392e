"""Who the window records: ``new --user alice`` was taken for the project's user by a hand
tester, while every later save and decision in the window was recorded as ``root`` (the login
name), so approving asked "approve your own work?". A person is not a project setting: the
window records the name its command line gives (``fashion-annotator PROJECT --user NAME``),
else ``$FA_USER``, else the login name; ``new --user`` names who ran ``new``."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fashion_annotator import cli
from fashion_annotator.runtime.paths import current_user
from fashion_annotator.ui.testing import Answers, open_window

#: The environment variable naming the person (``runtime.paths.USER_VARIABLE``).
USER_VARIABLE = "FA_USER"


@pytest.fixture
def no_user_variable(monkeypatch):
    """``$FA_USER`` unset now and again after the test (a window's --user sets it)."""
    monkeypatch.setenv(USER_VARIABLE, "unset")
    monkeypatch.delenv(USER_VARIABLE)


def test_the_windows_user_option_names_who_is_recorded(no_user_variable, monkeypatch, tmp_path, capsys):
    launched = []
    monkeypatch.setattr(cli, "_launch_gui", lambda path: launched.append((path, current_user())) or 0)
    assert cli.main([str(tmp_path), "--user", "bob"]) == 0
    assert cli.main(["--user=carol"]) == 0
    assert launched == [(str(tmp_path), "bob"), (None, "carol")]
    assert cli.main([str(tmp_path), "--user", " "]) == 2
    assert "--user needs a name" in capsys.readouterr().err
    assert len(launched) == 2


def test_user_before_a_command_says_where_it_goes(no_user_variable, monkeypatch, tmp_path, capsys):
    """A review finding: ``--user alice info PROJ`` said "unknown subcommand 'info' (did you mean
    'info'?)" and ``--user alice --version`` "invalid choice: 'alice'"."""
    launched = []
    monkeypatch.setattr(cli, "_launch_gui", lambda path: launched.append(path) or 0)
    assert cli.main(["--user", "alice", "info", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--user goes after the command's name" in err and "info --user NAME" in err
    assert "did you mean" not in err and f"{USER_VARIABLE}=NAME" in err
    with pytest.raises(SystemExit) as done:
        cli.main(["--user", "alice", "--version"])
    assert done.value.code == 0
    out = capsys.readouterr()
    assert "invalid choice" not in out.err and out.out.strip()
    assert launched == []


def test_new_user_is_who_ran_new_and_the_window_records_its_own(no_user_variable, monkeypatch, qtbot, tmp_path,
                                                                capsys):  # fmt: skip
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (96, 64, 3), np.uint8)).save(photos / "look.png")
    root = tmp_path / "p"
    assert cli.main(["new", str(root), "--images", str(photos), "--tasks", "garment", "--user", "alice"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(["new", "--help"])
    assert "the project does not keep it: the window records its own user" in " ".join(capsys.readouterr().out.split())
    monkeypatch.setenv(USER_VARIABLE, "bob")  # as the window's --user bob sets it
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers(), user=None)
    try:
        assert project.user == "bob"
        doc = window.session.current.doc
        doc.masks["garment"][10:40, 10:40] = 1
        window.canvas.refresh_overlay()
        assert window.mark_done()
        (version,) = project.mask_versions(doc.image_id, "garment")[-1:]
        assert version.user == "bob", "recorded as the window's user, not as the project's creator"
    finally:
        window.close()
        project.close()
