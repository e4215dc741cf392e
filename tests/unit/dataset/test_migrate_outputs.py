"""``migrate --json`` never writes its report over a file of either project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project


def test_migrate_refuses_a_report_inside_the_source_or_the_copy(
    tmp_path: Path, write_photo, capsys: pytest.CaptureFixture
) -> None:
    """``migrate P COPY --json P/project.sqlite`` wrote the report over the source's index
    (every mask of it lost to the program) and said 0; ``--json COPY/images/look.png`` over the
    copy's photo."""
    src = tmp_path / "one"
    with Project.create(src) as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
        project.save_mask(record.id, "garment", np.ones((24, 32), np.uint8))
    index = (src / "project.sqlite").read_bytes()
    for target in (src / "project.sqlite", tmp_path / "two" / "images" / "look.png"):
        assert main(["migrate", str(src), str(tmp_path / "two"), "--json", str(target)]) == 1
        assert "inside the project" in capsys.readouterr().err
        assert not (tmp_path / "two").exists()
    assert (src / "project.sqlite").read_bytes() == index
