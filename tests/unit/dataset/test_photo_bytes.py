"""Reading a photo's bytes (:func:`fashion_annotator.dataset.storeio.read_photo_bytes`)."""

from __future__ import annotations

import tracemalloc

import pytest

from fashion_annotator.core.images import ImageLoadError
from fashion_annotator.dataset import storeio


def test_a_photo_is_read_without_reserving_the_size_limit(tmp_path) -> None:
    """``read(MAX_PHOTO_BYTES + 1)`` allocated the 1 GiB limit for every photo read (a review:
    committed memory on Windows, refused under an address-space cap)."""
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8" + bytes(200_000))
    tracemalloc.start()
    try:
        data = storeio.read_photo_bytes(photo)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data == photo.read_bytes()
    assert peak < 2_000_000


def test_a_photo_over_the_limit_is_refused_by_name(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(storeio, "MAX_PHOTO_BYTES", 1000)
    photo = tmp_path / "big.jpg"
    photo.write_bytes(bytes(1001))
    with pytest.raises(ImageLoadError, match=r"big\.jpg.*1001 bytes exceeds the photo limit of 1000"):
        storeio.read_photo_bytes(photo)
    photo.write_bytes(bytes(1000))
    assert len(storeio.read_photo_bytes(photo)) == 1000


@pytest.mark.parametrize("size", [(1, 1), (3, 40), (1, 50000), (50000, 2), (20, 400)])
def test_a_photo_too_small_or_too_narrow_to_annotate_is_refused_by_name(tmp_path, size):
    """A fuzz: 1x1, 1x50000 and 50000x1 photos were added without a word, then every proposal
    failed with a bare "photo too small for superpixels"."""
    from PIL import Image

    from fashion_annotator.dataset.store import Project

    width, height = size
    photo = tmp_path / "strip.png"
    Image.new("RGB", (width, height), (120, 80, 40)).save(photo)
    with Project.create(tmp_path / "p") as project:
        with pytest.raises(ImageLoadError, match=rf"strip\.png: photo too (small|narrow) to annotate: {width}x{height}"):
            project.add_image(photo)
        assert project.images() == []
        assert project.add_image(_square(tmp_path)).width == 16  # a small, square photo is taken


def _square(tmp_path):
    from PIL import Image

    path = tmp_path / "square.png"
    Image.new("RGB", (16, 16), (10, 200, 30)).save(path)
    return path
