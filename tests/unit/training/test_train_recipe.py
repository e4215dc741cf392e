"""One project-retrain recipe: ``train --project`` without recipe options runs what the
window's Train > Retrain runs (found in a hand test: lr 0.002, patience 12, 40 epochs, no time
limit, crops, refit or refinement choice from the terminal; the window's 0.0005, 40, epochs by
mask count, 8 minutes, all three)."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from fashion_annotator.commands import train as train_cmd
from fashion_annotator.dataset.training_set import val_count
from training.finetune import retrain_command
from training.recipe import LR, MAX_MINUTES, OWN_SCHEDULE_TASKS, epochs_for, project_recipe
from training.request import TrainRequest


def _request(argv: list[str]) -> TrainRequest:
    parser = argparse.ArgumentParser()
    train_cmd.register(parser.add_subparsers())
    return TrainRequest.from_args(parser.parse_args(argv))


@pytest.mark.parametrize("n_masks", [8, 30, 120])
def test_train_project_runs_the_retrain_dialogs_recipe(tmp_path: Path, n_masks: int) -> None:
    window = _request(retrain_command(tmp_path, "garment", n_masks))
    terminal = _request(["train", "--project", str(tmp_path), "--task", "garment"])
    assert terminal.epochs is None  # settled from the training masks the run selects
    settled = replace(terminal, epochs=epochs_for(n_masks - val_count(n_masks)))
    assert asdict(settled) == asdict(window)
    assert terminal.lr == LR and terminal.max_minutes == MAX_MINUTES
    assert terminal.object_crops and terminal.refit and terminal.choose_refinements
    assert {k: getattr(terminal, k) for k in project_recipe()} == project_recipe()


def test_explicit_options_override_the_recipe_and_data_keeps_its_defaults(tmp_path: Path) -> None:
    given = _request(["train", "--project", str(tmp_path), "--task", "garment", "--lr", "0.002",
                      "--no-refit", "--epochs", "3", "--max-minutes", "0"])  # fmt: skip
    assert (given.lr, given.refit, given.epochs, given.max_minutes) == (0.002, False, 3, None)
    assert given.object_crops and given.choose_refinements and given.patience == project_recipe()["patience"]
    data = _request(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--task", "garment"])
    plain = TrainRequest(task="garment", data=tmp_path, out=tmp_path / "o")
    assert asdict(data) == asdict(plain)
    assert (data.lr, data.patience, data.epochs, data.refit, data.object_crops) == (2e-3, 12, 40, False, False)


def test_own_schedule_tasks_keep_the_plain_defaults(tmp_path: Path) -> None:
    for task in OWN_SCHEDULE_TASKS:
        request = _request(["train", "--project", str(tmp_path), "--task", task])
        assert request.epochs == 40 and not request.refit and request.lr == 2e-3
    from training.runner import SPECIAL_TRAINERS

    assert set(SPECIAL_TRAINERS) == set(OWN_SCHEDULE_TASKS)


def test_the_resume_command_line_gives_back_the_same_request(tmp_path: Path) -> None:
    given = _request(["train", "--project", str(tmp_path), "--task", "garment", "--lr", "0.002",
                      "--no-object-crops", "--max-minutes", "0"])  # fmt: skip
    words = given.command_line().split()[1:-1]  # no program, no --resume
    assert asdict(_request(words)) == asdict(given)


def test_a_project_run_without_epochs_trains_the_recipes_epochs(monkeypatch, tmp_path: Path) -> None:
    from training import runner

    seen: list[int | None] = []

    class Stop(Exception):
        pass

    def config(args: TrainRequest, *_a: object) -> None:
        seen.append(args.epochs)
        raise Stop

    train = [object()] * 17
    monkeypatch.setattr(runner, "current_model", lambda *a, **k: (None, None))
    monkeypatch.setattr(runner, "_samples", lambda *a: ([("garment", ["background", "garment"],
                                                          __import__("numpy").arange(256, dtype="uint8"))],
                                                        train, [object()] * 5, None))  # fmt: skip
    monkeypatch.setattr(runner, "_config", config)
    request = _request(["train", "--project", str(tmp_path), "--task", "garment"])
    with pytest.raises(Stop):
        runner._run(request, lambda e: None, lambda: False, SimpleNamespace(root=tmp_path), "cpu", 0)
    assert seen == [epochs_for(17)]
