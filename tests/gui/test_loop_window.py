"""The loop in the window: queue order by uncertainty, background retrain, model history."""

from __future__ import annotations

import contextlib
import os
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QStatusBar

from fashion_annotator.core.images import load_image
from fashion_annotator.dataset.store import Project
from fashion_annotator.dataset.training_set import select_training_masks
from fashion_annotator.segmentation.active import order_by_uncertainty, score_photo
from fashion_annotator.segmentation.proposals import load_predictor
from fashion_annotator.ui.testing import Answers, add_tiny_model, make_template, open_window
from fashion_annotator.ui.train.background_retrain import NICENESS, BackgroundRetrainer
from fashion_annotator.ui.train.model_history import ModelHistoryDialog

TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch", "--epochs", "2"]


def _measured(qtbot, dialog: ModelHistoryDialog) -> ModelHistoryDialog:
    """``dialog`` once its proposal quality came from its thread."""
    qtbot.waitUntil(lambda: dialog.quality_thread is None, timeout=30_000)
    return dialog


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir):
    return make_template(tmp_path_factory.mktemp("loopwin"), ccp_dir)


def test_queue_tool_order_ranks_todo_images_by_uncertainty(qtbot, tmp_path, template, isolated_settings):
    root = shutil.copytree(template, tmp_path / "proj")

    with Project.open(root) as project:
        add_tiny_model(project, tmp_path)
        done = project.images()[0].id  # a done image stays after the ranked to-do images
        project.save_mask(done, "garment", project.load_photo(done).rgb[..., 0] > 128, status="done")
    window, project = open_window(qtbot, root, isolated_settings, Answers())
    assert window.queue.order == "queue"
    before = [r.id for r in window.queue.model.records()]
    window.queue.order_combo.setCurrentIndex(window.queue.order_combo.findData("tool"))
    qtbot.waitUntil(lambda: window.ranker.pending == set() and window.ranker.scores
                    and any(window.ranker.scores.values()), timeout=60_000)  # fmt: skip
    qtbot.waitUntil(lambda: [r.id for r in window.queue.model.records()] != before or
                    _expected(project, before) == before, timeout=10_000)  # fmt: skip
    assert [r.id for r in window.queue.model.records()] == _expected(project, before)
    assert window.queue.model.records()[-1].id == done
    window.queue.order_combo.setCurrentIndex(window.queue.order_combo.findData("queue"))
    assert [r.id for r in window.queue.model.records()] == before
    window.close()


def _expected(project, ids: list[int]) -> list[int]:
    """The tool order computed independently with the same model."""
    predictor = load_predictor("garment", project, device="cpu")
    todo = [i for i in ids if project.image(i).status in ("new", "in_progress", "rejected")]
    scores = [score_photo(predictor, load_image(project.image_path(i)).rgb)[1] for i in todo]
    ranked = [todo[j] for j in order_by_uncertainty(scores)]
    return ranked + [i for i in ids if i not in ranked]


def _correct_one_more(project, image_id: int) -> None:
    proposal = project.load_proposal(image_id, "garment")
    mask = proposal.copy()
    mask[: mask.shape[0] // 3] = 0
    mask[mask.shape[0] // 3 : mask.shape[0] // 2, 100:200] = 1
    project.save_mask(image_id, "garment", mask, status="done")


def test_background_retrain_every_n_masks_low_priority_and_kept_when_not_better(qtbot, loop_project):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    retrainer = BackgroundRetrainer(loop_project, "garment", bar, every=0, extra_args=TINY)
    new_image = next(r.id for r in loop_project.images(status="new"))
    assert not retrainer.check()  # off by default
    retrainer.set_every(2)  # counting starts when it is switched on
    _correct_one_more(loop_project, new_image)
    assert not retrainer.check()  # one new corrected mask since it started counting
    unchanged = select_training_masks(loop_project, "garment").unchanged[0].image_id
    _correct_one_more(loop_project, unchanged)
    with qtbot.waitSignal(retrainer.finished, timeout=600_000) as finished:
        assert retrainer.check()
        assert retrainer.running and not retrainer.check()  # one run at a time
        pid = retrainer.process.processId()
        if shutil.which("nice"):
            qtbot.waitUntil(lambda: _niceness(pid) == NICENESS, timeout=10_000)
            # checked; let it finish at the test's own priority on a busy machine
            with contextlib.suppress(PermissionError):
                os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0))
        assert retrainer.bar.isVisible() or not bar.isVisible()
        assert retrainer.text.text().startswith("Retraining Garment cutout")
    # a tiny model trained from scratch in seconds is not better than the shipped one
    assert finished.args == ["kept"]
    assert "not promoted on the same val images" in bar.currentMessage()
    assert loop_project.models.active("garment") is None
    assert len(loop_project.models("garment")) == 1
    assert retrainer.baseline == {"garment": 9} and not retrainer.check()


def _niceness(pid: int) -> int | None:
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except (OSError, ProcessLookupError):
        return None


