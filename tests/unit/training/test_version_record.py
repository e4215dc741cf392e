"""A registered version says how it was made and what its figures are.

Found in a hand test: ``PROJECT/models/garment/vN.json`` and ``models`` kept no seed, lr,
epochs asked for, recipe options, duration or command line, and the same version showed two
unlabelled figures (vN.json median_dice 0.9642, ``models`` 0.9693).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project
from training.request import TrainRequest
from training.runner import run


def test_a_versions_meta_records_its_request_and_models_shows_it(garment_project: Project, capsys) -> None:
    with garment_project as project:
        request = TrainRequest(project=project.root, task="garment", epochs=1, device="cpu", model_size="tiny",
                               input_size=(64, 48), init="scratch", threads=1, seed=7, lr=3e-3)  # fmt: skip
        done = run(request, lambda e: None)
        root = project.root
    meta = json.loads(Path(done["model_path"]).with_suffix(".json").read_text())
    training = meta["training"]
    assert training["seed"] == 7 and training["request"]["lr"] == 3e-3
    assert training["request"]["refit"] is False and training["epochs_requested"] == 1
    assert training["masks"] == training["train_masks"] + training["val_masks"] > 0
    assert training["duration_s"] > 0
    words = shlex.split(training["command"])
    assert words[:2] == ["fashion-annotator", "train"] and "--resume" not in words
    assert ["--seed", "7"] == words[words.index("--seed"):][:2]
    assert "val masks at the training input size" in meta["metrics_of"]
    capsys.readouterr()
    assert main(["models", str(root), "--task", "garment"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[-5:] == ["lr", "epochs", "seed", "took", "active"]
    row = out[1].split()
    assert row[0] == "v1" and "0.003" in row and "1/1" in row and "7" in row
    assert any(line.startswith("* val figure: ") and "'metrics' are the training run's own" in line
               for line in out)  # fmt: skip
