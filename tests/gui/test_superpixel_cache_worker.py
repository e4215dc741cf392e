"""An image's superpixels are computed and cached in the worker: compressing and writing the
cache (about 100-150 ms a photo) used to run on the GUI thread when the result arrived."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation import pipeline
from fashion_annotator.ui.testing import Answers, open_window


@pytest.fixture
def uncached(tmp_path, ccp_dir):
    """A project of two CCP photos with nothing cached."""
    root = tmp_path / "project"
    with Project.create(root) as project:
        for stem in ("0014", "0019"):
            project.add_image(ccp_dir / "images" / f"{stem}.jpg")
    return root


def test_the_worker_writes_the_superpixel_cache(qtbot, uncached, tmp_path, monkeypatch):
    writers: list[bool] = []
    real = pipeline.write_entry

    def recording(path, array):
        writers.append(threading.current_thread() is threading.main_thread())
        real(path, array)

    monkeypatch.setattr(pipeline, "write_entry", recording)
    window, project = open_window(qtbot, uncached, tmp_path / "settings.ini", Answers())
    try:
        image_id = window.session.image_id
        assert writers and not any(writers), "the cache was written on the GUI thread"
        cached = pipeline.cached_superpixels(project, image_id)
        assert cached is not None
        shown = window.session.current.hierarchy
        assert all(np.array_equal(a, b) for a, b in zip(cached.levels, shown.levels, strict=True))
    finally:
        window.close()
        project.close()


def test_a_cache_that_cannot_be_written_is_said_and_the_regions_still_shown(qtbot, uncached, tmp_path):
    cache = uncached / "cache"
    if cache.exists():
        cache.rmdir()
    cache.write_text("a file where the cache folder goes: no entry can be written (even as root)")
    window, project = open_window(qtbot, uncached, tmp_path / "settings.ini", Answers())
    try:
        assert window.session.current.hierarchy is not None
        qtbot.waitUntil(lambda: "Superpixels not cached" in window.status.currentMessage(), timeout=5000)
    finally:
        window.close()
        project.close()
