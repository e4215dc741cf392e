"""The QA review view driven like a reviewer: sort, filter, select, inspect, decide, re-score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import load_instance_taxonomy
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import save_model
from fashion_annotator.qa.decisions import approve, reject, rejection_note
from fashion_annotator.ui.review.image import OVERLAY, SIDE_BY_SIDE
from fashion_annotator.ui.review.instances import InstanceReviewPanel
from fashion_annotator.ui.review.table import COLUMNS, ROW_ROLE, SCORE_COLUMN
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)
# name -> columns of the proposal's square (the saved mask covers columns 10:30, rows 10:30)
PROPOSALS = {"good": (10, 30), "fair": (10, 24), "poor": (10, 16), "bad": (40, 60)}


def square(x0: int, x1: int, label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, x0:x1] = label
    return mask


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7"), user="rita") as proj:
        rng = np.random.default_rng(0)
        for i, (name, cols) in enumerate(PROPOSALS.items()):
            path = tmp_path / "src" / f"{name}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = proj.add_image(path).id
            proj.save_proposal(image_id, "garment", square(*cols), "v1")
            proj.save_mask(image_id, "garment", square(10, 30), seconds=60.0 * (i + 1), actions=i)
            proj.set_status(image_id, "done")
        yield proj


@pytest.fixture
def view(qtbot, project):
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _wait_rescored(qtbot, view: ReviewView) -> None:
    """Wait for the re-score started last to end (its ``finished`` handled by the view).

    Not ``waitSignal(thread.finished)``: a re-score that reuses kept predictions can end before
    the wait connects, and the wait then times out (seen under load)."""
    qtbot.waitUntil(lambda: view.rescore_thread is None, timeout=60000)


def names(view: ReviewView) -> list[str]:
    return [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]


def test_worst_first_by_default_and_sortable(view, qtbot):
    assert names(view) == ["bad.png", "poor.png", "fair.png", "good.png"]
    assert view.proxy.headerData(SCORE_COLUMN, Qt.Orientation.Horizontal) == "Dice"
    assert view.proxy.index(0, SCORE_COLUMN).data() == "0.000"
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(SCORE_COLUMN) + header.sectionSize(SCORE_COLUMN) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert names(view)[0] == "good.png"
    view.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # time spent
    assert names(view) == ["good.png", "fair.png", "poor.png", "bad.png"]
    assert view.proxy.index(3, 4).data() == "240"


def test_filters_by_name_status_and_outliers(view, project):
    view.search.setText("oo")
    assert names(view) == ["poor.png", "good.png"]
    view.search.setText("")
    project.set_status(project.images(search="fair")[0].id, "in_progress")
    view.refresh()
    view.status_filter.setCurrentIndex(view.status_filter.findData("in_progress"))
    assert names(view) == ["fair.png"]
    assert view.proxy.index(0, 6).data() == "In progress"  # the status as the queue names it, not its key
    view.status_filter.setCurrentIndex(0)
    view.k_spin.setValue(1.0)
    view.outliers_only.setChecked(True)
    assert names(view) == ["bad.png"]
    assert "below median" in view.summary.text()
    assert "rita" in view.throughput.text()


def test_approved_and_rejected_filter_by_the_decision_the_row_shows(view, project):
    # each image has a parsing7 mask too: approving its garment leaves the image done, and a
    # parsing7 reject makes the image rejected while its garment row reads approved
    ids = {r.name: r.id for r in project.images()}
    for image_id in ids.values():
        project.save_mask(image_id, "parsing7", square(10, 30, label=2))
    for name in ("good.png", "fair.png"):
        approve(project, ids[name], "garment")
    reject(project, ids["fair.png"], "parsing7", "low_contrast")
    reject(project, ids["bad.png"], "garment", "model_error")
    view.refresh()
    view.status_filter.setCurrentIndex(view.status_filter.findData("approved"))
    assert sorted(names(view)) == ["fair.png", "good.png"]
    assert {view.proxy.index(r, 7).data() for r in range(view.proxy.rowCount())} == {"approved"}
    view.status_filter.setCurrentIndex(view.status_filter.findData("rejected"))
    assert names(view) == ["bad.png"], "fair.png's garment mask is approved: its parsing was rejected"
    view.status_filter.setCurrentIndex(view.status_filter.findData("done"))
    assert names(view) == ["poor.png", "good.png"], "the image's status, as the Status column"


def test_selecting_a_row_shows_the_agreement_overlay(view):
    assert not view.viewer.has_image
    view.select_proxy_row(1)  # poor: proposal covers 6 of the 20 saved columns
    assert view.selected_row().name == "poor.png"
    assert view.viewer.has_image and view.viewer.stack.currentWidget() is view.viewer.overlay_view
    assert not view.viewer.overlay_view.item.pixmap().isNull()
    assert view.viewer.counts.text().startswith("saved mask only 70.0%  proposal shown only 0.0%")
    assert view.histogram.selected == pytest.approx(2 * 120 / (400 + 120))
    assert "poor.png" in view.title.text()


def test_side_by_side_views_zoom_and_pan_together(view, qtbot):
    view.select_proxy_row(0)
    view.viewer.set_mode(SIDE_BY_SIDE)
    qtbot.wait(20)  # let the layout give the newly shown views their size
    assert view.viewer.mode == SIDE_BY_SIDE and not view.viewer.legend.isVisible()
    saved, model = view.viewer.saved_view, view.viewer.model_view
    saved.zoom_by(4.0)
    assert model.zoom == pytest.approx(saved.zoom)
    saved.horizontalScrollBar().setValue(saved.horizontalScrollBar().maximum())
    assert saved.horizontalScrollBar().value() > 0
    assert model.center().x() == pytest.approx(saved.center().x(), abs=1.0)
    assert model.center().y() == pytest.approx(saved.center().y(), abs=1.0)
    model.verticalScrollBar().setValue(0)
    assert saved.center().y() == pytest.approx(model.center().y(), abs=1.0)
    view.viewer.set_mode(OVERLAY)
    assert view.viewer.legend.isVisible()


def test_approve_records_and_moves_to_the_next_row(view, project, qtbot):
    view.select_proxy_row(0)
    with qtbot.waitSignal(view.decisionRecorded) as blocker:
        qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    bad_id = project.images(search="bad")[0].id
    assert blocker.args == [bad_id, "approve"]
    assert project.image(bad_id).status == "approved"
    assert view.proxy.index(0, 6).data() == "Approved"
    assert view.selected_row().name == "poor.png"
    # found in a QA hand test: A held on the last row approved it again and again
    view.select_image(bad_id)
    assert view.approve_selected() and view.approve_selected()
    assert [d.decision for d in project.decisions(bad_id, "garment")] == ["approve"]


def test_a_double_clicked_approve_decides_one_row(view, project, qtbot):
    """The second click of a double-click approved the row the first click moved to, shown for
    80 ms (a QA hand test); a click after the double-click interval decides the next row."""
    view.select_proxy_row(0)
    first = view.selected_row()
    for _ in range(2):  # a double-click: press, release, press, release
        qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    second = view.selected_row()
    assert [(d.image_id, d.decision) for d in project.decisions(task="garment")] == [(first.image_id, "approve")]
    qtbot.wait(QApplication.doubleClickInterval() + 50)
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    assert [d.image_id for d in project.decisions(task="garment")] == [first.image_id, second.image_id]


def test_reject_with_reason_returns_the_image_to_the_queue(view, project, qtbot):
    view.select_proxy_row(1)
    view.reason.setCurrentIndex(view.reason.findData("low_contrast"))
    view.reason_text.setText("collar lost in the shadow")
    opened: list[int] = []
    view.openImageRequested.connect(opened.append)
    # Enter in the reason field rejects (found in a QA hand test: it opened the Annotate tab)
    view.reason_text.setFocus()
    view.open_selected()  # what Return does there
    assert opened == []
    poor_id = project.images(search="poor")[0].id
    (decision,) = project.decisions(poor_id, "garment")
    assert (decision.decision, decision.reason, decision.text, decision.user) == (
        "reject", "low_contrast", "collar lost in the shadow", "rita",
    )  # fmt: skip
    assert [r.id for r in project.images(status="rejected")] == [poor_id]
    assert rejection_note(project, poor_id, "garment").endswith("collar lost in the shadow")
    assert view.proxy.index(1, 7).data() == "rejected: Low contrast"
    assert view.reason_text.text() == ""
    # a reviewer's text is shown as typed, never as markup (a code review)
    view.select_proxy_row(1)
    assert view.history.textFormat() == Qt.TextFormat.PlainText and "collar lost" in view.history.text()


def test_reject_other_without_text_warns_and_records_nothing(view, project, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    view.select_proxy_row(0)
    view.reason.setCurrentIndex(view.reason.findData("other"))
    assert not view.reject_selected()
    assert warnings == ["A reject with reason 'Other' needs a text saying why: type it in the Why field."]
    assert project.decisions() == []


def test_approving_keeps_the_why_text_typed_for_a_reject(view, project):
    """A QA hand test: text typed in the Why field was cleared without a word by an approve."""
    view.select_proxy_row(0)
    view.reason_text.setText("sleeve edge looks off")
    assert view.approve_selected()
    assert project.decisions()[0].decision == "approve" and project.decisions()[0].text == ""
    assert view.reason_text.text() == "sleeve edge looks off"


def test_a_reject_needs_a_chosen_reason_category(view, project, monkeypatch):
    """A QA hand test: the reason box started at "Bad ground truth", so a reviewer who typed
    only a Why text rejected with a category nobody chose."""
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    assert view.reason.currentIndex() == -1 and view.reason.placeholderText() == "Reason…"
    view.select_proxy_row(0)
    view.reason_text.setText("collar lost")
    assert not view.reject_selected()
    assert warnings == ["A reject needs a reason category: choose a reason in the box beside the Why field."], "a sentence"
    assert project.decisions() == [] and view.reason_text.text() == "collar lost"
    view.reason.setCurrentIndex(view.reason.findData("low_contrast"))
    assert view.reject_selected()
    assert project.decisions()[0].reason == "low_contrast"
    # a hand test: the reason stayed for the next image, whose reject then went out with it
    assert view.reason.currentIndex() == -1, "the next reject chooses its own reason"
    view.reason_text.setText("hem cut")
    assert not view.reject_selected() and len(project.decisions()) == 1


def test_a_version_saved_after_the_table_loaded_is_not_decided_unseen(view, project, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    view.select_proxy_row(0)
    row = view.selected_row()
    with Project.open(project.root, user="olga") as operator:  # a fix saved meanwhile
        operator.save_mask(row.image_id, "garment", square(12, 30))
    assert not view.approve_selected()
    assert warnings and "version 2 (olga) was saved after you looked at version 1" in warnings[0]
    assert project.decisions() == []
    view.refresh()
    view.select_image(row.image_id)
    assert view.approve_selected() and project.image(row.image_id).status == "approved"


def test_enter_and_double_click_request_the_annotation_view(view, project, qtbot):
    view.select_proxy_row(2)
    with qtbot.waitSignal(view.openImageRequested) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert blocker.args == [project.images(search="fair")[0].id]


def test_parsing_task_uses_miou(view, project):
    image_id = project.images(search="good")[0].id
    project.save_proposal(image_id, "parsing7", square(10, 30, label=3), "v1")
    project.save_mask(image_id, "parsing7", square(10, 30, label=5))
    assert [view.task_combo.itemText(i) for i in range(view.task_combo.count())] == ["Garment cutout", "Parsing"]
    view.task_combo.setCurrentIndex(view.task_combo.findData("parsing7"))
    assert view.task == "parsing7"
    assert view.proxy.headerData(SCORE_COLUMN, Qt.Orientation.Horizontal) == "mIoU"
    assert names(view) == ["good.png"] and view.proxy.index(0, 1).data() == "0.000"


def test_export_writes_csv_and_html(view, tmp_path):
    view.export("csv", str(tmp_path / "t.csv"))
    view.export("html", str(tmp_path / "t.html"))
    assert (tmp_path / "t.csv").read_text().count("\n") == 5
    assert "data:image/jpeg;base64," in (tmp_path / "t.html").read_text()


def test_qa_exports_start_beside_the_project_and_never_write_inside_it(view, project, tmp_path, monkeypatch, qtbot):
    """A file dialog in the project folder reads ``project.sqlite`` to name its type, which in
    this process drops SQLite's locks (a hand test saw another process delete the WAL)."""
    for kind in ("csv", "html"):
        default = view.default_export_path(kind)
        assert default.parent == project.root.parent and default.name.endswith(f"-qa.{kind}")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    inside = project.root / "qa.csv"
    assert not view.export("csv", str(inside))
    assert not inside.exists() and "inside the project" in warnings[0]
    with qtbot.waitSignal(view.exported) as done:
        assert view.export("csv", str(tmp_path / "qa.csv"))
    assert done.args[0].startswith("CSV of ") and str(tmp_path / "qa.csv") in done.args[0]


