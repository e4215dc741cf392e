"""The Review tab's decision panel: Approve, the reject reason and its Why text, Open.

Built onto the :class:`~fashion_annotator.ui.review.view.ReviewView` (its widgets are the view's
attributes); every control is reached by Tab from the results table, and Alt+J (the
"Re&ject:" label) gives the reason box the keyboard from anywhere in the tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fashion_annotator.dataset.records import DecisionRecord
from fashion_annotator.qa import decisions
from fashion_annotator.qa.scores import ImageScore
from fashion_annotator.ui import prompts
from fashion_annotator.ui.review.table import show_decisions_whole

if TYPE_CHECKING:
    from fashion_annotator.ui.review.view import ReviewView

REJECT_LABEL = "Re&ject:"
"""The reason box's label; its mnemonic (Alt+J) is free in the window's menus and panels."""
#: The closed reason box's width, in widest characters.
REASON_BOX_CHARS = 12


def build_decision_panel(view: ReviewView) -> QGroupBox:
    """Make the decision panel of ``view`` and set its widgets as ``view``'s attributes; the
    table's Decision column shows the decisions readably (:func:`.table.show_decisions_whole`).

    Parameters
    ----------
    view : ReviewView
        The review whose selected row the buttons decide.

    Returns
    -------
    QGroupBox
        The panel, for the view's layout.
    """
    show_decisions_whole(view.table)  # elided at its end; too narrow: every reject's label alone
    box = QGroupBox("Decision")
    form = QFormLayout(box)
    view.approve_button = QPushButton("Approve (A)")
    view.approve_button.clicked.connect(lambda: view._clicked(view.approve_selected))  # noqa: SLF001
    view.reason = QComboBox()
    for key, label in decisions.REASONS.items():
        view.reason.addItem(label, key)
        view.reason.setItemData(view.reason.count() - 1, _reason_tip(key), Qt.ItemDataRole.ToolTipRole)
    # the operator's kinds of bad ground truth, then the report's categories
    view.reason.insertSeparator(len(decisions.OPERATOR_REASONS))
    # about as wide as "Bad ground truth" (the open list shows the longer labels in full, the
    # closed box's tooltip the chosen one): "Extra area (background, mannequin)" widened the
    # panel and pushed the table's Decision column out of sight
    view.reason.setMinimumContentsLength(REASON_BOX_CHARS)
    view.reason.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    view.reason.currentTextChanged.connect(view.reason.setToolTip)
    # no category until the reviewer picks one: a reject with only a Why text typed went
    # out as the first category, "Bad ground truth", which nobody chose
    view.reason.setPlaceholderText("Reason…")
    view.reason.setCurrentIndex(-1)
    view.reason.setAccessibleName("Reject reason")
    view.reason_text = QLineEdit(placeholderText="Why (shown to the operator)")
    view.reason_text.setAccessibleName("Why the mask is rejected (shown to the operator)")
    # The image shown while the reason was typed or chosen (the field outlives an Approve and a
    # change of row): what closing with the reason unsent names.
    view.reason_for = ""
    view.reason_text.textEdited.connect(lambda _text: _note_reason_for(view))
    view.reason.activated.connect(lambda _index: _note_reason_for(view))
    view.reject_button = QPushButton("Reject (R)")
    view.reject_button.clicked.connect(lambda: view._clicked(view.reject_selected))  # noqa: SLF001
    view.open_button = QPushButton("Open in annotation view (Enter)")
    view.open_button.clicked.connect(view.open_selected)
    row = QHBoxLayout()
    row.addWidget(view.approve_button)
    row.addWidget(view.open_button)
    form.addRow(row)
    reject_row = QHBoxLayout()
    reject_row.addWidget(view.reason)
    reject_row.addWidget(view.reason_text, 1)
    reject_row.addWidget(view.reject_button)
    reject_label = QLabel(REJECT_LABEL)
    reject_label.setBuddy(view.reason)
    form.addRow(reject_label, reject_row)
    view.history = QLabel()
    view.history.setWordWrap(True)
    view.history.setTextFormat(Qt.TextFormat.PlainText)  # a reviewer's "<h1>..." stays text
    form.addRow("History:", view.history)
    return box


def confirm_own_approval(view: QWidget, row: ImageScore | None, user: str) -> bool:
    """Whether the approval of ``row`` by ``user`` (the project's user name: the reviewer) may
    go ahead: when ``user`` saved the mask's latest version (``row.operator``: a person's work
    only, an import's reads "name (import)"), the reviewer is asked first
    (:func:`~fashion_annotator.ui.prompts.ask_approve_own_work`, No the default); an operator
    approved a mask he had fixed himself unwarned (a QA hand test). The command line and
    :func:`~fashion_annotator.qa.decisions.approve` do not ask."""
    return row is None or row.operator != user or prompts.ask_approve_own_work(view, row.name)


def _reason_tip(key: str) -> str:
    """The tooltip of the reason box's item ``key``: how the QA report counts it."""
    category = decisions.reason_category(key)
    if category != key:
        return f"What the operator missed; counts as {decisions.CATEGORIES[category]} in the QA report"
    return "A category of the QA report's reject counts"


def history_text(records: Sequence[DecisionRecord], shown: int | None = None) -> str:
    """The History line of an image's decisions ``records`` on a task (the last three), each
    naming the version it was made on, after the version ``shown`` when given:
    ``"v2 shown; v1 rejected (Missed area) by bob: sleeve lost"``."""
    lines = [] if shown is None else [f"v{shown} shown"]
    if not records:
        return "; ".join([*lines, "no decision yet"])
    for d in records[-3:]:
        reason = decisions.reason_label(d.reason)
        what = "approved" if d.decision == "approve" else f"rejected ({reason})"
        on = f"v{d.mask_version} " if d.mask_version else ""  # the version it was made on
        note = f": {d.text}" if d.text else ""
        lines.append(f"{on}{what} by {d.user}{note}")
    return "; ".join(lines)


_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class BoxLetters(QObject):
    """Keeps the Review tab's keys off what is typed into its drop-down boxes, k field and
    Filter by name.

    A closed box picks the item whose name starts with the letters typed ("r": Rare garment,
    Rejected), but the tab's R (reject) and A (approve) took them first: a reviewer who chose
    Low contrast and then typed "r" for Rare garment rejected the mask as Low contrast, and
    "a" typed into the status filter for Approved approved the selected mask. Enter there
    opened the selected image in the Annotate tab (in Filter by name too, where Esc went to
    the table); it now gives the table the keyboard (in the reason box Enter rejects,
    :meth:`.ReviewView.open_selected`).
    """

    def __init__(self, view: ReviewView) -> None:
        super().__init__(view)
        self.view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not isinstance(event, QKeyEvent):
            return False
        enter = event.key() in _ENTER and watched is not self.view.reason
        if event.type() == QEvent.Type.ShortcutOverride and (
            enter
            or (
                not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
                and event.text().isprintable()
                and bool(event.text().strip())
            )
        ):
            event.accept()  # the key is the box's, not a shortcut's
            return True
        if event.type() == QEvent.Type.KeyPress and enter:
            self.view.table.setFocus(Qt.FocusReason.OtherFocusReason)  # the value is applied
            return True
        return False


def keep_letters_in_boxes(view: ReviewView) -> None:
    """Give every drop-down box of ``view``, its k field and Filter by name the keys typed
    into them (:class:`BoxLetters`)."""
    letters = BoxLetters(view)
    for box in [*view.findChildren(QComboBox), view.k_spin, view.search]:
        box.installEventFilter(letters)


def _note_reason_for(view: ReviewView) -> None:
    """Remember the image ``view`` shows as the one the reject reason is being given for."""
    row = view.selected_row()
    view.reason_for = row.name if row is not None else ""
