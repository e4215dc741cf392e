"""Property: random masks survive export and re-import exactly, in every format."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from fashion_annotator.core.images import MIN_PHOTO_SIDE
from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project


@st.composite
def masks(draw: st.DrawFn, num_classes: int) -> np.ndarray:
    height = draw(st.integers(MIN_PHOTO_SIDE, 20))  # the smallest photo a project takes
    width = draw(st.integers(MIN_PHOTO_SIDE, 20))
    return draw(arrays(np.uint8, (height, width), elements=st.integers(0, num_classes - 1)))


_EXAMPLE = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every example: removing folders costs ~3 ms each on a busy disk."""
    return tmp_path_factory.mktemp("roundtrip")


def _roundtrip(workdir: Path, mask: np.ndarray, task: str, formats: dict[str, str]) -> None:
    rng = np.random.default_rng(mask.size)
    root = workdir / str(next(_EXAMPLE))
    photo = root / "src" / "shot.png"
    photo.parent.mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (*mask.shape, 3), dtype=np.uint8)).save(photo)
    with Project.create(root / "p", tasks=(task,)) as project:
        rec = project.add_image(photo)
        project.save_mask(rec.id, task, mask)
        for export_fmt, import_fmt in formats.items():
            out = root / export_fmt
            assert export_project(project, out, export_fmt, task).count == 1
            with Project.create(root / f"back-{export_fmt}", tasks=(task,)) as back:
                summary = import_source(back, out, import_fmt, task)
                assert summary.errors == [] and summary.masks == 1
                (again,) = back.images()
                np.testing.assert_array_equal(back.load_mask(again.id, task), mask)
                shown = project.load_photo(rec.id).rgb
                if export_fmt == "cutout":  # black under the transparency: none of the photo there
                    shown = np.where((mask > 0)[..., None], shown, np.uint8(0))
                np.testing.assert_array_equal(back.load_photo(again.id).rgb[..., :3], shown)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(masks(7))
def test_parsing_masks_survive_plain_and_coco(workdir: Path, mask: np.ndarray) -> None:
    _roundtrip(workdir, mask, "parsing7", {"plain": "plain", "coco": "coco"})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(masks(2))
def test_binary_masks_survive_every_format(workdir: Path, mask: np.ndarray) -> None:
    _roundtrip(workdir, mask, "garment", {"plain": "plain", "coco": "coco", "cutout": "alpha"})
