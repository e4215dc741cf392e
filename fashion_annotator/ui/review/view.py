"""The QA review view: find the worst masks, inspect their agreement, approve or reject them.

Hosted by the main window as its Review tab. Left: the table of scored images (worst first,
outliers tinted), the score histogram with the outlier threshold, summary statistics and
throughput, the instance panel below them. Right, from the bar to the tab's bottom edge: the
selected photo's agreement overlay (or side by side) and the decision panel under it, in sight
without scrolling in a 1280x720 window. Keyboard: A approves, R rejects with the chosen reason, Enter opens the image in the
annotation view; after a decision the next row is selected.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import status_name
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import DecisionRecord, ImageRecord, MaskVersion, ProjectError
from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.qa import decisions
from fashion_annotator.qa.scores import (
    MODEL,
    ImageScore,
    ScoreMemo,
    metric_name,
    saved_by,
    score_project,
    shown_proposal,
    worst_first,
)
from fashion_annotator.qa.since_reject import NO_REJECT, REJECTED, rejected_mask, score_since_reject
from fashion_annotator.qa.stats import DEFAULT_K, outlier_mask, summarize
from fashion_annotator.qa.throughput import throughput
from fashion_annotator.ui.annotate.banner import Banner
from fashion_annotator.ui.decimal_spin import DecimalSpinBox
from fashion_annotator.ui.review.background import BackgroundScoring
from fashion_annotator.ui.review.changed import refresh_key, reread_rows
from fashion_annotator.ui.review.deciding import Deciding
from fashion_annotator.ui.review.decision_panel import (
    build_decision_panel,
    history_text,
    keep_letters_in_boxes,
)
from fashion_annotator.ui.review.export import default_export_path, export_review
from fashion_annotator.ui.review.figures import build_figures
from fashion_annotator.ui.review.histogram import ScoreHistogram
from fashion_annotator.ui.review.image import AgreementViewer
from fashion_annotator.ui.review.mask_checks import MaskChecks
from fashion_annotator.ui.review.name_column import cap_name_column
from fashion_annotator.ui.review.rescore import RescoreThread, ScoreThread
from fashion_annotator.ui.review.summary import summary_html, throughput_html, unscored_html
from fashion_annotator.ui.review.table import ROW_ROLE, SCORE_COLUMN, ScoreFilter, ScoreTableModel
from fashion_annotator.ui.review.wrapping_bar import WrappingBar
from fashion_annotator.ui.search_field import SearchField
from fashion_annotator.ui.store_away import no_answer

__all__ = ["ReviewView"]

BACKGROUND_SCORING = 200
"""Projects with more images are scored in a background thread at the Review tab's first visit."""

STATUS_FILTERS = (("Any status", None), ("Done", "done"), ("Approved", "approved"),
                  ("Rejected", "rejected"), ("In progress", "in_progress"))  # fmt: skip


REVIEW_KEYS = (
    ("A", "Approve the selected mask"),
    ("R", "Reject the selected mask with the chosen reason"),
    ("Return", "Open the selected image in the annotation view (in the reason box or field: reject)"),
    ("F5", "Refresh: read colleagues' saves and decisions again"),
    ("Alt+J", "The reject reason box (then Tab: the Why text, Reject)"),
)
"""The Review tab's keys, listed by F1 and kept out of the window's other shortcuts (Alt+J is
the mnemonic of the reason box's label, :data:`~.decision_panel.REJECT_LABEL`)."""

#: Rows the table's header measures for its column widths (the rows in sight first).
SIZE_SAMPLE_ROWS = 40