def test_export_of_an_unreadable_mask_names_it_in_the_report(view, project, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    broken = project.mask_versions(view.model.rows()[0].image_id, view.task)[-1].path
    broken.write_bytes(b"not a png")
    view.export("html", str(tmp_path / "t.html"))
    # the report is written all the same (one bad file stopped it whole) and names the file
    assert warnings == [] and str(broken) in (tmp_path / "t.html").read_text()


def test_rescore_with_the_active_model_in_the_background(view, project, tmp_path, qtbot, monkeypatch):
    torch.manual_seed(0)
    arch = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}
    meta = {"task": "garment", "classes": ["background", "garment"], "arch": arch,
            "input_size": [32, 48], "mean": [0.5] * 3, "std": [0.25] * 3, "threshold": 0.5,
            "version": "9", "date": "2026-01-01", "training_data_fingerprint": "0",
            "trained_on": [], "metrics": {}}  # fmt: skip
    path = tmp_path / "m.safetensors"
    save_model(path, UNet(**arch).eval(), meta)
    project.register_model("garment", path, {}, [], activate=True)
    view.reference.setCurrentIndex(1)  # before any re-score: no proposal scores under this label
    assert view.proxy.rowCount() == 0 and "Not scored against the current model" in view.summary.text()
    from fashion_annotator.qa import scores as qa_scores

    runs: list[int] = []
    real = qa_scores.propose_for_image
    monkeypatch.setattr(qa_scores, "propose_for_image", lambda *a, **k: runs.append(1) or real(*a, **k))
    view.start_rescore()
    assert view.rescore_button.text() == "Cancel re-score"
    _wait_rescored(qtbot, view)
    assert view.reference.currentData() == "model"
    assert view.reference.itemText(1) == "vs current model"  # whole in the closed combo
    # named as the status bar names it
    assert view.reference.itemData(1, Qt.ItemDataRole.ToolTipRole) == "Scores against the current model: v1 (9) on CPU"
    rows = [view.proxy.index(r, 0).data(ROW_ROLE) for r in range(view.proxy.rowCount())]
    assert len(rows) == 4 and all(r.reference == "model" for r in rows)
    assert all(0.0 <= r.score <= 1.0 for r in rows)
    view.select_proxy_row(0)
    assert view.viewer.has_image and view.viewer.model_caption.text() == "Current model"
    assert view.rescore_thread is None and not view.progress.isVisible()
    view.model_changed("garment")  # a promotion or a rollback: those were another model's scores
    assert view.proxy.rowCount() == 0 and "Not scored against the current model" in view.summary.text()
    view.start_rescore()
    _wait_rescored(qtbot, view)
    # a mask saved since the re-score: unscored until the next one, and decidable (found in a QA
    # hand test: the old score stayed, and every decision was refused as made on an older version)
    first = rows[0]
    with Project.open(project.root, user="olga") as operator:
        operator.save_mask(first.image_id, "garment", square(12, 30))
    view.refresh()
    view.select_image(first.image_id)
    stale = view.selected_row()
    assert np.isnan(stale.score) and "saved since this score" in stale.problem
    assert view.approve_selected() and project.image(first.image_id).status == "approved"
    view.set_task("garment")
    assert view.task_combo.currentData() == "garment" and len(names(view)) == 4
    assert len(runs) == 4
    again = ReviewView(project)  # the window restarted: the kept predictions are reused
    qtbot.addWidget(again)
    again.start_rescore()
    _wait_rescored(qtbot, again)
    assert len(runs) == 4 and again.proxy.rowCount() == 4


