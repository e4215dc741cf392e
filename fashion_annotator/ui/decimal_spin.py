"""A spin box of decimal numbers that takes a typed ``.`` or ``,`` as the decimal point.

Qt reads a typed number in the user's locale: under ``de_DE`` or ``tr_TR`` the ``.`` of
``0.5`` is a group separator: the export's polygon tolerance typed ``0.5`` became 5 px, the
Review outlier rule's ``k = 1.5`` became 15, without a word.
"""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


class DecimalSpinBox(QDoubleSpinBox):
    """:class:`QDoubleSpinBox` whose typed ``.`` and ``,`` are both the decimal point (shown
    and read in the locale's own). Its values stay below a thousand: no group separators."""

    def _local(self, text: str) -> str:
        """``text`` with either decimal point written as the locale's."""
        point = self.locale().decimalPoint()
        return text.replace("," if point == "." else ".", point)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        """Qt's validation of ``text`` with its decimal point made the locale's."""
        return super().validate(self._local(text), pos)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        """The number ``text`` gives, whichever decimal point it was typed with."""
        return super().valueFromText(self._local(text))
