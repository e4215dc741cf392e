"""The Review tab's reason box driven from the keyboard: its letters choose a reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review.table import ROW_ROLE
from fashion_annotator.ui.review.view import ReviewView


@pytest.fixture
def view(qtbot, tmp_path: Path):
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        rng = np.random.default_rng(0)
        mask = np.zeros((40, 60), dtype=np.uint8)
        mask[10:30, 10:30] = 1
        for name in ("first", "second"):
            path = tmp_path / f"{name}.png"
            Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(path)
            image_id = project.add_image(path).id
            project.save_proposal(image_id, "garment", mask, "v1")
            project.save_mask(image_id, "garment", mask, seconds=30.0, actions=1)
            project.set_status(image_id, "done")
        widget = ReviewView(project)
        qtbot.addWidget(widget)
        widget.resize(1200, 700)
        widget.show()
        widget.activateWindow()
        qtbot.waitExposed(widget)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
        widget.select_proxy_row(0)
        yield widget


def test_letters_typed_into_the_reason_box_choose_a_reason_and_decide_nothing(view, qtbot):
    """A keyboard hand test: the reviewer chose Low contrast by typing "l", then typed "r"
    for Rare garment; R (reject) took the letter and rejected the mask as Low contrast."""
    QTest.keyClick(view.table, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)
    assert view.reason.hasFocus()
    QTest.keyClick(view.reason, Qt.Key.Key_L)
    assert view.reason.currentData() == "low_contrast"
    qtbot.wait(QApplication.keyboardInputInterval() + 100)  # a new search, not "lr"
    QTest.keyClick(view.reason, Qt.Key.Key_R)
    QTest.keyClick(view.reason, Qt.Key.Key_A)  # "ra": Rare garment still
    assert view.project.decisions() == [], "a letter typed into the reason box decided"
    assert view.reason.currentData() == "rare_garment"
    assert view.reason.hasFocus()


def test_enter_in_the_reason_box_rejects_rather_than_leaving_for_the_annotate_tab(view, qtbot):
    """A keyboard hand test: Alt+J, "m" (Model error), Enter opened the image in the Annotate
    tab with nothing decided; Enter in the Why field next to it rejects."""
    opened: list[int] = []
    view.openImageRequested.connect(opened.append)
    QTest.keyClick(view.table, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)
    QTest.keyClicks(view.reason, "mo")  # "m" alone is Missed area, listed first now
    QTest.keyClick(view.reason, Qt.Key.Key_Return)
    assert opened == []
    (decision,) = view.project.decisions()
    assert (decision.decision, decision.reason) == ("reject", "model_error")


def test_a_letter_typed_into_the_status_filter_filters_and_decides_nothing(view, qtbot):
    """A keyboard hand test: "a" typed into the status filter (for Approved) approved the
    selected mask, unseen behind the filter it then chose."""
    view.status_filter.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(view.status_filter, Qt.Key.Key_A)
    assert view.project.decisions() == [], "a letter typed into the status filter decided"
    assert view.status_filter.currentText() == "Approved"


def test_enter_in_the_filter_boxes_and_the_k_field_gives_the_table_the_keyboard(view, qtbot):
    """A keyboard hand test: Enter to confirm the status filter (or a k typed into its field)
    opened the selected image in the Annotate tab."""
    opened: list[int] = []
    view.openImageRequested.connect(opened.append)
    boxes = [b for b in (view.status_filter, view.task_combo, view.reference, view.k_spin) if b.isVisible()]
    assert view.status_filter in boxes and view.k_spin in boxes
    for box in boxes:
        box.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(box.hasFocus)
        QTest.keyClick(box, Qt.Key.Key_Return)
        assert opened == [], box.accessibleName() or type(box).__name__
        assert view.table.hasFocus(), "Enter gives the table the keyboard back"
    QTest.keyClick(view.table, Qt.Key.Key_Return)  # on the table Enter opens the image
    assert len(opened) == 1


def test_enter_in_the_filter_by_name_field_gives_the_table_the_keyboard(view, qtbot):
    """Found in review: the README says Enter in a filter box gives the table the keyboard, but
    a name typed into Filter by name and confirmed with Enter opened the selected image in the
    Annotate tab (Esc there already went to the table)."""
    opened: list[int] = []
    view.openImageRequested.connect(opened.append)
    view.search.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(view.search.hasFocus)
    QTest.keyClicks(view.search, "sec")
    QTest.keyClick(view.search, Qt.Key.Key_Return)
    assert opened == [], "Enter in Filter by name opened the image"
    assert view.table.hasFocus() and view.search.text() == "sec"
    assert view.project.decisions() == []


def test_after_a_reject_from_the_why_field_a_approves_the_next_row(view, qtbot):
    """A keyboard hand test: Alt+J, a reason, Tab, the why, Enter rejected the first mask and
    selected the next, but the keyboard stayed in the Why field: the A pressed to approve that
    next mask typed "a" there (sent with the next reject) and approved nothing."""
    first, second = (view.proxy.index(r, 0).data(ROW_ROLE).image_id for r in range(2))
    QTest.keyClick(view.table, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)
    QTest.keyClick(view.reason, Qt.Key.Key_M)
    view.reason_text.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(view.reason_text.hasFocus)
    QTest.keyClicks(view.reason_text, "edge")
    QTest.keyClick(view.reason_text, Qt.Key.Key_Return)
    assert view.selected_row().image_id == second
    assert view.table.hasFocus(), "the keyboard went back to the table"
    qtbot.wait(QApplication.doubleClickInterval() + 50)
    QTest.keyClick(view.table, Qt.Key.Key_A)
    assert view.reason_text.text() == ""
    decided = {(d.image_id, d.decision) for d in view.project.decisions()}
    assert decided == {(first, "reject"), (second, "approve")}


def test_a_reject_refused_for_want_of_a_reason_gives_the_reason_box_the_keyboard(view, qtbot, monkeypatch):
    """A keyboard hand test: R on the table with no reason chosen was refused ("choose a reason
    in the box beside the Why field"), the keyboard left on the table and the box below the fold
    at 1280x720. The box now gets the keyboard; a why typed stays to be sent with the reason."""
    warned: list[str] = []
    monkeypatch.setattr("fashion_annotator.ui.review.deciding.QMessageBox.warning",
                        lambda _parent, _title, text: warned.append(text))  # fmt: skip
    view.table.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(view.table.hasFocus)
    QTest.keyClick(view.table, Qt.Key.Key_R)
    assert len(warned) == 1 and "reason" in warned[0]
    assert view.project.decisions() == []
    assert view.reason.hasFocus(), "the keyboard stayed on the table"
    view.reason_text.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(view.reason_text.hasFocus)
    QTest.keyClicks(view.reason_text, "edge")
    QTest.keyClick(view.reason_text, Qt.Key.Key_Return)
    assert view.project.decisions() == [] and len(warned) == 2
    assert view.reason.hasFocus() and view.reason_text.text() == "edge"
    QTest.keyClicks(view.reason, "mo")  # Model error
    QTest.keyClick(view.reason, Qt.Key.Key_Return)
    ((decision, reason, text),) = [(d.decision, d.reason, d.text) for d in view.project.decisions()]
    assert (decision, reason, text) == ("reject", "model_error", "edge")
