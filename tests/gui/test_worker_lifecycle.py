"""Lifetime of the background workers: destruction while a job runs, failed starts, cancelling.

Each test uses the real Qt objects and checks what the operator (or the crash dialog) would see:
no exception raised in a worker thread, no busy bar left for good, no close that waits for a
whole scoring batch, no GUI-thread-only object left to the cyclic garbage collector.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject, QProcess, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QStatusBar

import fashion_annotator.ui.train.background_retrain as background_retrain
from fashion_annotator.ui.annotate.queue_dock import QueueModel
from fashion_annotator.ui.annotate.queue_order import QueueRanker
from fashion_annotator.ui.train.background_retrain import BackgroundRetrainer
from fashion_annotator.ui.workers import ImageJobs, JobResult, _Job, _Relay


@pytest.fixture
def thread_errors(monkeypatch) -> Iterator[list[BaseException]]:
    """Exceptions that reach ``sys.excepthook`` (a worker's error goes to the crash dialog)."""
    caught: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _type, value, _tb: caught.append(value))
    yield caught


def _live_pixmaps(root: object) -> list[QPixmap]:
    """QPixmaps with a live C++ side reachable from ``root`` through plain Python containers."""
    found: list[QPixmap] = []
    seen: set[int] = set()
    todo: list[Any] = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, QPixmap):
            if shiboken6.isValid(obj):
                found.append(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            todo.extend(obj)
        elif obj is root:
            todo.append(vars(obj))
    return found


def test_image_jobs_destroyed_while_a_job_runs_raise_nothing_in_the_worker(qtbot, thread_errors):
    jobs = ImageJobs()
    started, finished = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.4)
        finished.set()
        return "late"

    jobs.submit("slow", 1, slow)
    assert started.wait(10)
    shiboken6.delete(jobs)  # an owner destroyed without shutdown(), in the GUI thread
    assert finished.is_set()  # the pools waited for the running job
    qtbot.wait(100)
    assert thread_errors == []


def test_a_job_whose_relay_is_gone_drops_its_result(thread_errors):
    relay = _Relay()
    ran: list[int] = []
    job = _Job(relay, lambda _generation: True, threading.Event(), JobResult("k", 1, 0, None, None),
               lambda: ran.append(1), ())  # fmt: skip
    job.setAutoDelete(False)
    shiboken6.delete(relay)
    job.run()
    assert ran == [1] and thread_errors == []


def test_background_retrain_that_cannot_start_fails_and_allows_a_later_run(
    qtbot, loop_project, monkeypatch
):
    monkeypatch.setattr(
        background_retrain, "cli_command", lambda: ["/nonexistent/fashion-annotator"]
    )
    monkeypatch.setattr(background_retrain, "low_priority", lambda program, args: (program, args))
    bar = QStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    retrainer = BackgroundRetrainer(loop_project, "garment", bar, every=1)
    retrainer.baseline = {"garment": 0}  # every corrected mask counts as new
    with qtbot.waitSignal(retrainer.finished, timeout=10_000) as outcome:
        assert retrainer.check()
    assert outcome.args == ["failed"]
    assert not retrainer.running and retrainer.process is None
    assert not retrainer.bar.isVisible() and not retrainer.text.isVisible()
    assert "could not start" in bar.currentMessage()
    retrainer.stop()  # nothing to wait for
    with qtbot.waitSignal(retrainer.finished, timeout=10_000):
        assert retrainer.check()  # a later save tries again
    assert not retrainer.running


def test_background_retrain_error_after_start_waits_for_finished(qtbot, loop_project):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    retrainer = BackgroundRetrainer(loop_project, "garment", bar, every=1)
    process = QProcess(retrainer)
    retrainer.process = process
    retrainer._error(QProcess.ProcessError.Crashed)  # `finished` follows a crash; it ends the run
    assert retrainer.running
    retrainer.process = None
    process.deleteLater()


@pytest.fixture
def ranker(qtbot) -> Iterator[QueueRanker]:
    owner = QObject()
    ranker = QueueRanker(SimpleNamespace(), owner)  # the records give the photos' paths
    yield ranker
    if shiboken6.isValid(ranker):
        ranker.pool.clear()
        ranker.wait(10_000)
    shiboken6.delete(owner)


def test_queue_ranker_relay_goes_with_the_ranker(ranker):
    relay = ranker._relay
    assert shiboken6.isValid(relay)
    shiboken6.delete(ranker)
    assert not shiboken6.isValid(relay)  # not left to the cyclic garbage collector