class ReviewView(Deciding, BackgroundScoring, QWidget):
    """Review of one task of ``project`` (a :class:`~fashion_annotator.dataset.store.Project`).

    Signals
    -------
    openImageRequested(int)
        The reviewer wants the image opened in the annotation view.
    decisionRecorded(int, str)
        ``image_id, decision`` after an approve or reject was stored.
    exported(str)
        A line for the status bar once a CSV or HTML export is written.
    refreshed(list, bool)
        Each :meth:`refresh` (F5, a visit of the tab) and :meth:`refresh_images` (the poll after
        another session's commit), with the image records it read and whether they are every
        image: the instance panel below reads again the figures of those that changed.
    """

    openImageRequested = Signal(int)
    decisionRecorded = Signal(int, str)
    exported = Signal(str)
    refreshed = Signal(object, bool)
    approve_button: QPushButton
    reject_button: QPushButton
    open_button: QPushButton
    reason: QComboBox
    """The reject reason category (none chosen until the reviewer picks one)."""
    reason_text: QLineEdit
    reason_for: str
    history: QLabel
    """The decision panel's widgets (:func:`~.decision_panel.build_decision_panel`)."""
    histogram: ScoreHistogram
    summary: QLabel
    throughput: QLabel
    """The figures pane's widgets (:func:`~.figures.build_figures`)."""

    def __init__(self, project: ProjectStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.task = project.tasks[0]
        self.rescore_thread: RescoreThread | None = None
        self.score_thread: ScoreThread | None = None
        self.mask_checks = MaskChecks(self)  # images whose cutout and parsing masks disagree
        self._scored_tasks: set[str] = set()  # tasks whose masks are in the memo
        # Per task: rows scored against the current model, and the cache key of its masks.
        self._model_rows: dict[str, tuple[list[ImageScore], str, str]] = {}
        self._scores: ScoreMemo = {}  # a saved mask is scored again only when it changed
        self._refreshed_key: tuple | None = None  # what the last refresh read (show_again)
        #: The image list the constructor's refresh read, kept for the first visit's
        #: ``refreshed`` (the instance panel, attached since): not read again.
        self._unsent: list[ImageRecord] | None = None
        self._records: list[ImageRecord] = []  # the image list the last refresh read
        #: Per task, each image's mask versions as the last refresh read them (None: none did).
        self.saved_versions: dict[str, dict[int, list[MaskVersion]]] | None = None
        # Runs for a double-click's interval after a decision moved to the next row: the second
        # click of a double-clicked Approve approved that row, shown for 80 ms (a hand test).
        self._settling = QTimer(self)
        self._settling.setSingleShot(True)
        self._build()
        self.refresh()  # the first visit reads nothing again (it read all twice)
        self._unsent = self._records

    # -- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.model = ScoreTableModel(self)
        self.proxy = ScoreFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the decision (it stayed in the rows)
        self.table.setAccessibleName("Scored masks")
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Widths from the rows in sight and a sample beyond: measuring every cell (Qt's default,
        # up to 1000 rows) froze the window for 0.4-2 s at each refresh, sort and decision of a
        # 700-mask project (a scale test).
        header.setResizeContentsPrecision(SIZE_SAMPLE_ROWS)
        header.setStretchLastSection(True)
        cap_name_column(self.table)
        self.table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _: self.open_selected())

        self.task_combo = QComboBox()
        for name in self.project.tasks:
            self.task_combo.addItem(task_title(name), name)
        self.task_combo.setVisible(len(self.project.tasks) > 1)
        self.task_combo.setAccessibleName("Task reviewed")
        self.task_combo.currentIndexChanged.connect(lambda _: self.set_task(self.task_combo.currentData()))
        self.search = SearchField(self.table)
        self.search.setPlaceholderText("Filter by name")
        self.search.setAccessibleName("Filter the scored masks by name")
        self.search.textChanged.connect(self.proxy.set_text)
        self.status_filter = QComboBox()
        for text, status in STATUS_FILTERS:
            self.status_filter.addItem(text, status)
        self.status_filter.setToolTip("Done, In progress: the image's status. Approved, Rejected: "
                                      "the Decision column, this task's mask")
        self.status_filter.currentIndexChanged.connect(
            lambda _: self.proxy.set_status(self.status_filter.currentData())
        )
        self.outliers_only = QCheckBox("Outliers only")
        self.outliers_only.toggled.connect(self.proxy.set_outliers_only)
        self.k_spin = DecimalSpinBox(decimals=1, minimum=0.0, maximum=20.0, singleStep=0.5)
        self.k_spin.setValue(DEFAULT_K)
        self.k_spin.setPrefix("k = ")
        self.k_spin.setToolTip("Outlier rule: score below median - k x MAD")
        self.k_spin.valueChanged.connect(lambda _: self._show_rows(self.model.rows(), reread=False))
        self.reference = QComboBox()
        self.reference.addItem("vs proposal shown", "proposal")
        self.reference.addItem("vs current model", MODEL)
        self.reference.addItem("vs version QA rejected", REJECTED)
        self.reference.setItemData(2, "Each photo's current mask against the version QA last rejected: "
                                   "what changed since the reject", Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.reference.setAccessibleName("Compare the masks with")
        self.reference.currentIndexChanged.connect(lambda _: self.refresh_shown())
        self.rescore_button = QPushButton("Re-score with current model")
        self.rescore_button.clicked.connect(self.start_rescore)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(180)
        csv_button = QPushButton("Export CSV...")
        csv_button.clicked.connect(lambda: self._export("csv"))
        html_button = QPushButton("HTML report...")
        html_button.clicked.connect(lambda: self._export("html"))

        refresh_button = QPushButton("Refresh (F5)")
        refresh_button.setToolTip("Read colleagues' saves and decisions again (on a project "
                                  "folder the tab also does so by itself every 15 s)")  # fmt: skip
        refresh_button.clicked.connect(self.refresh_shown)
        bar = WrappingBar([self.task_combo, self.search, self.status_filter, self.outliers_only, self.k_spin,
                           self.reference], [self.rescore_button, self.progress, refresh_button],
                          [csv_button, html_button])  # fmt: skip

        stats = build_figures(self)  # the histogram, summary and throughput
        # The lists and figures on the left (the instance panel below them: instances.attach);
        # the photo and the decision on the right, from the bar to the tab's bottom edge.
        self.lists = QSplitter(Qt.Orientation.Vertical)
        self.lists.setChildrenCollapsible(False)
        self.lists.addWidget(self.table)
        self.lists.addWidget(stats)
        self.lists.setStretchFactor(0, 3)
        self.lists.setStretchFactor(1, 2)

        self.viewer = AgreementViewer()
        right = QWidget()
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        right_col.addWidget(self.title)
        right_col.addWidget(self.viewer, 1)
        right_col.addWidget(build_decision_panel(self))

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.lists)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.addWidget(bar)
        self.away = Banner()  # what the store did not let the tab do (Deciding.say_away)
        layout.addWidget(self.away)
        layout.addWidget(split, 1)

        slots = {"A": self.approve_selected, "R": self.reject_selected,
                 "Return": self.open_selected, "F5": self.refresh_shown}  # fmt: skip
        for key in slots:  # Alt+J: the label's mnemonic
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setAutoRepeat(False)  # a held A approved a row every 30 ms, unseen
            shortcut.activated.connect(slots[key])
        keep_letters_in_boxes(self)  # "r" typed into a box picks an item, never rejects

    # -- data --------------------------------------------------------------------------------

    def set_task(self, task: str) -> None:
        """Review another of the project's tasks."""
        self.project.taxonomy(task)
        if task == self.task and self.model.rowCount():
            return
        self.task = task
        blocker = QSignalBlocker(self.task_combo)
        self.task_combo.setCurrentIndex(self.task_combo.findData(task))
        del blocker
        self.refresh_shown()

    @property
    def metric_title(self) -> str:
        return metric_name(self.project.taxonomy(self.task))

    @property
    def k(self) -> float:
        return float(self.k_spin.value())

    def refresh(self) -> None:
        """Re-read scores, statuses and decisions from the project, keeping the selection.

        A project of more than :data:`BACKGROUND_SCORING` images is scored in a thread the
        first time a task is shown (the table fills when it ends); every later refresh scores
        only the masks saved since (the memo). The image list is read once, and the mask
        versions once per task (scores and throughput share them), whatever the images.

        What it read is remembered (:func:`~.changed.refresh_key`, taken before the reads: a
        commit meanwhile is read at the next visit): the visit after F5 read every row again.
        """
        key = refresh_key(self)
        self._refreshed_key = None  # a read that fails is made again at the next visit
        self._read_rows()
        self._refreshed_key = key

    def _read_rows(self) -> None:
        """Read the rows (:meth:`refresh`)."""
        records = self.project.images(fetch_photos=False)  # a photo is copied when it is shown
        statuses = {r.id: r.status for r in records}
        self._records, self._unsent = records, None
        self.refreshed.emit(records, True)
        use_model = self.reference.currentData() == MODEL and self.task in self._model_rows
        saved = None
        if use_model:
            saved = {t: self.project.mask_versions_of_task(t) for t in self.project.tasks}
            decided = decisions.last_decisions(self.project, self.task)
            rows = [self._reread(r, (saved[self.task].get(r.image_id, []), decided.get(r.image_id),
                                     statuses[r.image_id])) for r in self._model_rows[self.task][0]]  # fmt: skip
        elif self.reference.currentData() == MODEL:  # never the proposal scores under this label
            self._show_rows([])
            self.summary.setText(
                "Not scored against the current model in this window yet: Re-score with current "
                "model (predictions an earlier re-score of this model kept are reused)."
            )
            return
        elif self.reference.currentData() == REJECTED:  # only rejected images' masks are read
            saved = {t: self.project.mask_versions_of_task(t) for t in self.project.tasks}
            rows = score_since_reject(self.project, self.task, records=records, saved=saved[self.task])
        elif self.score_thread is not None or (
            self.task not in self._scored_tasks and len(records) > BACKGROUND_SCORING
        ):
            self._score_in_background()  # the first visit of a large project: no frozen window
            return
        else:
            saved = {t: self.project.mask_versions_of_task(t) for t in self.project.tasks}
            rows = score_project(self.project, self.task, memo=self._scores, records=records,
                                 saved=saved[self.task])  # fmt: skip
            self._scored_tasks.add(self.task)
        self.saved_versions = saved
        self._show_rows(rows, saved=saved)

    def show_again(self) -> None:
        """The tab is shown again: :meth:`refresh` unless nothing was committed to the project
        since the last refresh read the rows (:func:`~.changed.refresh_key`; the constructor's
        too: the first visit read everything twice): each visit re-read all 704 rows of a scale
        test, 1-2.8 s of a frozen window. Nothing either while the first scoring runs: the
        rows are read again when it ends. ``refreshed`` gives what was attached since the
        constructor (the instance panel) the image list it read."""
        if self.score_thread is None:
            key = refresh_key(self)
            if key is None or key != self._refreshed_key:
                self.refresh()
        if self._unsent is not None:
            records, self._unsent = self._unsent, None
            self.refreshed.emit(records, True)

    def refresh_images(self, image_ids: list[int] | None, token: tuple[int, int] | None = None) -> None:
        """Re-read the rows of ``image_ids`` only (the poll: another session changed them),
        keeping the selection; every row when None or when only a full :meth:`refresh` can
        (:func:`~.changed.reread_rows`).

        ``token``: the :meth:`~fashion_annotator.dataset.api.ProjectStore.change_token` the poll
        listed ``image_ids`` since. When the store still gives it and the rows were whole
        before, what was read is remembered as a refresh's is (:func:`~.changed.refresh_key`):
        the next visit of the tab read every row again."""
        whole = self._refreshed_key is not None
        try:
            key = refresh_key(self)
            self._refreshed_key = None  # a read that fails is made again at the next visit
            rows = None if image_ids is None else reread_rows(self, image_ids)
        except ProjectError as exc:  # the poll's read went through, then the store went away
            self.say_away("Not refreshed", exc)
            return
        if rows is None:
            self.refresh_shown()
            return
        self._show_rows(rows, saved=self.saved_versions)
        if whole and key is not None and token is not None and key[0] == token:
            self._refreshed_key = key

    def _reread(self, row: ImageScore, known: tuple[list[MaskVersion], DecisionRecord | None, str] | None = None,
                ) -> ImageScore:  # fmt: skip
        """``row`` with the image's status and latest decision read again; a mask saved since
        the row was scored (a "vs current model" row: the re-score is not redone at each
        refresh) leaves it unscored until the next re-score, with the version it now has (the
        old score stayed shown, and each decision was refused as made on an older version).
        ``known``: the image's versions, latest decision and status, when a refresh read them
        for every image at once."""
        if known is not None:
            return self._updated(row, *known)
        versions = self.project.mask_versions(row.image_id, self.task)
        last = self.project.decisions.last(row.image_id, self.task)
        return self._updated(row, versions, last, self.project.image(row.image_id).status)

    def _updated(self, row: ImageScore, versions: list[MaskVersion], last_decision: DecisionRecord | None,
                 status: str) -> ImageScore:  # fmt: skip
        if len(versions) != row.versions and versions:
            latest = versions[-1]
            row = replace(row, versions=len(versions), saved_at=latest.created, score=float("nan"), **saved_by(versions),
                          pixel_accuracy=float("nan"), per_class_iou=None,
                          problem=f"version {latest.version} ({latest.user}) saved since this score: re-score to compare it")  # fmt: skip
        last = decisions.decision_on_latest(last_decision, versions)
        return replace(
            row,
            status=status,
            decision=None if last is None else last.decision,
            reason=None if last is None else last.reason,
            reason_text="" if last is None else last.text,
        )

    def _show_rows(self, rows: list[ImageScore], reread: bool = True, saved: dict | None = None) -> None:
        """Show ``rows``, the selected image selected again; ``reread=False`` (only k changed)
        keeps the throughput table, which reads every saved version (``saved``: those a refresh
        read, per task). An image no longer in sight leaves the picture and the decision empty
        (they kept its old mask and decision, with Approve and Reject doing nothing)."""
        selected = self.selected_row()
        rows = worst_first(rows)
        values = [r.score for r in rows]
        summary = summarize(values, self.k)
        self.model.set_rows(rows, outlier_mask(values, self.k), self.metric_title, summary.threshold)
        self.mask_checks.update(rows, retry=reread)  # a comparison that failed: again at a refresh
        self.table.sortByColumn(*self._sort_state())
        if selected is None or not self.select_image(selected.image_id):
            self._row_changed(QModelIndex(), QModelIndex())
        self.histogram.set_values(values, summary.threshold, self.metric_title)
        text = summary_html(summary, self.metric_title, rejected=self.reference.currentData() == REJECTED)
        self.summary.setText(text + unscored_html(rows))
        if reread:
            self.throughput.setText(throughput_html(throughput(self.project, [self.task], saved)))

    def _sort_state(self) -> tuple[int, Qt.SortOrder]:
        header = self.table.horizontalHeader()
        return header.sortIndicatorSection(), header.sortIndicatorOrder()

    # -- selection ---------------------------------------------------------------------------

    def selected_row(self) -> ImageScore | None:
        index = self.table.selectionModel().currentIndex()
        return None if not index.isValid() else index.data(ROW_ROLE)

    def select_proxy_row(self, row: int) -> None:
        """Select the ``row``-th visible row (in the table's current order)."""
        index = self.proxy.index(row, 0)
        if not index.isValid():
            return
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def select_image(self, image_id: int) -> bool:
        """Select the row of an image; False when it is not visible."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(ROW_ROLE).image_id == image_id:
                self.select_proxy_row(row)
                return True
        return False

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = None if not current.isValid() else current.data(ROW_ROLE)
        for button in (self.approve_button, self.reject_button, self.open_button):
            button.setEnabled(row is not None)
        if row is None:
            self.title.setText("")
            self.histogram.set_selected(math.nan)
            self.viewer.show_message("Select an image in the table.")
            self.history.setText("")
            return
        self.histogram.set_selected(row.score)
        score = "-" if not math.isfinite(row.score) else f"{row.score:.3f}"
        if row.reference == REJECTED:  # which versions the score compares, or why none
            score += f" ({html.escape(row.compared or row.unscored)})"
        self.title.setText(
            f"<b>{html.escape(row.name)}</b> &nbsp; {self.metric_title} {score} &nbsp; "
            f"{html.escape(row.operator)}, {row.effort_text}, {status_name(row.status).lower()}"
        )
        try:
            self.history.setText(history_text(self.project.decisions(row.image_id, self.task), self._shown_version(row)))
        except ProjectError as exc:
            self.history.setText(f"History not read: {no_answer(self.project, exc)}")
        self._show_picture(row)

    def _shown_version(self, row: ImageScore) -> int:
        """The number of the mask version ``row`` shows (its latest, as the refresh read it)."""
        versions = (self.saved_versions or {}).get(self.task, {}).get(row.image_id)
        return versions[-1].version if versions else row.versions

    def _show_picture(self, row: ImageScore) -> None:
        if row.problem:
            self.viewer.show_message(row.problem)
            return
        try:
            self._draw_picture(row)
        except (ValueError, OSError, ProjectError) as exc:  # a damaged or missing file
            self.viewer.show_message(f"{row.name}: {exc}")

    def _draw_picture(self, row: ImageScore) -> None:
        saved = self.project.load_mask(row.image_id, self.task)
        if row.reference == MODEL:
            key = self._model_rows[self.task][1]
            reference, name = self.project.cache.load(row.image_id, key), "Current model"
        elif row.reference == REJECTED:
            found = rejected_mask(self.project, row.image_id, self.task)
            reference, name = (None, "") if found is None else (found[0], f"Version {found[1]} (rejected)")
        else:
            reference = shown_proposal(self.project, row.image_id, self.task)
            name = "Proposal shown"
        if saved is None or reference is None:
            what = (row.unscored or NO_REJECT) if row.reference == REJECTED else "no model mask recorded"
            self.viewer.show_message(f"{row.name}: {what} to compare with.")
            return
        changed = referenced_photo_changed(self.project.image(row.image_id), Path(self.project.root))
        if changed:  # the masks were drawn on the photo as it was: never tinted over another one
            raise ProjectError(changed)
        rgb = self.project.load_photo(row.image_id).rgb
        colors = self.project.taxonomy(self.task).colors
        self.viewer.show_image(rgb, saved, reference, colors, name)

    def open_selected(self) -> None:
        """Open the selected image in the annotation view (Return); in the reason box or field, Return
        rejects (it left for the Annotate tab with the reason typed and nothing decided) and gives
        the table the keyboard, for A or R on the next row (they were typed into the field)."""
        if self.reason_text.hasFocus() or self.reason.hasFocus():
            if self.reject_selected():
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        row = self.selected_row()
        if row is not None:
            self.openImageRequested.emit(row.image_id)

    # -- export ------------------------------------------------------------------------------

    def default_export_path(self, kind: str) -> Path:
        """Where the export dialog starts (:func:`.export.default_export_path`)."""
        return default_export_path(self, kind)

    def _export(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", str(self.default_export_path(kind)))
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str) -> bool:
        """Write the table as CSV (``kind="csv"``) or the HTML report (``"html"``); False when
        it could not or was cancelled (:func:`.export.export_review`)."""
        return export_review(self, kind, path)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.mask_checks.stop()
        for thread in (self.rescore_thread, self.score_thread):
            if thread is not None:
                thread.cancel()
                thread.wait()
        super().closeEvent(event)
