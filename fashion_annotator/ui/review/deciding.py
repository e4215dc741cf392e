"""The Review tab's decisions (Approve, Reject) and its reads from a button, a key or a box,
with what the tab says when the project's store does not answer.

:class:`Deciding` is a mixin of :class:`~fashion_annotator.ui.review.view.ReviewView`, which
owns the widgets and the rows. A QA hand test with a team project's server stopped: Refresh,
Approve and Reject raised ProjectError out of their slots (crash dialogs stacked); the tab now
says what was not done and why in its banner, and the buttons work again once the server answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fashion_annotator.dataset.leases import LeaseHeld, holder_tip, person
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa import decisions
from fashion_annotator.ui.review.decision_panel import confirm_own_approval
from fashion_annotator.ui.review.table import ROW_ROLE
from fashion_annotator.ui.store_away import no_answer

if TYPE_CHECKING:
    from fashion_annotator.qa.scores import ImageScore
    from fashion_annotator.ui.annotate.banner import Banner


class Deciding:
    """Approve, Reject and the guarded reads of the Review tab (a mixin of ``ReviewView``)."""

    if TYPE_CHECKING:
        project: Any
        task: str
        table: Any
        proxy: Any
        model: Any
        reason: Any
        reason_text: Any
        decisionRecorded: Any  # Signal(int, str)
        _settling: Any
        #: The tab's strip for what the store did not let it do (hidden while all is well).
        away: Banner

        def refresh(self) -> None: ...
        def selected_row(self) -> ImageScore | None: ...
        def select_image(self, image_id: int) -> bool: ...
        def _reread(self, row: ImageScore) -> ImageScore: ...
        def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None: ...

    #: Whether the banner shows what a decision did not do: the next decision made clears it,
    #: never another notice ("Not refreshed": a decision that went through hid it).
    _decision_notice = False

    def say_away(self, what: str, exc: ProjectError, decision: bool = False) -> None:
        """Show in the tab's banner that ``what`` was not done because the store did not answer
        (``decision``: a decision's, cleared by the next decision made)."""
        self.away.show_lines([f"{what}: {no_answer(self.project, exc)}. The table shows what was read "
                              "before; Refresh (F5) once the project answers again."])  # fmt: skip
        self._decision_notice = decision

    def refresh_shown(self) -> bool:
        """:meth:`refresh` asked for by the reviewer (Refresh, F5, another task or reference) or
        by a scoring that ended: False, said in the tab's banner, when the store does not answer."""
        try:
            self.refresh()
        except ProjectError as exc:
            self.say_away("Not refreshed", exc)
            return False
        self.away.show_lines([])
        self._decision_notice = False
        return True

    def approve_selected(self) -> bool:
        """Approve the selected image's mask and move to the next row (a mask already approved
        is not approved again: the history filled with repeats; one saved again since the table
        read it is refused as stale, not passed over as approved); approving one's own work
        asks first (:func:`~.decision_panel.confirm_own_approval`)."""
        row = self.selected_row()
        if row is not None and row.decision != "approve" and not confirm_own_approval(self._widget(), row, self.project.user):
            return False

        def approve(r: ImageScore):
            current = r.decision == "approve" and decisions.current_decision(self.project, r.image_id, self.task)
            if current and current.decision == "approve":
                return None
            return decisions.approve(self.project, r.image_id, self.task, seen_version=r.versions)

        return self._decide(approve, "Not approved")

    def reject_selected(self) -> bool:
        """Reject with the chosen reason and text, then move to the next row; refused for want of
        a reason, the reason box gets the keyboard (and comes into sight on a short screen)."""
        reason, text = self.reason.currentData(), self.reason_text.text()
        decided = self._decide(
            lambda r: decisions.reject(self.project, r.image_id, self.task, reason, text, seen_version=r.versions),
            "Not rejected",
        )
        if not decided and reason is None and self.selected_row() is not None:
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
        return decided

    def _clicked(self, decide) -> bool:
        """A click of Approve or Reject, unless it is the second click of a double-click that
        lands on the row the first one moved to (the A and R keys do not repeat when held)."""
        return False if self._settling.isActive() else decide()

    def _decide(self, record, refused: str) -> bool:
        """Record ``record(row)`` for the selected row and move on to the row below; ``refused``
        begins the banner's line when the store does not answer (the row stays selected)."""
        index = self.table.selectionModel().currentIndex()
        row = self.selected_row()
        if row is None:
            return False
        below = self.proxy.index(index.row() + 1, 0)
        next_id = below.data(ROW_ROLE).image_id if below.isValid() else None
        try:
            decision = record(row)
        except ValueError as exc:
            QMessageBox.warning(self._widget(), "Decision not recorded", str(exc))
            return False
        except ProjectError as exc:  # the server away, the index locked or read-only
            self.say_away(f"{refused}: {row.name}", exc, decision=True)
            return False
        except LeaseHeld as held:  # the operator's next save would bury the decision
            box = QMessageBox(QMessageBox.Icon.Warning, "Decision not recorded",
                              f"{person(held.holder)} is editing {row.name}; decide once they are done.",
                              parent=self._widget())  # fmt: skip
            box.setToolTip(holder_tip(held.holder))
            box.exec()
            return False
        if self._decision_notice:  # this path's notice only ("Not refreshed" stays until a refresh)
            self.away.show_lines([])
            self._decision_notice = False
        if decision is not None:
            if decision.decision == "reject":  # an approve keeps text typed for a reject not made
                self.reason_text.clear()  # and the next reject chooses its own reason
                self.reason.setCurrentIndex(-1)
            try:
                self.model.replace_row(self.proxy.mapToSource(index).row(), self._reread(row))
            except ProjectError as exc:  # recorded, then the store went away: the row as it was
                self.say_away(f"{row.name}: recorded, but its row was not read again", exc, decision=True)
            self.decisionRecorded.emit(row.image_id, decision.decision)
        # Move on to the row that was below, wherever the decision re-sorted or filtered it.
        if next_id is None or not self.select_image(next_id):
            self.select_image(row.image_id)
            self._row_changed(self.table.selectionModel().currentIndex(), QModelIndex())
        self._settling.start(QApplication.doubleClickInterval())
        return True

    def _widget(self) -> QWidget:
        """This view as the parent of its warnings."""
        assert isinstance(self, QWidget)
        return self
