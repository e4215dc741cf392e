"""Number boxes typed with a ``.`` under a locale whose decimal point is ``,``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.file_menu import ExportDialog
from fashion_annotator.ui.review.view import ReviewView


@pytest.fixture
def german() -> Iterator[None]:
    """Widgets made while this runs read numbers as ``de_DE`` does (``,`` decimal point,
    ``.`` group separator), as under ``LANG=de_DE.UTF-8``."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def typed(qtbot, spin, text: str) -> float:
    """The value of ``spin`` once ``text`` was typed over its contents."""
    spin.show()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    spin.interpretText()
    return spin.value()


def test_a_decimal_typed_with_either_point_is_read_as_typed(qtbot, tmp_path, german) -> None:
    """Under ``de_DE`` the export's polygon tolerance typed ``0.5`` became 5 px and Review's
    ``k = 1.5`` became 15 (the ``.`` read as a group separator), without a word."""
    dialog = ExportDialog(["garment"], "garment")
    qtbot.addWidget(dialog)
    dialog.fmt.setCurrentText("coco")  # a format with polygons: the tolerance can be set
    assert dialog.tolerance.locale().decimalPoint() == ","
    assert typed(qtbot, dialog.tolerance, "0.5") == pytest.approx(0.5)
    assert typed(qtbot, dialog.tolerance, "1,25") == pytest.approx(1.25)
    assert dialog.tolerance.text() == "1,25 px"  # shown in the locale's own way
    with Project.create(tmp_path / "p") as project:
        view = ReviewView(project)
        qtbot.addWidget(view)
        assert typed(qtbot, view.k_spin, "1.5") == pytest.approx(1.5)
        assert typed(qtbot, view.k_spin, "2,5") == pytest.approx(2.5)
        view.close()