def test_model_history_lists_versions_and_proposal_quality(qtbot, loop_project, tmp_path):
    add_tiny_model(loop_project, tmp_path)
    first = loop_project.images(status="new")[0].id  # no mask saved: the window starts from v2's
    mask = loop_project.load_proposal(first, "garment")
    loop_project.save_proposal(first, "garment", mask, "v2")
    loop_project.save_mask(first, "garment", mask, status="done")  # saved from that proposal
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    assert dialog.models.rowCount() == 1 and dialog.models.item(0, 5).text() == "yes"
    _measured(qtbot, dialog)
    versions = [dialog.quality.item(r, 0).text() for r in range(dialog.quality.rowCount())]
    assert versions == ["1", "v2"]
    assert float(dialog.quality.item(1, 2).text()) == pytest.approx(1.0)
    assert float(dialog.quality.item(0, 2).text()) < 1.0
    assert len(dialog.plot.left) == 2 and dialog.plot.left[1][1] == pytest.approx(1.0)
    assert "went from" in dialog.summary.text()
    dialog.plot.grab()
    assert np.isfinite(dialog.quality_rows[0].median)


def test_model_history_of_a_project_still_on_the_shipped_model_says_so(qtbot, loop_project):
    first = loop_project.images(status="new")[0].id
    mask = loop_project.load_proposal(first, "garment")
    loop_project.save_proposal(first, "garment", mask, "shipped-1")
    loop_project.save_mask(first, "garment", mask, status="done")  # saved from that proposal
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    assert dialog.models.rowCount() == 0
    text = _measured(qtbot, dialog).summary.text()
    assert text.startswith("2 model versions made proposals")
    assert text.endswith("the shipped model proposes until Train > Retrain promotes one.")
    dialog.quality_rows = dialog.quality_rows[:1]
    assert dialog.summary_text(True).startswith("One model version (1) made proposals")  # not "1 model versions"


def test_model_history_rolls_back_to_an_earlier_version_or_the_shipped_model(qtbot, tmp_path, template):
    """Found in a hand test: Model history had only Close; after a (background) promotion an ML
    lead could go back to the earlier model only through the Python API."""
    from fashion_annotator.ui.testing import copy_project
    from fashion_annotator.ui.train.loop_menu import show_history

    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as setup:
        add_tiny_model(setup, tmp_path / "one")
        add_tiny_model(setup, tmp_path / "two")
        assert setup.active_model("garment").version == 2
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        dialog = show_history(window)
        dialog.models.selectRow(0)
        dialog.activate_button.click()
        assert project.active_model("garment").version == 1
        assert dialog.models.item(0, 5).text() == "yes" and dialog.models.item(1, 5).text() == ""
        assert window.status.currentMessage() == "Now proposing with Garment cutout model v1"
        qtbot.waitUntil(lambda: window.status.model.toolTip().endswith("v1 (3)"), timeout=30_000)
        dialog.shipped_button.click()
        assert project.active_model("garment") is None
        assert window.status.currentMessage() == "Now proposing with the shipped Garment cutout model"
        dialog.close()
    finally:
        window.close()
        project.close()