def test_a_damaged_proposal_or_a_missing_photo_is_named_not_fatal(qtbot, project):
    poor = next(r for r in project.images() if r.name == "poor.png")
    bad = project.proposals(poor.id, "garment")[0].path
    bad.write_bytes(bad.read_bytes()[:40])  # a truncated file
    view = ReviewView(project)  # used to raise out of the constructor
    qtbot.addWidget(view)
    rows = {view.proxy.index(r, 0).data(ROW_ROLE).name: view.proxy.index(r, 0).data(ROW_ROLE)
            for r in range(view.proxy.rowCount())}  # fmt: skip
    assert str(bad) in rows["poor.png"].problem and np.isnan(rows["poor.png"].score)
    assert "1 image not scored" in view.summary.text()
    view.select_image(poor.id)
    assert not view.viewer.has_image and str(bad) in view.viewer.message.text()
    other = next(name for name in rows if name != "poor.png")
    record = next(r for r in project.images() if r.name == other)
    record.path.unlink()  # the stored photo went missing
    view.select_image(record.id)
    assert not view.viewer.has_image and other in view.viewer.message.text()


def test_a_linked_photo_changed_on_disk_is_not_shown_under_its_masks(qtbot, project, tmp_path):
    """A review: the window refuses a photo referenced in place whose file changed, the Review
    tab drew the old mask over the new photo (same size), ready to be approved."""
    path = tmp_path / "shoot" / "linked.png"
    path.parent.mkdir()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
    image_id = project.add_image(path, copy=False).id
    project.save_proposal(image_id, "garment", square(12, 28), "v1")
    project.save_mask(image_id, "garment", square(10, 30), status="done")
    view = ReviewView(project)
    qtbot.addWidget(view)
    view.select_image(image_id)
    assert view.viewer.has_image
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)  # another shot
    view.select_image(next(r.id for r in project.images() if r.id != image_id))
    view.select_image(image_id)
    assert not view.viewer.has_image and "changed since it was added" in view.viewer.message.text()


