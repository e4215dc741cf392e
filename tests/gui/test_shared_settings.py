"""Two windows of the app (two processes) sharing one settings file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from fashion_annotator.ui.preferences import Preferences, settings_file


def test_a_project_another_window_listed_stays_in_the_recent_projects(tmp_path: Path) -> None:
    """Window A open, window B opened on project B and closed, then A closed: A wrote the
    list it had read at its start, and project B was gone from File > Open recent (a hand test
    with two windows)."""
    ini = tmp_path / "fashion-annotator.conf"
    first = Preferences(settings_file(ini))
    first.add_recent_project(tmp_path / "a")
    first.sync()
    other = textwrap.dedent(f"""
        from pathlib import Path
        from fashion_annotator.ui.preferences import Preferences, settings_file
        prefs = Preferences(settings_file({str(ini)!r}))
        prefs.add_recent_project(Path({str(tmp_path / "b")!r}))
        prefs.sync()
    """)
    subprocess.run([sys.executable, "-c", other], check=True, timeout=120)
    first.add_recent_project(tmp_path / "a")  # window A closes
    first.sync()
    expected = [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]
    assert first.recent_projects == expected
    assert Preferences(settings_file(ini)).recent_projects == expected
