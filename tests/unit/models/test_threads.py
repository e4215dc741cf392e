"""Interactive torch threads: Smart click's network runs on few threads, in its own thread only."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from fashion_annotator.annotate.tools import smartclick
from fashion_annotator.models.threads import interactive_threads, torch_threads
from fashion_annotator.segmentation.clicks import Click, ClickPredictor


@pytest.fixture
def two_threads():
    """Torch at two threads for the test, restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_interactive_threads_are_the_cores_from_one_to_four() -> None:
    assert [interactive_threads(c) for c in (1, 2, 3, 4, 8, 16, 64)] == [1, 2, 3, 4, 4, 4, 4]
    assert interactive_threads() >= 1


def test_torch_threads_sets_them_for_the_block_and_restores_them(two_threads) -> None:
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with torch_threads(None):
        assert torch.get_num_threads() == 2


def test_the_click_network_runs_on_its_threads_and_leaves_the_others(
    two_threads, disk_click_model
) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0), threads=1)
    seen: list[int] = []
    predictor.module.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    predictor.set_image(np.zeros((120, 80, 3), np.uint8))
    predictor.predict(np.zeros((120, 80), bool), [Click(60, 40, True)])
    assert seen == [1]
    assert torch.get_num_threads() == 2  # the window's own setting, as before the click
    # a proposal worker started after the click model loaded keeps torch's setting
    worker: list[int] = []
    thread = threading.Thread(target=lambda: worker.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert worker == [2]


def test_the_window_loads_smart_click_with_the_interactive_threads() -> None:
    smartclick.shared_click_predictor.cache_clear()
    try:
        predictor = smartclick.shared_click_predictor()
        assert predictor is not None and predictor.threads == interactive_threads()
    finally:
        smartclick.shared_click_predictor.cache_clear()
