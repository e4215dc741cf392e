"""A background job that raises: one line for the window, its traceback in the log."""

from __future__ import annotations

import logging

from fashion_annotator.ui.workers import PROPOSAL, ImageJobs


def _out_of_memory(_rgb: object) -> None:
    raise MemoryError("Unable to allocate 9.13 GiB for an array with shape (24000, 17000, 6)")


def test_a_job_that_raised_leaves_its_traceback_in_the_log(qtbot, caplog) -> None:
    """A proposal that ran out of memory on a big photo said "Computing the garment proposal
    failed: MemoryError: ..." in the window, and the log file had nothing of it: the traceback
    was formatted in the worker and dropped."""
    jobs = ImageJobs()
    failed: list[str] = []
    jobs.failed.connect(lambda _kind, _image, _key, message: failed.append(message))
    with caplog.at_level(logging.ERROR, logger="fashion_annotator"):
        jobs.submit(PROPOSAL, 7, _out_of_memory, None, key=("garment", 1))
        qtbot.waitUntil(lambda: bool(failed), timeout=10000)
    jobs.shutdown()
    assert failed == ["MemoryError: Unable to allocate 9.13 GiB for an array with shape (24000, 17000, 6)"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("fashion_annotator"))
    assert "proposal job for image 7 failed" in logged
    assert "in _out_of_memory" in logged and "MemoryError: Unable to allocate" in logged


def test_review_threads_that_fail_leave_their_traceback_in_the_log(tmp_path, monkeypatch, caplog) -> None:
    """Review's scoring, rescoring and instance-figure threads said "MemoryError: ..." in the
    tab and nothing in the log: support had the one line the reviewer read out."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.review import instance_figures, rescore

    Project.create(tmp_path / "project").close()

    def out_of_memory(*_args, **_kwargs) -> None:
        raise MemoryError("Unable to allocate 2.1 GiB")

    monkeypatch.setattr(rescore, "score_project", out_of_memory)
    monkeypatch.setattr(instance_figures, "read_figures", out_of_memory)
    said: list[str] = []
    scoring = rescore.ScoreThread(tmp_path / "project", "garment", "alice")
    scoring.failed.connect(said.append)
    figures = instance_figures.FiguresThread(tmp_path / "project", "alice", [], 1)
    figures.failed.connect(lambda _generation, message: said.append(message))
    with caplog.at_level(logging.ERROR, logger="fashion_annotator"):
        scoring.run()  # in this thread: the same code, no waiting
        figures.run()
    assert said == ["MemoryError: Unable to allocate 2.1 GiB"] * 2
    logged = [r for r in caplog.records if r.exc_info and r.name.startswith("fashion_annotator.ui.review")]
    assert len(logged) == 2 and all(r.exc_info[0] is MemoryError for r in logged)


def test_the_retrain_count_that_fails_says_one_line_and_logs_its_traceback(tmp_path, monkeypatch, caplog) -> None:
    """The Retrain dialog's count runs on the same project-thread base as Review's scoring."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.train import selection_thread

    Project.create(tmp_path / "project").close()

    def out_of_memory(*_args, **_kwargs) -> None:
        raise MemoryError("Unable to allocate 2.1 GiB")

    monkeypatch.setattr(selection_thread, "select_training_masks", out_of_memory)
    said: list[str] = []
    counting = selection_thread.SelectionThread(tmp_path / "project", "garment", "alice")
    counting.failed.connect(said.append)
    counting.selected.connect(said.append)
    with caplog.at_level(logging.ERROR, logger="fashion_annotator"):
        counting.run()  # in this thread: the same code, no waiting
    assert said == ["MemoryError: Unable to allocate 2.1 GiB"]
    logged = [r for r in caplog.records if r.exc_info and r.name == "fashion_annotator.ui.train.selection_thread"]
    assert len(logged) == 1 and logged[0].exc_info[0] is MemoryError
    assert "counting the garment masks of" in logged[0].getMessage()
