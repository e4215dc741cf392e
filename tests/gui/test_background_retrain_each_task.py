"""Train > Background retrain retrains each task's model from that task's own corrections.

A hand test: the retrainer followed the task shown when the window started (garment cutout);
an operator who switched to parsing (the task box) and corrected parsing masks never got a
parsing retrain, whatever the count, and the dialog named only the garment model. Now every
mask task counts its own newly corrected masks, one run at a time, the child process stubbed
at the command it runs (a script printing the trainer's ``done`` line).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fashion_annotator.ui.train.background_retrain as background_retrain
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import mapping_from_taxonomies_json
from fashion_annotator.ui.testing import copy_project, drag, open_window, wait_ready

#: Says which task it was asked to retrain, as the trainer's last line ("not promoted": nothing
#: registered).
STUB = (
    "import json, sys; a = sys.argv; "
    "print(json.dumps({'event': 'done', 'version': 1, "
    "'not_promoted': 'stub of ' + a[a.index('--task') + 1]}))"
)
TASKS = ("garment", "parsing7")


@pytest.fixture
def stub_child(monkeypatch) -> None:
    """The retrain child is the stub, at normal priority."""
    monkeypatch.setattr(background_retrain, "cli_command", lambda: [sys.executable, "-c", STUB])
    monkeypatch.setattr(background_retrain, "low_priority", lambda program, args: (program, args))


@pytest.fixture
def window_with_masks(qtbot, template, tmp_path, answers, ccp_dir, ccp_splits):
    """The window on a project of eight photos (the template's three and five more), seven of
    them with their ground-truth garment and parsing7 masks saved (corrected: no proposal was
    shown), the open one without: enough masks for a validation split of each task."""
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    known = {r.stem for r in project.images()}
    for stem in [s for s in ccp_splits["train"] + ccp_splits["val"] if s not in known][:5]:
        project.add_image(ccp_dir / "images" / f"{stem}.jpg")
    mappings = {t: mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", t) for t in TASKS}
    for record in project.images():
        if record.id != window.session.image_id:
            labels = load_mask(ccp_dir / "masks" / f"{record.stem}.png", shape=record.shape)
            for task, mapping in mappings.items():
                project.save_mask(record.id, task, mapping.lut[labels], status="done")
    assert project.tasks == TASKS and window.task == "garment"
    yield window, project
    window.close()
    project.close()


def _switch_on(window, every: int) -> None:
    """What Train > Background retrain does with the answer ``every``."""
    window.prefs.set_background_retrain_every(window.project.root, every)
    window.retrainer.set_every(every)


def _correct_shown_mask(window) -> None:
    """Paint a stroke of the first class on the shown task's mask and save."""
    window.set_label(1)
    window.canvas.set_tool("brush")
    window.canvas.set_brush_radius(6)
    drag(window, [(60, 80), (160, 80), (160, 120)])
    assert window.session.unsaved
    assert window.save()


def test_corrected_parsing_masks_retrain_the_parsing_model_after_a_task_switch(
    qtbot, window_with_masks, stub_child
):
    window, _project = window_with_masks
    wait_ready(qtbot, window)
    _switch_on(window, 1)
    assert window.retrainer.baseline == {"garment": 7, "parsing7": 7}
    window.set_task("parsing7")
    wait_ready(qtbot, window)
    with qtbot.waitSignal(window.retrainer.finished, timeout=30_000) as finished:
        _correct_shown_mask(window)  # the save starts the parsing model's retrain
        assert window.retrainer.running and window.retrainer.task == "parsing7"
        assert window.retrainer.text.text() == "Retraining Parsing…"
    assert finished.args == ["kept"]
    message = window.status.currentMessage()
    assert message == "Background retrain: Parsing model v1 not promoted: stub of parsing7"
    assert window.retrainer.baseline == {"garment": 7, "parsing7": 8}  # garment's count kept

    window.set_task("garment")  # back to the start-up task: its own count goes on
    wait_ready(qtbot, window)
    with qtbot.waitSignal(window.retrainer.finished, timeout=30_000):
        _correct_shown_mask(window)
        assert window.retrainer.task == "garment"
    assert window.status.currentMessage().endswith("not promoted: stub of garment")
    assert window.retrainer.baseline == {"garment": 8, "parsing7": 8}


def test_a_task_whose_count_is_reached_during_a_run_starts_when_it_ends(
    qtbot, window_with_masks, stub_child
):
    """Both tasks reach the count in one save: one run at a time, the second after the first."""
    window, project = window_with_masks
    _switch_on(window, 1)
    image_id = window.session.image_id
    mask = np.zeros(project.image(image_id).shape[:2], np.uint8)
    mask[40:120, 60:160] = 1
    runs: list[tuple[str, bool]] = []  # each run's task, and whether a run went on at its end
    retrainer = window.retrainer
    retrainer.finished.connect(lambda _: runs.append((retrainer.task, retrainer.running)))
    for task in TASKS:  # a corrected mask of each task on the open photo
        project.save_mask(image_id, task, mask, status="done")
    assert window.retrainer.check()
    assert window.retrainer.task == "garment" and not window.retrainer.check()  # one at a time
    qtbot.waitUntil(lambda: len(runs) == 2 and not window.retrainer.running, timeout=30_000)
    assert runs == [("garment", False), ("parsing7", False)]
    assert window.retrainer.baseline == {"garment": 8, "parsing7": 8}