def test_a_large_project_is_scored_in_the_background_at_the_first_visit(qtbot, project, monkeypatch):
    # The first visit scores every saved mask (PNG decodes): on a large project that runs in a
    # thread and the table fills when it ends; later refreshes score only what was saved since.
    from fashion_annotator.ui.review import view as view_module

    monkeypatch.setattr(view_module, "BACKGROUND_SCORING", 0)  # four images count as large here
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    assert widget.score_thread is not None and widget.model.rows() == []
    assert "first visit" in widget.summary.text()
    qtbot.waitUntil(lambda: widget.score_thread is None and len(widget.model.rows()) == 4, timeout=20_000)
    scores = {r.name: round(r.score, 3) for r in widget.model.rows()}
    assert scores == {"good.png": 1.0, "fair.png": 0.824, "poor.png": 0.462, "bad.png": 0.0}
    assert not widget.progress.isVisible()
    image_id = next(r.image_id for r in widget.model.rows() if r.name == "bad.png")
    project.save_mask(image_id, "garment", square(40, 60))  # now equals its proposal
    widget.refresh()
    assert widget.score_thread is None, "scored once: later refreshes run here, from the memo"
    assert {r.name: round(r.score, 3) for r in widget.model.rows()}["bad.png"] == 1.0


def test_closing_the_review_during_its_first_scoring_stops_it(qtbot, project, monkeypatch):
    from fashion_annotator.ui.review import view as view_module

    monkeypatch.setattr(view_module, "BACKGROUND_SCORING", 0)
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    thread = widget.score_thread
    assert thread is not None
    widget.close()
    assert thread.was_cancelled and thread.isFinished()