def test_queue_scoring_is_cancelled_at_the_next_photo(qtbot, ranker, monkeypatch, tmp_path):
    scored: list[int] = []

    def slow_score(_predictor: object, _rgb: object) -> tuple[None, str]:
        scored.append(1)
        time.sleep(0.05)
        return None, "score"

    monkeypatch.setattr(ranker, "_model", lambda task: (f"{task}:model", tmp_path / "model"))
    monkeypatch.setattr("fashion_annotator.segmentation.proposals.load_predictor",
                        lambda path, device: object())  # fmt: skip
    monkeypatch.setattr(
        "fashion_annotator.core.images.load_image", lambda path: SimpleNamespace(rgb=None)
    )
    monkeypatch.setattr("fashion_annotator.segmentation.active.score_photo", slow_score)
    records = [SimpleNamespace(id=i, status="new", path=Path(f"/photos/{i}.jpg")) for i in range(200)]  # 10 s
    ranker.arrange(records, "garment", "tool")
    ranker.arrange(records, "parsing", "tool")  # a second job, still queued
    qtbot.waitUntil(lambda: len(scored) >= 2, timeout=10_000)
    start = time.monotonic()
    assert ranker.cancel()
    assert time.monotonic() - start < 2
    assert len(scored) < 60 and ranker.pending == set()
    with qtbot.assertNotEmitted(ranker.scoresChanged, wait=200):
        pass  # a cancelled batch re-arranges nothing, and keeps the scores it made
    kept = ranker.scores["garment:model"]
    assert 2 <= len(kept) == len(scored) and not ranker.scores.get("parsing:model")
    ranker.scores.clear()
    scored.clear()
    ranker.arrange(records, "garment", "tool")
    qtbot.waitUntil(lambda: len(scored) >= 2, timeout=10_000)
    ranker.arrange(records, "garment", "queue")  # the operator left "Most useful first"
    assert ranker.pending == set()
    qtbot.waitUntil(lambda: ranker.pool.activeThreadCount() == 0, timeout=5_000)
    assert len(scored) < 60, "scoring stopped with the order"
    ranker.scores.clear()
    scored.clear()
    with qtbot.waitSignal(ranker.scoresChanged, timeout=20_000):
        ranker.arrange(records[:3], "garment", "tool")  # scoring works again after a cancel
    assert len(scored) == 3 and set(ranker.scores["garment:model"]) == {0, 1, 2}


def test_most_useful_first_ranks_again_only_when_photos_join_or_scores_arrive(ranker, monkeypatch, tmp_path):
    # Ranking is O(n^2) in photos; every save and step reloads the queue. A photo leaving the
    # to-do list keeps the others' order; a new photo or new scores rank again.
    from fashion_annotator.ui.annotate import queue_order

    calls: list[list[str]] = []

    def rank(scores: list, head: int | None = None) -> list[int]:
        assert head == queue_order.DIVERSE_HEAD  # the first picked one by one, the rest at once
        calls.append(list(scores))
        return list(range(len(scores)))[::-1]

    monkeypatch.setattr(queue_order, "order_by_uncertainty", rank)
    monkeypatch.setattr(ranker, "_model", lambda task: (f"{task}:model", tmp_path / "model"))
    ranker.scores["garment:model"] = {i: f"u{i}" for i in range(8)}
    records = [SimpleNamespace(id=i, status="new") for i in range(6)]

    def ids(recs: list) -> list[int]:
        return [r.id for r in ranker.arrange(recs, "garment", "tool")]

    assert ids(records) == [5, 4, 3, 2, 1, 0] and len(calls) == 1
    records[2].status = "done"
    assert ids(records) == [5, 4, 3, 1, 0, 2] and len(calls) == 1, "a save ranks nothing again"
    records.append(SimpleNamespace(id=7, status="rejected"))  # sent back: joins the to-do list
    assert ids(records) == [7, 5, 4, 3, 1, 0, 2] and len(calls) == 2
    ranker.pending.add("garment:model")
    ranker._scored("garment:model", {6: "u6"}, 0)
    assert ids(records) == [7, 5, 4, 3, 1, 0, 2] and len(calls) == 3, "new scores rank again"


def test_queue_thumbnails_leave_no_pixmap_to_the_garbage_collector(qtbot, ccp_dir):
    owner = QObject()
    model = QueueModel(owner)
    model.name_of = lambda rec: f"{model.rowCount()}:{rec.name}"  # a cycle, as the window makes
    paths = sorted((ccp_dir / "images").glob("*.jpg"))[:3]
    model.set_records([SimpleNamespace(id=i, path=str(p), name=p.name, status="new", width=1, height=1)
                       for i, p in enumerate(paths)])  # fmt: skip
    for row in range(3):
        icon = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
        assert not icon.isNull()
    qtbot.waitUntil(lambda: len(model._thumbs) == 3, timeout=10_000)
    assert all(not t.isNull() and t.height() <= 96 for t in model._thumbs.values())
    shiboken6.delete(owner)  # the window goes, in the GUI thread
    assert not shiboken6.isValid(model)
    assert _live_pixmaps(model) == [] and model._thumbs == {}  # freed with the model


def test_queue_thumbnails_are_bounded_and_decoded_again_when_shown(qtbot, ccp_dir, monkeypatch):
    from fashion_annotator.ui.annotate import queue_dock

    monkeypatch.setattr(queue_dock, "THUMB_CACHE", 2)
    owner = QObject()
    model = QueueModel(owner)
    paths = sorted((ccp_dir / "images").glob("*.jpg"))[:3]
    model.set_records([SimpleNamespace(id=i, path=str(p), name=p.name, status="new", width=1, height=1)
                       for i, p in enumerate(paths)])  # fmt: skip
    assert [model.row_of(i) for i in (2, 0, 7)] == [2, 0, -1]
    for row in range(3):
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: model._requested == {1, 2} and list(model._thumbs) == [1, 2], timeout=10_000)
    model.data(model.index(0), Qt.ItemDataRole.DecorationRole)  # scrolled back to the first
    qtbot.waitUntil(lambda: list(model._thumbs) == [2, 0], timeout=10_000)
    assert len(model._thumbs) <= 2
    shiboken6.delete(owner)
