"""The QA report never pictures a file that is not the project's photo: a project folder from
elsewhere whose ``images/NAME`` links to a private photo had that photo embedded in the HTML."""

from __future__ import annotations

from pathlib import Path

from qa_synth import add_photo, square

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.report import build_html
from fashion_annotator.qa.scores import score_project


def test_a_stored_photo_linked_to_another_file_is_not_pictured(project: Project, tmp_path: Path) -> None:
    image_id = add_photo(project, tmp_path / "src", "look.png", 1)
    project.save_proposal(image_id, "garment", square(0, 20, 5, 30), "test-v1")
    project.save_mask(image_id, "garment", square(5, 5, 15, 15))
    add_photo(project, tmp_path / "home", "private.png", 2)
    private = tmp_path / "home" / "private.png"
    stored = project.root / "images" / "look.png"
    stored.unlink()
    stored.symlink_to(private)
    document = build_html(project, "garment", score_project(project, "garment"), worst=2)
    assert '<img alt="look.png"' not in document
    assert "no picture" in document and "a link to" in document
