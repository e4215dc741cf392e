"""``train --project URL``: a PostgreSQL project's corrected masks train a model it then holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.core.samples import read_sample
from fashion_annotator.dataset.store import create_project, open_project
from training.data import list_samples, split_samples, task_mapping

pytestmark = pytest.mark.slow


def test_train_on_a_postgresql_project_registers_the_model_in_the_database(
    pg_url: str, ccp_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:  # fmt: skip
    _, lut = task_mapping(ccp_dir, "garment")
    train, _ = split_samples(list_samples(ccp_dir), ccp_dir)
    with create_project(pg_url, tasks=("garment",), user="lead") as project:
        for sample in train[:8]:
            record = project.add_image(sample.image)
            project.save_mask(record.id, "garment", lut[read_sample(sample)[1]], status="done")
    args = ["train", "--project", pg_url, "--task", "garment", "--input-size", "32", "24",
            "--epochs", "1", "--init", "scratch", "--model-size", "tiny", "--threads", "1",
            "--batch-size", "2", "--json-progress"]  # fmt: skip
    assert main(args) == 0
    done = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1]
    assert done["event"] == "done" and done["version"] == 1
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "another-desktop"))
    with open_project(pg_url) as again:
        (model,) = again.models("garment")
        assert model.path.is_file() and str(tmp_path / "another-desktop") in str(model.path)
        assert len(model.trained_on) >= 1
        again.models.set_active("garment", 1)
    # a retrain on this other desktop compares with v1, whose meta here lacks its version (the
    # database stores the meta before the version is known): the table said "Current (shipped)"
    assert main(args) == 0
    done = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1]
    assert done["event"] == "done" and done["comparison"]["current_version"] == 1
