"""The Retrain dialog's first Tab stop is the first control a user sets, not the scroll area
its form and figures sit in (Tab first landed on the area itself, which takes no input)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QWidget

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog


@pytest.fixture
def project(loop_project):
    """Garment masks, one of them an accepted proposal (the leave-out box shows)."""
    return loop_project


def _tab_stops(dialog: RetrainDialog) -> list[QWidget]:
    """The dialog's Tab stops in Tab order, from the dialog itself."""
    stops: list[QWidget] = []
    widget = dialog.nextInFocusChain()
    for _ in range(1000):
        if widget is dialog:
            break
        tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        # a spin box's line edit is the box's stop
        stop = widget.parentWidget() if isinstance(widget.parentWidget(), QAbstractSpinBox) else widget
        if tab and stop.isVisibleTo(dialog) and stop.isEnabled() and stop not in stops:
            stops.append(stop)
        widget = widget.nextInFocusChain()
    return stops


def test_the_first_tab_stop_is_the_first_setting(qtbot, project):
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)  # the leave-out box shows once the masks are counted
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.exclude_check.isVisible()
    stops = _tab_stops(dialog)
    assert not [s for s in stops if isinstance(s, QAbstractScrollArea) and s is not dialog.log
                and s is not dialog.table], "no scroll area of its own is a Tab stop"
    assert stops[:3] == [dialog.exclude_check, dialog.epochs_spin, dialog.minutes_spin]
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is dialog.exclude_check, "the dialog opens on it"
    dialog.close()