def test_histogram_ticks_are_round_distinct_and_under_their_values(view):
    hist = view.histogram
    hist.set_values([0.96, 0.97, 0.985, 0.99, 1.0], float("nan"), "Dice")
    assert (hist.lo, hist.hi) == pytest.approx((0.95, 1.0))
    ticks = hist.ticks()
    labels = [text for _, text in ticks]
    assert "0.98" in labels and len(set(labels)) == len(labels) >= 3
    for x, text in ticks:
        assert x == pytest.approx(hist.x_of(float(text)))
    spacing = [b - a for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False)]
    assert max(spacing) == pytest.approx(min(spacing))
    assert min(spacing) >= hist.fontMetrics().horizontalAdvance("0.000")


def test_the_summary_says_when_the_mad_is_its_floor():
    from fashion_annotator.qa.stats import summarize
    from fashion_annotator.ui.review.summary import summary_html

    tied = summary_html(summarize([*([1.0] * 11), 0.99, 0.97, 0.4], k=3.0), "Dice")
    assert "; MAD 0.010 (the floor: most scores tie)" in tied
    spread = summary_html(summarize([0.5, 0.7, 0.8, 0.9, 0.95], k=3.0), "Dice")
    assert "; MAD 0.100</p>" in spread
    # found in a QA hand test: nothing scored read "MAD = -; MAD -"
    empty = summary_html(summarize([float("nan")], k=3.0), "Dice")
    assert "Nothing to review yet" in empty and "MAD" not in empty


