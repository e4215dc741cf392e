"""File > Open project's folder dialog starts in the last project's parent folder (as the HTML
report's dialog starts beside the project), not in the program's working folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog


def test_open_project_starts_in_the_last_projects_parent_folder(opened, tmp_path, monkeypatch):
    window, project = opened
    last = tmp_path / "studio" / "autumn"
    last.mkdir(parents=True)
    window.prefs.add_recent_project(last)
    asked: list[tuple] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: asked.append(a) or "")
    window.files.choose_project()
    ((_parent, title, start),) = asked
    assert title == "Open project"
    assert Path(start) == last.parent.resolve()
