"""A disabled tool-bar icon is grey all over: the green check of "Accept proposal and next"
and the green plus of Smart click stayed green while disabled (in the Review tab, where they
do nothing), and looked as clickable as before."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QIcon, QImage

from fashion_annotator.ui.icons import icon


def _saturation(name: str, mode: QIcon.Mode) -> float:
    """The largest colour saturation (max - min channel) among the icon's drawn pixels."""
    image = icon(name).pixmap(32, 32, mode).toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    rgba = np.frombuffer(image.constBits(), np.uint8).reshape(32, image.bytesPerLine() // 4, 4)[:, :32]
    drawn = rgba[..., 3] > 40
    rgb = rgba[..., :3][drawn].astype(int)
    return float((rgb.max(-1) - rgb.min(-1)).max())


@pytest.mark.parametrize("name", ["accept", "smartclick", "review"])
def test_a_disabled_accent_icon_is_grey(qapp, name: str) -> None:
    assert _saturation(name, QIcon.Mode.Normal) > 60, "the enabled icon has its green accent"
    assert _saturation(name, QIcon.Mode.Disabled) < 25