def test_a_new_garment_model_drops_the_parsing_scores_that_agreed_with_the_old_one(view):
    """A code review: parsing proposals are made to agree with the garment model's, but only the
    parsing model's version named their scores and their cached predictions."""
    from fashion_annotator.qa.scores import prediction_cache_key

    view._model_rows["parsing7"] = ([], "key", "v1")  # noqa: SLF001 - as a re-score leaves them
    view._model_rows["garment"] = ([], "key", "v1")  # noqa: SLF001
    view.model_changed("person")  # no task here agrees with it
    assert set(view._model_rows) == {"parsing7", "garment"}  # noqa: SLF001
    view.model_changed("garment")
    assert view._model_rows == {}  # noqa: SLF001
    old = prediction_cache_key("parsing7", "3", {"garment": "1"})
    assert old != prediction_cache_key("parsing7", "3", {"garment": "2"}) != prediction_cache_key("parsing7", "3")


def test_an_outlier_never_reads_as_the_threshold(qtbot):
    """A QA hand test: an outlier 0.95605 read "0.956" beside "outliers < 0.956" (0.95622)."""
    from fashion_annotator.qa.scores import ImageScore
    from fashion_annotator.qa.stats import outlier_mask, summarize
    from fashion_annotator.ui.review.histogram import ScoreHistogram
    from fashion_annotator.ui.review.summary import summary_html
    from fashion_annotator.ui.review.table import ScoreTableModel

    values = [0.95605, 0.96, 0.97, 0.98, 0.99]
    k = (0.97 - 0.95622) / 0.01  # median - k x MAD = 0.95622
    summary = summarize(values, k)
    assert summary.threshold == pytest.approx(0.95622) and summary.outliers == 1
    rows = [ImageScore(i, f"{i}.png", "garment", "done", "olga", 1.0, 1, 1, 0.0, score=v)
            for i, v in enumerate(values)]  # fmt: skip
    model = ScoreTableModel()
    model.set_rows(rows, outlier_mask(values, k), "Dice", summary.threshold)
    hist = ScoreHistogram()
    qtbot.addWidget(hist)
    hist.set_values(values, summary.threshold, "Dice")
    shown = hist.threshold_label.removeprefix("outliers < ")
    assert shown == "0.9562" and f"<b>{shown}</b>" in summary_html(summary, "Dice")
    outlier = model.index(0, SCORE_COLUMN).data()
    assert outlier != shown and float(outlier) < float(shown)
    assert model.index(1, SCORE_COLUMN).data() == "0.960", "scores apart from it keep 3 decimals"


def test_a_very_long_name_keeps_the_other_columns_in_sight(qtbot, project, tmp_path):
    """A hand test: a 210-character photo name widened the Image column until Dice and every
    other column were off screen; it is capped, its middle elided, the whole name a tooltip."""
    path = tmp_path / "src" / ("look " + "衣" * 20 + "x" * 180 + " end.png")
    Image.fromarray(np.zeros((*SHAPE, 3), dtype=np.uint8)).save(path)
    image_id = project.add_image(path).id
    long_name = project.image(image_id).name  # cut to 200 bytes: 160 characters
    project.save_proposal(image_id, "garment", square(10, 30), "v1")
    project.save_mask(image_id, "garment", square(10, 30), status="done")
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    table = widget.table
    row = names(widget).index(long_name)
    assert widget.proxy.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) == long_name
    last = len(COLUMNS) - 1
    assert table.columnViewportPosition(last) + 20 < table.viewport().width()  # Decision in sight
    assert table.columnWidth(0) <= 40 * table.fontMetrics().averageCharWidth() + 20
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    parsing = square(10, 30, label=2)  # the Instances panel's Image column too
    project.save_mask(image_id, "parsing7", parsing)
    taxonomy, instance_taxonomy = load_taxonomy("parsing7"), load_instance_taxonomy()
    derived = propose_instances(parsing, taxonomy, instance_taxonomy)
    project.save_instances(image_id, InstanceSet(derived.map, {
        k: Instance(k, c) for k, c in enumerate(derived.classes, start=1)}))  # fmt: skip
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    panel.resize(1280, 300)
    panel.show()
    panel.refresh()
    assert panel.table.item(0, 0).text() == long_name
    assert panel.table.columnWidth(0) <= 40 * panel.table.fontMetrics().averageCharWidth() + 20


