"""TrainRequest: the typed request the command line builds and the runner takes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

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
