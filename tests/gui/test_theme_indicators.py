"""Check boxes, radio buttons and colour swatches can be seen in the light and the dark theme."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QRadioButton, QVBoxLayout, QWidget

from fashion_annotator.ui.icons import swatch


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


def _strongest_edge(widget: QWidget, background: QColor) -> int:
    """The largest RGB distance from ``background`` inside the widget's indicator (its left 20 px)."""
    indicator = _pixels(widget.grab().toImage())[:, :20]
    return int(np.abs(indicator - np.array(background.getRgb()[:3])).sum(-1).max())


def test_an_unchecked_box_and_radio_button_have_an_outline_that_shows(qtbot, theme):
    """In the dark theme Fusion drew their outline a shade darker than the window (#1f1f1f on
    #2b2b2b): the unchecked "Region boundaries" box and the "Parsing" radio button were dark
    squares and circles that an operator could barely see."""
    body = QWidget()
    qtbot.addWidget(body)
    layout = QVBoxLayout(body)
    box, radio = QCheckBox("Region boundaries"), QRadioButton("Parsing")
    layout.addWidget(box)
    layout.addWidget(radio)
    body.show()
    qtbot.waitExposed(body)
    window = body.palette().color(QPalette.ColorRole.Window)
    for widget in (box, radio):
        assert _strongest_edge(widget, window) >= 150, f"{widget.text()} has no visible outline ({theme})"


@pytest.mark.parametrize("fill", [(0, 0, 0), (255, 255, 255), (20, 24, 40)])
def test_a_swatch_is_outlined_on_light_and_dark_lists(qtbot, theme, fill):
    """A black garment's swatch vanished on the dark Instances list (its faint black border too)."""
    list_background = QApplication.palette().color(QPalette.ColorRole.Base).name()
    image = QImage(18, 18, QImage.Format.Format_RGB888)
    image.fill(QColor(list_background))
    painter = QPainter(image)
    painter.drawPixmap(0, 0, swatch(fill).pixmap(18, 18))
    painter.end()
    border = _pixels(image)[1:17, 1]  # the left edge of the rounded square
    back = np.array(QColor(list_background).getRgb()[:3])
    assert np.abs(border - back).sum(-1).max() >= 150
    if np.abs(back - np.array(fill)).sum() < 150:  # a fill like the list: its border shows it
        assert np.abs(border - np.array(fill)).sum(-1).max() >= 150


def test_a_disabled_tool_icon_reads_as_disabled_in_both_themes(qtbot, theme):
    """A hand test: in the dark theme a greyed Undo was nearly as bright as an enabled one
    (0.80 against 0.90 of the ink's brightness): the new greying barely showed."""
    from PySide6.QtGui import QIcon

    from fashion_annotator.ui.icons import icon

    def ink(mode) -> float:
        image = icon("undo").pixmap(32, 32, mode).toImage().convertToFormat(QImage.Format.Format_RGBA8888)
        rgba = np.frombuffer(image.constBits(), np.uint8).reshape(32, image.bytesPerLine() // 4, 4)[:, :32]
        drawn = rgba[..., 3] > 0
        background = np.array(QApplication.palette().color(QPalette.ColorRole.Window).getRgb()[:3], float)
        alpha = rgba[..., 3:4][drawn] / 255.0
        shown = rgba[..., :3][drawn] / np.maximum(alpha, 1e-6) * alpha + background * (1 - alpha)
        return float(np.abs(shown - background).sum(-1).mean())  # distance from the toolbar's colour

    enabled, disabled = ink(QIcon.Mode.Normal), ink(QIcon.Mode.Disabled)
    assert disabled < 0.6 * enabled, (theme, enabled, disabled)


@pytest.mark.parametrize("fill", [(20, 24, 40), (30, 28, 29), (0, 0, 0)])
def test_a_dark_swatch_in_the_instances_list_has_a_border_that_stands_out(qtbot, theme, fill):
    """A QA hand test in the dark theme: the Instances list's swatches of dark garments were
    near-invisible, their mid-grey border a dim ring (#737373 on #1e1e1e). The border is the
    palette's text colour now: strong against the list in either theme."""
    from PySide6.QtWidgets import QTreeWidget

    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.instances.model import Instance
    from fashion_annotator.instances.schema import load_instance_taxonomy
    from fashion_annotator.ui.annotate.instance_rows import instance_item

    tree = QTreeWidget()
    qtbot.addWidget(tree)
    item = instance_item(Instance(1, 3, "coat", colour="black", colour_rgb=fill), load_instance_taxonomy(),
                         "parsing7", load_taxonomy("parsing7").names)  # fmt: skip
    tree.addTopLevelItem(item)
    base = tree.palette().color(QPalette.ColorRole.Base)
    image = QImage(18, 18, QImage.Format.Format_RGB888)
    image.fill(base)
    painter = QPainter(image)
    painter.drawPixmap(0, 0, item.icon(0).pixmap(18, 18))
    painter.end()
    edge = _pixels(image)[4:14, 0:5]  # across the left side of the rounded square
    back = np.array(base.getRgb()[:3])
    assert np.abs(edge - back).sum(-1).max() >= 400, f"{theme}: border {edge.tolist()} on {back.tolist()}"
