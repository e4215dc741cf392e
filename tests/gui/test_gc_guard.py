"""Cyclic garbage is collected in the GUI thread, never in a worker (ui.gc_guard)."""

from __future__ import annotations

import gc
import threading

from fashion_annotator.ui.gc_guard import GuiThreadCollector


class _Cycle:
    """An object only the cyclic collector frees; records the thread that freed it."""

    def __init__(self, record: list[str]) -> None:
        self.me = self
        self.record = record

    def __del__(self) -> None:
        self.record.append(threading.current_thread().name)


def _allocate_in_a_worker() -> list:
    """Containers made in a worker, past every collection threshold (kept, as a job's result)."""
    kept: list = []

    def churn() -> None:
        kept.append([[] for _ in range(100_000)])

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    return kept


def test_without_the_guard_a_worker_collects_the_gui_threads_garbage():
    # The hazard itself: Python collects in whichever thread allocates.
    freed_in: list[str] = []
    gc.collect()
    _Cycle(freed_in)
    kept = _allocate_in_a_worker()
    assert freed_in == ["worker"]
    del kept


def test_with_the_guard_cycles_die_in_the_gui_thread(qtbot):
    freed_in: list[str] = []
    collector = GuiThreadCollector(interval_ms=20)
    try:
        assert not gc.isenabled()
        _Cycle(freed_in)
        kept = _allocate_in_a_worker()
        assert freed_in == [], "the worker allocated past the thresholds and collected nothing"
        qtbot.waitUntil(lambda: bool(freed_in), timeout=5_000)
        assert freed_in == [threading.main_thread().name]
        assert collector.collections >= 1
        del kept
    finally:
        collector.stop()
    assert gc.isenabled(), "stop gives collection back to Python"
