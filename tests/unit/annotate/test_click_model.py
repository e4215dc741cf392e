"""Smart click's shared model and its warm-up thread, without Qt (annotate.tools.click_model)."""

from __future__ import annotations

import threading

from fashion_annotator.annotate.tools import click_model
from fashion_annotator.annotate.tools.click_model import (
    ClickWarmup,
    SharedPredictors,
    network_lock,
    stop_warmups,
    warmed_sizes,
)
from fashion_annotator.segmentation import click_warmup
from fashion_annotator.segmentation.click_warmup import click_input_sizes
from fashion_annotator.segmentation.clicks import ClickPredictor


def test_a_model_file_is_loaded_once_whichever_threads_ask(monkeypatch) -> None:
    """A click during the warm-up's load waited for it and got the same model (it loaded a
    second copy before)."""
    loads: list[str] = []
    entered, proceed = threading.Event(), threading.Event()

    def load(path):
        loads.append(path)
        entered.set()
        assert proceed.wait(30)
        return object()

    monkeypatch.setattr(click_model, "_load", load)
    shared = SharedPredictors()
    got: list[object] = []
    first = threading.Thread(target=lambda: got.append(shared("m")))
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=lambda: got.append(shared("m")))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the load in progress
    proceed.set()
    first.join()
    second.join()
    assert loads == ["m"] and len(got) == 2 and got[0] is got[1]


def test_a_cancelled_warm_up_stops_between_sizes_and_a_later_one_runs_only_the_rest(
    disk_click_model, monkeypatch
) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    warmup = ClickWarmup()
    ran: list[tuple[int, int]] = []
    run_blank = click_warmup.run_blank

    def first_cancels(p, size):
        ran.append(size)
        if len(ran) == 1:
            warmup.cancel()  # the window closes during the first run
        run_blank(p, size)

    monkeypatch.setattr(click_warmup, "run_blank", first_cancels)
    warmup.request("m", lambda: predictor)
    assert warmup.wait(30)
    sizes = click_input_sizes(predictor)
    assert len(sizes) == 2 and ran == sizes[:1] and warmed_sizes(predictor) == sizes[:1]
    assert not warmup.done("m")
    warmup.request("m", lambda: predictor)
    assert warmup.wait(30) and warmup.done("m")
    assert ran == sizes and warmed_sizes(predictor) == sizes
    warmup.request("m", lambda: predictor)  # done: no thread
    assert not warmup.running and ran == sizes


def test_a_click_waits_for_the_warm_up_run_in_progress(disk_click_model, monkeypatch) -> None:
    """A click and a warm-up run never share the cores: the click starts once the run ends."""
    predictor = ClickPredictor(disk_click_model(-5.0))
    order: list[str] = []
    entered, proceed = threading.Event(), threading.Event()

    def held(p, size):
        if not entered.is_set():
            entered.set()
            assert proceed.wait(30)
        order.append(f"warm {size}")

    monkeypatch.setattr(click_warmup, "run_blank", held)
    warmup = ClickWarmup()
    warmup.request(None, lambda: predictor)
    assert entered.wait(30)

    def the_click() -> None:
        with network_lock(predictor):
            order.append("click")

    clicking = threading.Thread(target=the_click)
    clicking.start()
    clicking.join(0.2)
    assert clicking.is_alive()  # waiting for the run in progress
    proceed.set()
    clicking.join()
    stop_warmups()
    assert order[0] == f"warm {predictor.size}" and "click" in order
    assert not warmup.running


def test_a_model_that_fails_ends_the_warm_up_silently(monkeypatch) -> None:
    warmup = ClickWarmup()
    warmup.request("missing", lambda: None)  # a missing or damaged file: the click says so
    assert warmup.wait(30) and warmup.done("missing")
    broken = ClickWarmup()
    broken.request("broken", lambda: object())  # not a click model: the run raises
    assert broken.wait(30) and not broken.done("broken")


def test_the_teardown_joins_a_warm_up_whose_view_is_gone(disk_click_model, monkeypatch) -> None:
    """A view freed (or switched to another model) while its warm-up runs: :func:`stop_warmups`
    still cancels and joins that thread, so none runs torch into the next test."""
    import gc

    predictor = ClickPredictor(disk_click_model(-5.0))
    entered, proceed = threading.Event(), threading.Event()
    ran: list[tuple[int, int]] = []

    def held(p, size):
        ran.append(size)
        entered.set()
        assert proceed.wait(30)

    monkeypatch.setattr(click_warmup, "run_blank", held)
    warmup = ClickWarmup()
    warmup.request("a", lambda: predictor)
    assert entered.wait(30)
    warmup.request("b", lambda: None)  # another model: "a" is cancelled, not waited for
    del warmup
    gc.collect()
    stopping = threading.Thread(target=stop_warmups)
    stopping.start()
    stopping.join(0.2)
    assert stopping.is_alive()  # waiting for the run in progress
    proceed.set()
    stopping.join(30)
    assert not stopping.is_alive() and ran == [predictor.size]
    assert not any(t.name == "click-warmup" for t in threading.enumerate())
