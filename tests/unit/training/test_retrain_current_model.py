"""A retrain whose project's active model cannot be used compares with the shipped model, as
the window proposes with it, and says so.

Hand tests: with a parsing7 model's files as the active garment version, the window proposed
with the shipped garment model (median Dice 0.97 on the val photos) while ``train --project
--promote-if-better`` compared against the parsing7 network scored as a garment model (0.008)
and promoted a new model of 0.37 over it; with garbage weights in the active version, every
retrain failed, ``--init scratch`` after all its epochs.
"""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation.proposals import default_model_path
from training.request import TrainRequest
from training.runner import run


def _tiny(project: Project, **extra: object) -> TrainRequest:
    return TrainRequest(project=project.root, task="garment", epochs=1, device="cpu", model_size="tiny",
                        input_size=(64, 48), init="scratch", threads=1, **extra)  # fmt: skip


def _said(events: list[dict]) -> list[str]:
    return [e["message"] for e in events if e["event"] == "info" and "cannot be used" in e["message"]]


def test_an_active_model_of_another_task_is_not_what_a_retrain_beats(garment_project: Project) -> None:
    with garment_project as project:
        project.models.register("garment", default_model_path("parsing7"), {}, [])
        project.models.set_active("garment", 1)  # put in place by hand (activate_model refuses it)
        events: list[dict] = []
        done = run(_tiny(project, promote_if_better=True), events.append)
        comparison = done["comparison"]
        assert comparison["current_version"] is None, "compared with the shipped model"
        assert comparison["current"]["median_dice"] > comparison["new"]["median_dice"]
        assert done["promoted"] is False
        assert project.models.active("garment").version == 1, "the new model was not promoted"
        said = _said(events)
        assert len(said) == 1 and "v1.safetensors: the file is a model of task 'parsing7'" in said[0]
        assert said[0].endswith("this retrain starts from and is compared with the shipped garment "
                                "model, as the window proposes with it")  # fmt: skip


def test_garbage_weights_in_the_active_version_do_not_stop_a_retrain(garment_project: Project) -> None:
    with garment_project as project:
        record = project.models.register("garment", default_model_path("garment"), {}, [], activate=True)
        Path(record.path).write_bytes(b"\x00garbage" * 500)
        events: list[dict] = []
        done = run(_tiny(project), events.append)
        assert done["version"] == 2 and Path(done["model_path"]).is_file()
        assert done["comparison"]["current_version"] is None
        said = _said(events)
        assert len(said) == 1 and f"{record.path}: not a safetensors file" in said[0]