def test_approving_again_a_row_whose_mask_was_saved_since_is_refused_not_passed(view, project, monkeypatch):
    """A team re-test: a reviewer approved v1; the operator saved v2 before the poll; A on the
    row (still "approved" on v1) moved on as if done and recorded nothing: v2 was never approved
    and nobody was told."""
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    view.select_proxy_row(0)
    row = view.selected_row()
    assert view.approve_selected()
    view.select_image(row.image_id)
    assert view.selected_row().decision == "approve"
    with Project.open(project.root, user="olga") as operator:  # a fix saved before the poll
        operator.save_mask(row.image_id, "garment", square(12, 30))
    assert not view.approve_selected()
    assert warnings and "version 2 (olga) was saved after you looked at version 1" in warnings[0]
    assert [d.mask_version for d in project.decisions()] == [1]
    view.select_image(row.image_id)  # unchanged and approved: approving again records nothing
    view.refresh()
    view.select_image(row.image_id)
    assert view.approve_selected() and [d.mask_version for d in project.decisions()] == [1, 2]
    view.select_image(row.image_id)
    assert view.approve_selected() and len(project.decisions()) == 2


def test_the_reason_box_lists_the_operators_kinds_of_bad_ground_truth_first(view, project):
    """A QA hand test: the operator who received "Bad ground truth" could not tell a missed
    sleeve from a mannequin stand left in the cutout."""
    items = [view.reason.itemData(i) for i in range(view.reason.count())]
    assert items[:4] == ["missed_area", "extra_area", "wrong_label", "rough_edge"]
    assert items[4] is None and items[5:] == ["bad_ground_truth", "rare_garment", "low_contrast",
                                              "complex_garment", "model_error", "other"]  # fmt: skip
    tip = view.reason.itemData(1, Qt.ItemDataRole.ToolTipRole)
    assert "counts as Bad ground truth in the QA report" in tip
    view.select_proxy_row(1)
    view.reason.setCurrentIndex(view.reason.findData("extra_area"))
    view.reason_text.setText("stand pole still in the cutout")
    assert view.reject_selected()
    assert project.decisions()[0].reason == "extra_area"
    assert view.proxy.index(1, 7).data() == "rejected: Extra area (background, mannequin)"


def test_the_decision_column_keeps_the_reason_readable(view, project):
    """A QA hand test: the Decision column read "rejected:… ground …" (elided in its middle);
    it is elided at its end, shows the reason label alone where the whole text does not fit,
    and its tooltip holds the whole text."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyleOptionViewItem

    view.select_proxy_row(1)
    view.reason.setCurrentIndex(view.reason.findData("bad_ground_truth"))
    view.reason_text.setText("stand pole still in the cutout")
    assert view.reject_selected()
    index = view.proxy.index(1, COLUMNS.index("Decision"))
    assert index.data() == "rejected: Bad ground truth"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "rejected: Bad ground truth — stand pole still in the cutout"
    delegate = view.table.itemDelegateForIndex(index)
    metrics = view.table.fontMetrics()

    def painted(width: int) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        option.initFrom(view.table)
        option.rect = QRect(0, 0, width, 22)
        delegate.initStyleOption(option, index)
        return option

    roomy = painted(metrics.horizontalAdvance("rejected: Extra area (background, mannequin)") + 40)
    assert roomy.text == "rejected: Bad ground truth"
    narrow = painted(metrics.horizontalAdvance("Bad ground truth") + 20)
    assert narrow.text == "Bad ground truth", "the reason label in full where the whole text does not fit"
    assert narrow.textElideMode == Qt.TextElideMode.ElideRight
    view.select_proxy_row(2)
    view.reason.setCurrentIndex(view.reason.findData("missed_area"))
    assert view.reject_selected()
    tips = [view.proxy.index(r, 7).data(Qt.ItemDataRole.ToolTipRole) for r in range(view.proxy.rowCount())]
    assert "rejected: Missed area; counts as Bad ground truth" in tips


def test_the_decision_column_words_every_reject_alike(view, project):
    """A QA hand test: one row read "rejected: Missed area", the next "Extra area (background,
    mannequin)" without "rejected:" (the one fitted the column, the other did not); a column too
    narrow for the longest reject shows every reject's reason label alone, a wide one every
    reject's whole text."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyleOptionViewItem

    for row, reason in ((1, "missed_area"), (2, "extra_area")):
        view.select_proxy_row(row)
        view.reason.setCurrentIndex(view.reason.findData(reason))
        assert view.reject_selected()
    rejected = [view.proxy.index(r, COLUMNS.index("Decision")) for r in range(view.proxy.rowCount())]
    rejected = [i for i in rejected if str(i.data()).startswith("rejected:")]
    assert sorted(i.data() for i in rejected) == ["rejected: Extra area (background, mannequin)",
                                                   "rejected: Missed area"]  # fmt: skip
    metrics = view.table.fontMetrics()

    def painted(width: int) -> list[str]:
        texts = []
        for index in rejected:
            option = QStyleOptionViewItem()
            option.initFrom(view.table)
            option.rect = QRect(0, 0, width, 22)
            view.table.itemDelegateForIndex(index).initStyleOption(option, index)
            texts.append(option.text)
        return sorted(texts)

    between = metrics.horizontalAdvance("rejected: Missed area") + 40  # fits it, not the longest
    assert painted(between) == ["Extra area (background, mannequin)", "Missed area"]
    wide = metrics.horizontalAdvance("rejected: Extra area (background, mannequin)") + 40
    assert painted(wide) == ["rejected: Extra area (background, mannequin)", "rejected: Missed area"]


