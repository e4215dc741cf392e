"""Small synthetic projects with proposals and saved masks of known agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_synth import add_photo, square

from fashion_annotator.dataset.store import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh garment + parsing7 project, user ``alice``."""
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7"), user="alice") as proj:
        yield proj


@pytest.fixture
def scored_project(project: Project, tmp_path: Path) -> tuple[Project, dict[str, int]]:
    """Three garment images with known Dice (1.0, 2/3, 0.0) and one without a proposal.

    The saved mask is always the 10x10 square at (5, 5); the proposals are the same square,
    half of it (Dice 100 / 150), and a disjoint square (Dice 0).
    """
    ids = {}
    saved = square(5, 5, 15, 15)
    proposals = {
        "same": saved,
        "half": square(5, 5, 15, 10),
        "disjoint": square(0, 20, 5, 30),
    }
    for seed, (name, proposal) in enumerate(proposals.items()):
        image_id = add_photo(project, tmp_path / "src", f"{name}.png", seed)
        project.save_proposal(image_id, "garment", proposal, "test-v1")
        project.save_mask(image_id, "garment", saved, seconds=30.0 * (seed + 1), actions=seed + 2)
        project.set_status(image_id, "done")
        ids[name] = image_id
    ids["unproposed"] = add_photo(project, tmp_path / "src", "unproposed.png", 10)
    project.save_mask(ids["unproposed"], "garment", saved, seconds=5.0, actions=1)
    ids["unsaved"] = add_photo(project, tmp_path / "src", "unsaved.png", 11)
    return project, ids
