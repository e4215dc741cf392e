"""TrainRequest: the typed request the command line builds and the runner takes."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from training.request import TrainRequest, add_arguments


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_request_from_options_keeps_every_value() -> None:
    args = _parse("--data", "d", "--out", "o", "--task", "person+garment", "--epochs", "3",
                  "--input-size", "64", "32", "--no-flip", "--model-size", "tiny")  # fmt: skip
    req = TrainRequest.from_args(args)
    assert req.data == Path("d") and req.out == Path("o") and req.project is None
    assert req.tasks == ["person", "garment"]
    assert (req.epochs, req.input_size, req.flip, req.model_size) == (3, (64, 32), False, "tiny")


def test_bad_requests_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="--out is required"):
        TrainRequest(task="garment", data=Path("d"))
    with pytest.raises(ValueError, match="exactly one of a project and a data folder"):
        TrainRequest(task="garment")
    with pytest.raises(ValueError, match="unknown model size 'huge'"):
        TrainRequest(task="garment", project=Path("p"), model_size="huge")


def test_python_m_training_reports_bad_input_without_the_cli() -> None:
    code = (
        "import runpy, sys; sys.argv = ['training', '--data', 'x', '--task', 'garment',"
        " '--json-progress']\n"
        "try:\n    runpy.run_module('training', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert 'fashion_annotator.cli' not in sys.modules\n    sys.exit(e.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert '"--out is required with --data"' in done.stdout


# Option values no training run can use are refused by name (a code review: --batch-size 0 ended
# in ZeroDivisionError, --threads -2 in a torch RuntimeError, --max-minutes -1 meant no time
# limit; none told the window).

@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"batch_size": 0}, "--batch-size must be at least 1, got 0"),
        ({"threads": -2}, "--threads must be 0"),
        ({"max_minutes": -1.0}, "--max-minutes must be a positive number of minutes, got -1.0"),
        ({"max_minutes": 0.0}, "--max-minutes must be a positive"),
        ({"input_size": (0, 0)}, "--input-size must be at least 16x16 pixels, got 0 0"),
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"lr": float("nan")}, "--lr must be a positive number"),
        # a fuzz: accepted, or (nan) caught only once training had started
        ({"jitter": 5.0}, "--jitter must be at least 0 (none) and below 1, got 5.0"),
        ({"jitter": -1.0}, "--jitter must be at least 0 (none) and below 1, got -1.0"),
        ({"jitter": 1.0}, "--jitter must be at least 0"),
        ({"background_weight": -3.0}, "--background-weight must be a positive number, got -3.0"),
        ({"background_weight": 0.0}, "--background-weight must be a positive number"),
        ({"dice_weight": float("nan")}, "--dice-weight must be 0 (none) or a positive number, got nan"),
        ({"dice_weight": -1.0}, "--dice-weight must be 0"),
    ],
)
def test_unusable_option_values_are_refused_by_name(option: dict, message: str, tmp_path) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainRequest(task="garment", data=tmp_path, out=tmp_path / "out", **option)


def test_the_window_gets_a_json_error_event_for_them_and_for_an_out_that_is_a_file(tmp_path, ccp_dir, capsys) -> None:
    code = main(["train", "--data", str(ccp_dir), "--out", str(tmp_path / "o"), "--task", "garment",
                 "--batch-size", "0", "--json-progress"])  # fmt: skip
    assert code == 2
    event = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert event == {"event": "error", "message": "--batch-size must be at least 1, got 0"}
    (tmp_path / "file").write_text("")
    code = main(["train", "--data", str(ccp_dir), "--out", str(tmp_path / "file"), "--task", "garment",
                 "--epochs", "1", "--model-size", "tiny", "--input-size", "64", "48", "--json-progress"])  # fmt: skip
    assert code == 1
    event = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert event == {"event": "error", "message": f"--out {tmp_path / 'file'}: exists and is not a folder"}


def test_a_project_retrain_refuses_a_cache_dir_it_would_not_use(tmp_path) -> None:
    """A fuzz: ``--project P --cache-dir FILE`` was accepted (a project retrain caches in
    P/cache/training whatever --cache-dir says)."""
    with pytest.raises(ValueError, match="--cache-dir: not used with --project"):
        TrainRequest(task="garment", project=tmp_path, cache_dir=tmp_path / "c")


def test_out_and_cache_dir_stay_out_of_the_dataset_and_of_projects(tmp_path, ccp_dir, capsys) -> None:
    """A fuzz: ``--out D`` (or inside D, or inside a project) wrote the model, a 33 MB checkpoint
    and cache/ into the dataset; ``--out FILE`` ended in a bare "[Errno 20] Not a directory"."""
    from fashion_annotator.dataset.store import Project

    data = tmp_path / "ds"
    (data / "images").mkdir(parents=True)
    project = tmp_path / "p"
    Project.create(project, tasks=("garment",)).close()
    (tmp_path / "file").write_text("")
    base = ["train", "--data", str(data), "--task", "garment", "--epochs", "1"]
    for option, folder, words in (
        ("--out", data, f"--out {data}: inside the dataset {data.resolve()}"),
        ("--out", data / "runs", f"--out {data / 'runs'}: inside the dataset {data.resolve()}"),
        ("--out", project / "runs", f"--out {project / 'runs'}: inside the project {project.resolve()}"),
        ("--cache-dir", data / "cache", f"--cache-dir {data / 'cache'}: inside the dataset"),
        ("--cache-dir", tmp_path / "file", f"--cache-dir {tmp_path / 'file'}: exists and is not a folder"),
        # under a file: "[Errno 20] Not a directory: '.../cache'" after "training garment..."
        ("--out", tmp_path / "file" / "sub", f"--out {tmp_path / 'file' / 'sub'}: {tmp_path / 'file'} is a file, not a folder"),
    ):
        extra = [option, str(folder)] + ([] if option == "--out" else ["--out", str(tmp_path / "o")])
        assert main([*base, *extra]) == 1
        assert words in capsys.readouterr().err
    assert sorted(p.name for p in data.iterdir()) == ["images"]
    assert not (project / "runs").exists() and not (tmp_path / "o").exists()


def test_the_terminal_result_says_why_a_model_was_or_was_not_promoted() -> None:
    """A re-test: the words said "registered as version 2 (not promoted)" and two figure lines,
    not the per-photo comparison the promotion rule reads."""
    from training.console import _done_text

    text = _done_text({"event": "done", "model_path": "m.safetensors", "version": 2, "promoted": False,
                       "comparison": {"new": {"median_dice": 0.9584}, "current": {"median_dice": 0.9582},
                                      "paired": {"n": 5, "better": 2, "worse": 3, "median_gain": -0.001}}})  # fmt: skip
    assert "registered as version 2 (not promoted)" in text
    assert "against the current model on the same 5 val photos: better on 2, worse on 3" in text
    assert "promotion needs" not in text, "no promotion was asked for: no verdict"
    text = _done_text({"event": "done", "model_path": "m.safetensors", "version": 2, "promoted": False,
                       "promote_if_better": True,
                       "comparison": {"new": {"median_dice": 0.9584}, "current": {"median_dice": 0.9582},
                                      "paired": {"n": 5, "better": 2, "worse": 3, "median_gain": -0.001}}})  # fmt: skip
    assert "better on 2, worse on 3: not promoted (a promotion needs 0.002 more" in text
    # a folder run registers nothing: its model's own version (it said "registered ... not promoted")
    text = _done_text({"event": "done", "model_path": "out/garment.safetensors", "version": "20261206-044831"})
    assert "model version 20261206-044831" in text and "registered" not in text


def test_the_terminal_result_says_what_the_compared_figures_are() -> None:
    """A retrain from the terminal printed "new: median_dice 0.9808" for a model whose registered
    weights were refit on every mask after that figure was measured, and compared it with a
    shipped model that had trained on all 5 val photos without saying so (the window says both)."""
    from training.console import _done_text

    comparison = {"new": {"median_dice": 0.9808}, "current": {"median_dice": 0.9820},
                  "paired": {"n": 5, "better": 1, "worse": 4, "median_gain": -0.0017},
                  "images": 5, "left_out": 0, "current_trained_on": 5,
                  "figures_of": "each model's network as it predicts"}  # fmt: skip
    text = _done_text({"event": "done", "model_path": "m.safetensors", "version": 2, "promoted": False,
                       "comparison": comparison, "refit": {"epochs": 1, "images": 24}})  # fmt: skip
    assert "new (before refit): median_dice 0.9808" in text
    assert "the current model trained on 5 of these 5 val photos" in text
    assert "figures: each model's network as it predicts" in text
    left_out = {**comparison, "left_out": 2, "current_trained_on": 0}
    text = _done_text({"event": "done", "model_path": "m.safetensors", "version": 2, "promoted": False,
                       "comparison": left_out})  # fmt: skip
    assert "new: median_dice 0.9808" in text
    assert "2 val photos left out of the comparison: the current model trained on them" in text


def test_an_error_naming_the_project_url_keeps_its_secrets_out_of_the_window_and_stderr(monkeypatch, capsys) -> None:
    """The Retrain dialog's child gets its server project's secrets in FA_PROJECT_URL, and its
    ``--project`` is then that whole URL: an error naming it (the click trainer's "URL: need
    train and val photos") reached the dialog's error event and stderr with the password."""
    import training.runner
    from fashion_annotator.dataset.postgres.url import PROJECT_URL_ENV

    shown = "postgresql://ann@db.example/studio?project=spring"
    monkeypatch.setenv(PROJECT_URL_ENV, "postgresql://ann:S3cret-pw@db.example/studio?project=spring&sslpassword=K3y-pw")

    def run(request, emit, cancelled):
        raise ValueError(f"{request.project}: need train and val photos (got 0 and 0)")

    monkeypatch.setattr(training.runner, "run", run)
    assert main(["train", "--project", shown, "--task", "click", "--json-progress"]) == 1
    out, err = capsys.readouterr()
    event = json.loads(out.splitlines()[-1])
    assert event["event"] == "error" and "need train and val photos" in event["message"]
    for text in (event["message"], err):
        assert "db.example" in text and "S3cret-pw" not in text and "K3y-pw" not in text