def test_images_whose_cutout_and_parsing_masks_disagree_are_flagged(view, project, qtbot):
    """A QA hand test: the mannequin stand removed from the garment cutout stayed "shoes" in the
    saved parsing mask, and nothing said so; the Image cell now carries a warning, its tooltip
    the figures."""
    good, fair = (project.images(search=n)[0].id for n in ("good", "fair"))
    cutout = square(10, 30)
    agreeing = square(10, 30, label=6)  # parsing7 "dress" where the garment is
    stand = agreeing.copy()
    stand[30:40, 19:21] = 4  # "shoes" below the garment, outside the cutout: the stand
    project.save_mask(good, "parsing7", agreeing)
    project.save_mask(fair, "parsing7", stand)
    assert np.array_equal(project.load_mask(fair, "garment"), cutout)
    view.refresh()
    qtbot.waitUntil(lambda: view.model.flag(fair) is not None and view.mask_checks.worker is None, timeout=20000)
    assert view.model.flag(good) is None
    row = {view.proxy.index(r, 0).data(ROW_ROLE).image_id: r for r in range(view.proxy.rowCount())}
    cell = view.proxy.index(row[fair], 0)
    assert not cell.data(Qt.ItemDataRole.DecorationRole).isNull()
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("fair.png\nGarment cutout and Parsing disagree on 5.0% of the cutout: 20 Parsing pixels")
    assert view.proxy.index(row[good], 0).data(Qt.ItemDataRole.DecorationRole) is None
    project.save_mask(fair, "parsing7", agreeing)  # the operator clears the stand: the flag goes
    view.refresh()
    qtbot.waitUntil(lambda: view.model.flag(fair) is None and view.mask_checks.worker is None, timeout=20000)


def test_each_cutout_task_shows_its_own_agreement_with_the_parsing_mask(qtbot, tmp_path):
    """A code review: parsing7 is compared with the garment and the person cutout, and the
    figures were kept by image and versions alone; shown Garment, then Person (both masks at
    version 1), the person row showed the garment's flag, its tooltip naming "Garment cutout"."""
    with Project.create(tmp_path / "three", tasks=("garment", "person", "parsing7"), user="rita") as proj:
        path = tmp_path / "look.png"
        Image.fromarray(np.full((*SHAPE, 3), 90, dtype=np.uint8)).save(path)
        image_id = proj.add_image(path).id
        person = np.zeros(SHAPE, dtype=np.uint8)
        person[10:40, 10:30] = 1  # the person stands on the stand's rows too
        parsing = square(10, 30, label=6)
        parsing[30:40, 19:21] = 4  # "shoes" outside the garment cutout, inside the person's
        for task, mask in (("garment", square(10, 30)), ("person", person), ("parsing7", parsing)):
            proj.save_proposal(image_id, task, mask, "v1")
            proj.save_mask(image_id, task, mask)
            assert proj.mask_versions(image_id, task)[-1].version == 1
        view = ReviewView(proj)
        qtbot.addWidget(view)
        view.set_task("garment")
        qtbot.waitUntil(lambda: view.model.flag(image_id) is not None and view.mask_checks.worker is None,
                        timeout=20000)  # fmt: skip
        assert view.model.flag(image_id).startswith("Garment cutout and Parsing disagree on 5.0%")
        view.set_task("person")
        qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
        qtbot.wait(50)
        assert view.model.flag(image_id) is None  # the shoes lie inside the person cutout
        view.mask_checks.stop()