def test_an_active_model_whose_file_is_gone_gives_way_to_the_shipped_one_and_says_so(
    qtbot, tmp_path, template, capsys
):
    """A code review: with the active model's file gone the window proposed nothing, silently
    ("no model" in the status bar; the error kept where nothing read it), and `info` and
    `models` listed the version active with no warning."""
    import json

    from fashion_annotator.cli import main
    from fashion_annotator.resources import resource_path
    from fashion_annotator.ui.testing import copy_project

    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as setup:
        add_tiny_model(setup, tmp_path / "one")
        gone = setup.active_model("garment").path
    gone.unlink()
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers(), use_shipped=True)
    try:
        doc = window.session.current.doc
        qtbot.waitUntil(lambda: doc.proposals["garment"] is not None, timeout=60_000)
        shipped = json.loads(resource_path("models", "garment.json").read_text())["version"]
        assert window.status.model.toolTip().endswith(f"shipped ({shipped})")
        banner = window.banner.text()
        assert window.banner.isVisible() and "The active garment model v1 cannot be used" in banner
        assert f"({gone}: " in banner  # names the missing file
        assert "proposing with the shipped garment model instead" in banner, banner
    finally:
        window.close()
        project.close()
    capsys.readouterr()
    assert main(["models", str(root), "--task", "garment"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].endswith("yes (unusable)")
    assert f"the active garment model v1 cannot be used: {gone}: weights file not found" in err
    assert main(["info", str(root)]) == 0
    assert f"warning: the active garment model v1 cannot be used: {gone}" in capsys.readouterr().err


def test_a_model_of_another_task_active_for_a_task_gives_way_to_its_shipped_one(tmp_path):
    """The same when the active file is another task's model (registered by hand: the registry
    copies any file; `models --activate` now refuses it)."""
    from fashion_annotator.resources import resource_path
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    person = tmp_path / "person.safetensors"
    shutil.copyfile(resource_path("models", "person.safetensors"), person)
    shutil.copyfile(resource_path("models", "person.json"), person.with_suffix(".json"))
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        wrong = project.models.register("garment", person, {}, [], activate=True)
        source = ProposalSource(project, device="cpu")
        source.prepare("garment")
        predictor = source.predictor("garment")
        assert predictor is not None and predictor.task == "garment"
        assert predictor.path == resource_path("models", "garment.safetensors")
        warning = source.warnings["garment"]
        assert f"{wrong.path}: the file is a model of task 'person', not of 'garment'" in warning
        assert source.model_label("garment", "x") == "shipped (x)"


def test_model_history_lists_and_rolls_back_the_click_model_and_the_attribute_heads(qtbot, loop_project, tmp_path):
    """A hand test: "make it active by hand (Train > Model history)" led nowhere for the click
    model and the attribute heads (the dialog showed the task on screen only, and built for
    instance_attributes it raised "no task")."""
    from fashion_annotator.resources import resource_path

    click = tmp_path / "click.safetensors"
    shutil.copyfile(resource_path("models", "click.safetensors"), click)
    shutil.copyfile(resource_path("models", "click.json"), click.with_suffix(".json"))
    loop_project.register_model("click", click, {"noc90": 2.1}, ["a.jpg"])
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    names = [dialog.task_combo.itemText(i) for i in range(dialog.task_combo.count())]
    assert names == ["Garment cutout", "Smart click", "Instance attributes"]  # not the keys
    dialog.task_combo.setCurrentIndex(dialog.task_combo.findData("click"))
    assert dialog.windowTitle() == "Model history: Smart click" and dialog.models.rowCount() == 1
    changed: list = []
    dialog.activeChanged.connect(lambda task, version: changed.append((task, version)))
    dialog.models.selectRow(0)
    dialog.activate_selected()
    assert changed == [("click", 1)] and loop_project.active_model("click").version == 1
    dialog.task_combo.setCurrentIndex(dialog.task_combo.findData("instance_attributes"))
    assert dialog.models.rowCount() == 0 and dialog.quality.rowCount() == 0
    assert "No retrained Instance attributes model yet." in dialog.summary.text()


def test_model_history_says_the_shipped_model_proposes_after_use_the_shipped_model(qtbot, loop_project, tmp_path):
    """A hand test: after "Use the shipped model" no row was marked active and the summary did
    not say that the shipped model proposes (only an empty registry said so)."""
    add_tiny_model(loop_project, tmp_path)
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    assert "shipped model proposes" not in _measured(qtbot, dialog).summary.text()
    dialog.shipped_button.click()
    assert loop_project.active_model("garment") is None
    assert dialog.models.item(0, 5).text() == ""
    assert _measured(qtbot, dialog).summary.text().endswith(
        "No registered version is active: the shipped model proposes (Make active chooses one).")
    dialog.set_task("click")
    assert dialog.summary.text() == "No retrained Smart click model yet. The shipped model is used."


def test_a_garment_model_change_redoes_the_open_images_parsing_proposal_too(qtbot, tmp_path, template, monkeypatch):
    """A hand test: after a garment promotion or rollback only the garment proposal was redone,
    though the open image's parsing proposal agrees with the garment cutout."""
    from fashion_annotator.ui.testing import copy_project
    from fashion_annotator.ui.train import loop_menu

    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert set(project.tasks) == {"garment", "parsing7"}
        qtbot.waitUntil(lambda: not window.session.jobs.busy and not window.session.awaiting, timeout=60_000)
        proposed: list[str] = []
        real_propose = window.session.proposals.propose

        def spy(task, rgb, regions):
            proposed.append(task)
            return real_propose(task, rgb, regions)

        monkeypatch.setattr(window.session.proposals, "propose", spy)
        loop_menu.model_changed(window, "garment", None)  # what a promotion or a rollback does
        qtbot.waitUntil(lambda: not window.session.jobs.busy and not window.session.awaiting, timeout=60_000)
        assert "parsing7" in proposed and "garment" in proposed
    finally:
        window.close()
        project.close()


def test_model_history_of_one_version_speaks_of_versions_not_epochs(qtbot, loop_project):
    """A hand test: with the proposals of one model version, Model history's plot said "After
    the first epoch: proposals vs saved masks (median) 1, images scored 5. The curves start with
    the next one." (the Retrain plot's words: the history has no epochs)."""
    first = loop_project.images(status="new")[0].id
    mask = loop_project.load_proposal(first, "garment")
    loop_project.save_mask(first, "garment", mask, status="done")  # saved from that proposal
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    assert _measured(qtbot, dialog).quality.rowCount() == 1
    text = dialog.plot.single_point_text()
    assert "epoch" not in text
    assert text.startswith("One model version so far: proposals vs saved masks (median) ")
    n = dialog.quality_rows[0].n_images
    assert text.endswith(f", images scored {n}. The curves start with the next version.")
    dialog.plot.grab()  # paints the words without error
