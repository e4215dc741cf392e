"""A folder of photos opened in the window said nothing of the ``notes.txt`` in it, while
``import --format photos`` lists it as left out: the window's summary (its Details) lists it
too, and the project folder the window makes there is not listed."""

from __future__ import annotations

import shutil

from fashion_annotator.dataset.formats import import_photos
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import app
from fashion_annotator.ui.file_jobs import summary_lines


def test_a_photo_folders_other_files_are_listed_as_left_out(tmp_path, ccp_dir) -> None:
    photos = tmp_path / "shoot"
    photos.mkdir()
    shutil.copy(ccp_dir / "images" / "0001.jpg", photos / "look.jpg")
    (photos / "notes.txt").write_text("call the client")
    with Project.create(tmp_path / "cli") as other:  # the CLI's import, for comparison
        said_by_cli = [line for line in import_photos(other, photos).lines() if "notes.txt" in line]
    assert said_by_cli
    project, pending = app.open_or_start(photos)  # the folder opened in the window
    with project:
        lines, _ = summary_lines(pending.work(project, lambda done, total: None))
        assert "1 left out:" in lines and [line for line in lines if "notes.txt" in line] == said_by_cli
        assert not any("annotations" in line for line in lines), "its own project folder is not left out"
