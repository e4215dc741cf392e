"""Fixtures of the training tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.store import Project


@pytest.fixture
def garment_project(tmp_path: Path, ccp_dir: Path) -> Iterator[Project]:
    """A project at ``tmp_path / "p"`` with the first 8 CCP photos and their garment masks done."""
    from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json

    project = Project.create(tmp_path / "p", tasks=("garment",))
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    for image in sorted((ccp_dir / "images").glob("*.jpg"))[:8]:
        record = project.add_image(image)
        mask = apply_mapping(load_mask(ccp_dir / "masks" / f"{image.stem}.png"), mapping)
        project.save_mask(record.id, "garment", mask, status="done")
    with project:
        yield project
