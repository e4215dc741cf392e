"""A project folder from elsewhere may hold links to folders of this computer: opening it never
removes or moves what the sweep reaches through such a link (a vendor's project whose
``proposals`` linked to a folder of photos deleted every PNG in it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project

SHAPE = (24, 32)


def test_opening_a_project_never_sweeps_through_a_linked_folder(tmp_path: Path, write_photo) -> None:
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    for rel in ("a.png", "sub/b.png", ".x.tmp"):
        (outside / rel).write_bytes(b"keep")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis.docx").write_bytes(b"keep")
    (root / "proposals").rmdir()
    (root / "proposals").symlink_to(outside, target_is_directory=True)
    for name in ("models", "lost+found"):
        if (root / name).exists():
            (root / name).rmdir()
    (root / "models").symlink_to(elsewhere, target_is_directory=True)
    (root / "masks" / str(rec.id) / "garment" / "v2.png").write_bytes(b"orphan")
    lost = tmp_path / "lost"
    lost.mkdir()
    (root / "lost+found").symlink_to(lost, target_is_directory=True)
    with Project.open(root, user="bob") as project:
        swept = project.swept
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*") if p.is_file()) == [
        ".x.tmp", "a.png", "sub/b.png"
    ]
    assert (elsewhere / "thesis.docx").read_bytes() == b"keep"
    assert list(lost.iterdir()) == []
    assert (root / "masks" / str(rec.id) / "garment" / "v2.png").read_bytes() == b"orphan"
    assert swept is None or swept.total == 0
