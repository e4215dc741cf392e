"""The status bar's model field says the model is loading until it is known.

Found in a hand test: after ``models P1 --task garment --activate 1`` the window's status bar
said "no model" for about 25 s after the start, then "model v1".
"""

from __future__ import annotations

from fashion_annotator.ui.annotate.status_bar import LOADING, StatusBar


def test_the_model_field_says_loading_until_the_model_is_known(qtbot) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    assert bar.model.text() == LOADING == "model: loading…"
    assert "not known yet" in bar.model.toolTip()
    bar.set_model("v1 (20261207-185459)", known=False)  # a task switch before its first proposal
    assert bar.model.text() == LOADING
    bar.set_model("v1 (20261207-185459)")
    assert bar.model.text() == "model v1" and bar.model.toolTip().endswith("v1 (20261207-185459)")
    bar.set_model(None)
    assert bar.model.text() == "no model"
