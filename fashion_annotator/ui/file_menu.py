"""The File menu: open / recent / new projects, add photos, import masks, export.

Imports and exports run in a :class:`~.file_jobs.FileJob` thread with its own connection to the
project (SQLite connections stay in the thread that made them); the window shows their progress
in the status bar, with a Cancel button, and a summary when they end: its totals in the status bar, refused
files and notes behind the status bar's Details button (a box only for a job that stopped). The dialogs only
collect paths and options; :class:`FileActions` does the work, so tests drive it directly.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
from fashion_annotator.core.tasks import TaskSpec, available_tasks, task_title
from fashion_annotator.core.wording import EXPORT_WRITES
from fashion_annotator.dataset.display import project_title
from fashion_annotator.dataset.formats import (
    EXPORT_FORMATS,
    EXPORT_OPTIONS,
    IMPORT_FORMATS,
    SHAPE_KINDS,
    export_project,
    import_source,
)
from fashion_annotator.dataset.formats.common import PHOTO_SUFFIXES
from fashion_annotator.dataset.formats.empty_export import nothing_exported
from fashion_annotator.dataset.formats.export_stop import ExportStopped
from fashion_annotator.dataset.store import Project, ProjectError
from fashion_annotator.ui import shortcuts
from fashion_annotator.ui.annotate.status_bar import JOB
from fashion_annotator.ui.decimal_spin import DecimalSpinBox
from fashion_annotator.ui.export_folder import offer_free_folder
from fashion_annotator.ui.file_jobs import (
    Cancelled,
    FileJob,
    Report,
    Work,
    add_photo_files,
    cancelled_export,
    cancelled_import,
    status_line,
)
from fashion_annotator.ui.screen_fit import fit_on_show
from fashion_annotator.ui.task_picker import DEFAULT_TASKS, TaskPicker, add_tasks

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: Seconds between refills of the image list while a job adds photos or masks.
QUEUE_FILL_S = 2.0


class FileActions(QObject):
    """What the File menu does for one window; every job reports through the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.job: FileJob | None = None
        #: Every job started whose thread may still run (:meth:`shutdown` waits for each).
        self.jobs: list[FileJob] = []
        self._told = True  # the job's summary reached the window: its thread is only ending
        self.summaries: list[tuple[str, list[str]]] = []
        #: ``inform(title, lines, went_wrong)``: tells a job's summary (tests replace it).
        self.inform: Callable[[str, list[str], bool], None] = self._tell
        self._closed = False
        self._filled_at = 0.0  # when the queue was last refilled during a job (monotonic s)
        self._adds = True  # the running job adds images or masks
        self._box = True  # the running job's summary is told (:meth:`_tell`)

    # -- background work ------------------------------------------------------------------

    def start(
        self, title: str, work: Work, adds: bool = True, box: bool = True, cancelled: Cancelled = cancelled_import,
        save: bool = True,
    ) -> FileJob | None:  # fmt: skip
        """Run ``work`` in the background unless a job is running (then say so); ``adds``: it
        adds images or masks, so the image list is refilled as it goes and at its end (an
        export only reads); ``box``: its summary is told (:attr:`inform`: the status bar, its
        Details button, a box for a job that stopped), else only its first line in the status
        bar (nothing when it has no line: the check of a photo folder at each open); ``cancelled``:
        the summary when the status bar's Cancel stops it (:meth:`cancel`); ``save``: save the
        open image first (an export writes what is shown). The photos a window adds as it
        starts do not: the edits restored there from the recovery journal stay unsaved, as the
        restore question promises (they were saved at once, Undo taking nothing back)."""
        if self._closed:
            return None
        if self.job is not None and self.job.isRunning() and not self._told:
            self.window.status.showMessage(f"Still busy: {self.job.title}", 4000)
            return None
        if save:
            self.window.session.save()
        project = self.window.project
        self.job = FileJob(project.root, project.user, title, work, self, cancelled)
        self.jobs = [*(j for j in self.jobs if j.isRunning()), self.job]  # the last one's thread may still end
        self._adds, self._box = adds, box
        self.job.progressed.connect(self._progress)
        self.job.summarized.connect(self._finished)
        self._told = False
        self.window.status.set_busy(True, f"{title}…", JOB)
        self.window.status.show_details(None)  # the last job's: this one's summary comes
        self.window.status.show_cancel(self.cancel)
        self.job.start()
        return self.job

    def cancel(self) -> None:
        """Stop the running job after the file in hand (the status bar's Cancel): an import
        keeps what it saved, an export leaves a partial folder; its summary says which."""
        if self.job is not None and self.job.isRunning():
            self.job.cancel(by_operator=True)
            self.window.status.cancelling()

    def _progress(self, done: int, total: int) -> None:
        if self._closed:
            return
        title = self.job.title if self.job is not None else ""
        self.window.status.set_busy(True, f"{title}: {done} / {total}", JOB)
        if self._adds and time.monotonic() - self._filled_at >= QUEUE_FILL_S:  # photos can be opened as they come
            self._fill_queue()

    def _fill_queue(self) -> None:
        """Show what the job has saved so far, and open the first image when none is open (a
        folder opened for the first time showed "To do 0" until its last photo was added, then
        no image: a hand test)."""
        self._filled_at = time.monotonic()
        self.window.reload_queue()
        if self.window.session.current is None:
            records = self.window.queue.model.records()
            if records:
                self.window.open_image(records[0].id)

    def _finished(self, title: str, lines: list, went_wrong: bool) -> None:
        # a job started from here may find this one's thread still ending: not "Still busy"
        self._told = True
        if self._closed:  # delivered after the window shut down: logged by the job
            return
        self.window.status.set_busy(False, reason=JOB)
        self.window.status.show_cancel(None)
        if self._adds:
            self._fill_queue()
        self.summaries.append((title, list(lines)))
        if lines:
            log.info("%s in %s: %s", title, self.window.project.root, "; ".join(lines))
        if not self._box:
            if lines:
                self.window.status.showMessage(status_line(title, lines[0]), 20000)
            return
        self.window.status.showMessage(status_line(title, lines[0] if lines else "done"), 20000)
        self.inform(title, list(lines), went_wrong)

    def _tell(self, title: str, lines: list[str], went_wrong: bool) -> None:
        """A job's summary, its totals already in the status bar: the rest (refused files,
        notes) behind the status bar's Details button; a box only for a job that stopped
        without doing its work. A box for every job (22 photos added) stood in front of the
        photo at a folder's first opening: one more click, nothing to answer."""
        if lines and lines[0].startswith("Stopped"):
            self._show_summary(title, lines, went_wrong)
        elif len(lines) > 1 or went_wrong:
            tip = f"{title}: {lines[0] if lines else 'done'}; the whole summary (also in the log)"
            self.window.status.show_details(lambda: self._show_summary(title, lines, went_wrong), tip, went_wrong)

    def _show_summary(self, title: str, lines: list[str], went_wrong: bool) -> None:
        """A job's summary in a box that waits for no answer: the totals, the rest in its
        details; a warning only where something went wrong (every photo of a folder added used
        to end in a warning too)."""
        box = QMessageBox(self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per job: none pile up
        box.setWindowTitle(title)
        box.setText(lines[0] if lines else "Done")
        if len(lines) > 1:
            box.setDetailedText("\n".join(lines[1:]))
        box.setIcon(QMessageBox.Icon.Warning if went_wrong else QMessageBox.Icon.Information)
        box.setModal(False)
        box.show()

    def add_photos(self, files: list[Path], copy: bool = True) -> FileJob | None:
        """Add ``files`` to the project in the background (copied unless ``copy`` is False)."""
        files = [Path(f) for f in files]
        return self.start(
            "Add photos", lambda p, progress: add_photo_files(p, files, progress, copy)
        )

    def import_masks(self, src: Path, fmt: str, taxonomy: str | None = None) -> FileJob | None:
        """Import ``src`` in format ``fmt`` in the background.

        The open image is saved and closed first (its lease would refuse an imported mask)
        and opened again, with what was imported, when the import ends.
        """

        def work(project: Project, progress) -> Report:
            return import_source(project, src, fmt, taxonomy, progress)

        reopen = self.window.session.image_id
        self.window.finish_edits()  # an open polygon is closed and saved with the image
        if not self.window.session.close_image():
            self.window.status.showMessage("Import not started: the open image is not saved")
            return None
        job = self.start(f"Import {fmt}", work)
        if job is not None and reopen is not None:
            job.finished.connect(lambda: self._reopen(reopen))
        return job

    def _reopen(self, image_id: int) -> None:
        if not self._closed:  # never in a window that closed meanwhile
            self.window.open_image(image_id)

    def export(
        self, out: Path, fmt: str, task: str, statuses: tuple[str, ...] | None = None, **options: object
    ) -> FileJob | None:
        """Export the ``task`` masks in format ``fmt`` under ``out`` in the background (only
        images of ``statuses`` when given)."""

        def work(project: Project, progress) -> list[str]:
            try:
                summary = export_project(project, out, fmt, task, progress, statuses, **options)
            except ExportStopped as exc:  # the images that failed before it are listed too
                return [f"Stopped: {exc}", *exc.lines()]
            empty = nothing_exported(project, summary, statuses)
            return [*summary.lines(), *([f"No image exported: {empty}"] if empty else [])]

        return self.start(f"Export {fmt}", work, adds=False, cancelled=lambda stop: cancelled_export(stop, out))

    def wait(self, ms: int = 60000) -> bool:
        """Block until the running job ends (tests)."""
        return self.job is None or self.job.wait(ms)

    def shutdown(self) -> None:
        """The window closes: stop the running jobs after their current file and wait for each
        (no time limit: a QThread destroyed while running aborts the process): also a job
        whose summary came and whose thread still ends, a new one started meanwhile (only the
        newest was waited for). Their signals still queued reach nothing: every slot returns
        once this has run."""
        self._closed = True
        for job in self.jobs:
            job.cancel()
        for job in self.jobs:
            job.wait()

    # -- menu commands with dialogs -------------------------------------------------------

    def choose_photos(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(PHOTO_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self.window, "Add photos", "", f"Photos ({patterns})"
        )
        if files:
            self.add_photos([Path(f) for f in files])

    def choose_import(self) -> None:
        dialog = ImportDialog(list(self.window.project.tasks), self.window,
                              start_dir=str(self.window.project.root.parent))  # fmt: skip
        if dialog.exec():
            self.import_masks(typed_path(dialog.source.text()), dialog.fmt.currentText(),
                              dialog.taxonomy.currentData())  # fmt: skip

    def choose_export(self) -> None:
        dialog = ExportDialog(list(self.window.project.tasks), self.window.task, self.window)
        root = self.window.project.root
        dialog.restore(self.window.prefs.last_export(root))
        if dialog.exec():
            self.window.prefs.set_last_export(root, dialog.choices())
            self.export(typed_path(dialog.out.text()), dialog.fmt.currentText(), dialog.task.currentData(),
                        statuses=dialog.statuses(), **dialog.options())  # fmt: skip

    def choose_project(self) -> None:
        parents = [p.parent for p in self.window.prefs.recent_projects if p.parent.is_dir()]  # the last project's
        folder = QFileDialog.getExistingDirectory(self.window, "Open project", str(next(iter(parents), Path.home())))
        if folder:
            self.window.projectRequested.emit(Path(folder))

    def choose_new_project(self) -> None:
        dialog = NewProjectDialog(self.window)
        if dialog.exec():
            self.window.newProjectRequested.emit(typed_path(dialog.photos.text()), typed_path(dialog.project.text()),
                                                 dialog.copy.isChecked(), dialog.specs)  # fmt: skip


def typed_path(text: str) -> Path:
    """A path typed in a dialog, ``~`` expanded and made absolute (from the program's working
    folder): ``~/exports`` was a folder named ``~`` in the working folder, and the summary
    said "exported to ~/exports"."""
    return Path(text.strip()).expanduser().absolute()


def _path_row(edit: QLineEdit, browse: Callable[[], str]) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    button = QPushButton("Browse…")

    def choose() -> None:
        path = browse()
        if path:
            edit.setText(path)

    button.clicked.connect(choose)
    row.addWidget(button)
    return row


#: The statuses "Only done and approved images" exports.
FINISHED = ("done", "approved")
#: The files an import's file dialog lists (COCO, Label Studio, LabelMe JSON; CVAT XML);
#: folder formats are picked as folders.
IMPORT_FILE_FILTER = "Annotation files (*.json *.xml)"


class _PathDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        fit_on_show(self)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Give the first empty path field the keyboard (OK had it, with the Folder empty)."""
        super().showEvent(event)
        empty = self._empty_field()
        if empty is not None:
            empty.setFocus(Qt.FocusReason.OtherFocusReason)

    def _empty_field(self) -> QLineEdit | None:
        fields = [e for e in self.findChildren(QLineEdit) if not isinstance(e.parent(), QAbstractSpinBox)]
        return next((e for e in fields if not e.text().strip() and e.isEnabled()), None)

    def accept(self) -> None:
        """Close once every path is given: an empty Folder exported into the program's working
        folder, wherever that was."""
        empty = self._empty_field()
        if empty is None:
            super().accept()
            return
        self.note.setText(f"{self._label_of(empty)}: none given; type or browse to one")
        empty.setFocus(Qt.FocusReason.OtherFocusReason)

    def _folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self, title)

    def _label_of(self, edit: QLineEdit) -> str:
        """The form's label of the row holding ``edit`` (beside its Browse button)."""
        for row in range(self.form.rowCount()):
            field = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            layout = field.layout() if field is not None else None
            if layout is not None and layout.indexOf(edit) >= 0:
                label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                widget = label.widget() if label is not None else None
                if isinstance(widget, QLabel):
                    return widget.text()
        return "Path"


class NewProjectDialog(_PathDialog):
    """Photos folder, where the project goes and its tasks (shown and editable before anything
    is made); ``specs`` holds the checked tasks once OK closes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New project from a folder of photos", parent)
        self.photos = QLineEdit()
        self.project = QLineEdit()
        self.copy = QCheckBox("Copy the photos into the project")
        self.copy.setChecked(True)  # as `new` does: the project holds its photos, moved as one folder
        self.copy.setToolTip("Unticked, the project refers to the photos where they are: keep them there")
        self.tasks = TaskPicker(available_tasks(), DEFAULT_TASKS)
        self.specs: list[TaskSpec] = []
        self.photos.textChanged.connect(self._suggest)
        self.form.addRow("Photos", _path_row(self.photos, lambda: self._folder("Photos")))
        self.form.addRow("Project folder", _path_row(self.project, lambda: self._folder("Project")))
        self.form.addRow("", self.copy)
        self.form.addRow("Tasks", self.tasks)
        self.note.setText(
            "The project folder holds the index, masks and models. By default it is made "
            "beside the photos, not inside them."
        )

    def accept(self) -> None:
        """Close once the paths are given and the tasks check out: a label set file's problem
        is named here, as ``new --tasks`` names it, and nothing is made."""
        if self._empty_field() is None:
            try:
                self.specs = self.tasks.specs(typed_path(self.project.text()))
            except ProjectError as exc:
                self.note.setText(str(exc))
                return
        super().accept()

    def _suggest(self, text: str) -> None:
        if text and not self.project.isModified():
            folder = Path(text)
            self.project.setText(str(folder.parent / f"{folder.name}-annotations"))


class ImportDialog(_PathDialog):
    """Source, format and (optionally) the task of an import."""

    def __init__(self, tasks: list[str], parent: QWidget | None = None, start_dir: str = "") -> None:
        super().__init__("Import masks", parent)
        #: Where the file dialog starts (beside the project, not in it).
        self.start_dir = start_dir
        self.fmt = QComboBox()
        self.fmt.addItems([f for f in IMPORT_FORMATS if f != "photos"])
        self.source = QLineEdit()
        self.taxonomy = QComboBox()
        self.taxonomy.addItem("chosen from the labels", None)
        for task in tasks:
            self.taxonomy.addItem(task_title(task), task)
        self.form.addRow("Format", self.fmt)
        self.form.addRow("Source", _path_row(self.source, self._browse))
        self.form.addRow("Task", self.taxonomy)

    def _browse(self) -> str:
        # Only annotation files are listed: a dialog that shows the project's own
        # project.sqlite reads it to name its type, and that close in this process drops
        # SQLite's locks on the index (another process closing it then removes the live WAL).
        path, _ = QFileDialog.getOpenFileName(self, "Source file (Cancel to pick a folder)", self.start_dir,
                                              IMPORT_FILE_FILTER)  # fmt: skip
        return path or self._folder("Source folder")


class ExportDialog(_PathDialog):
    """Output folder, format, task and shape options of an export."""

    def __init__(self, tasks: list[str], task: str, parent: QWidget | None = None) -> None:
        super().__init__("Export", parent)
        self.fmt = QComboBox()
        self.fmt.addItems(list(EXPORT_FORMATS))
        for i, name in enumerate(EXPORT_FORMATS):
            self.fmt.setItemData(i, f"Writes {EXPORT_WRITES[name]}", Qt.ItemDataRole.ToolTipRole)
        self.writes = QLabel(wordWrap=True)  # what the chosen format writes ("plain" says nothing)
        self.task = QComboBox()  # titles shown (a label set's own), task names as data
        for name in tasks:
            self.task.addItem(task_title(name), name)
        self.task.setCurrentIndex(max(0, self.task.findData(task)))
        self.shapes = QComboBox()
        self.shapes.addItem("format's default", None)
        for kind in SHAPE_KINDS:
            self.shapes.addItem(kind, kind)
        self.tolerance = DecimalSpinBox(decimals=2, minimum=0.0, maximum=10.0, singleStep=0.1)
        self.tolerance.setValue(DEFAULT_TOLERANCE)
        self.tolerance.setSuffix(" px")
        self.edges = QComboBox()
        self.edges.addItem("soft (anti-aliased, as the photo's colours say)", "soft")
        self.edges.addItem("clean (soft, edge colours without the backdrop's)", "clean")
        self.edges.addItem("hard (alpha 0 or 255)", "hard")
        self.out = QLineEdit()
        self.finished_only = QCheckBox("Only done and approved images")
        self.finished_only.setToolTip("Leave out images still in progress, never saved or rejected by QA")
        self.form.addRow("Format", self.fmt)
        self.form.addRow("", self.writes)
        self.form.addRow("Task", self.task)
        self.form.addRow("Images", self.finished_only)
        self.form.addRow("Shapes", self.shapes)
        self.form.addRow("Polygon tolerance", self.tolerance)
        self.form.addRow("Cutout edges", self.edges)
        self.form.addRow("Folder", _path_row(self.out, lambda: self._folder("Export to")))
        self.fmt.currentTextChanged.connect(self._enable_options)
        self._enable_options(self.fmt.currentText())

    def accept(self) -> None:
        """Close unless the folder would be refused: a free one beside it is offered instead."""
        if self.out.text().strip() and offer_free_folder(self.out, self.note, typed_path(self.out.text())):
            return
        super().accept()

    def _enable_options(self, fmt: str) -> None:
        """Only the options ``fmt`` takes can be set (plain has none, cutout only its edges);
        the line under the format says what ``fmt`` writes."""
        takes = EXPORT_OPTIONS.get(fmt, ())
        self.writes.setText(f"Writes {EXPORT_WRITES.get(fmt, '')}")
        for key, widget in (("shapes", self.shapes), ("tolerance", self.tolerance), ("edges", self.edges)):
            widget.setEnabled(key in takes)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setEnabled(key in takes)

    def choices(self) -> dict[str, object]:
        """What the operator chose, to offer again next time (:meth:`restore`)."""
        return {"format": self.fmt.currentText(), "shapes": self.shapes.currentData(),
                "tolerance": self.tolerance.value(), "edges": self.edges.currentData(), "folder": self.out.text(),
                "finished_only": self.finished_only.isChecked()}  # fmt: skip

    def restore(self, choices: dict[str, str]) -> None:
        """Offer the choices of the project's last export (the task stays the one being
        edited); unknown values are left as they are."""
        if self.fmt.findText(choices.get("format", "")) >= 0:
            self.fmt.setCurrentText(choices["format"])
        index = self.shapes.findData(choices.get("shapes"))
        if index >= 0:
            self.shapes.setCurrentIndex(index)
        with contextlib.suppress(ValueError):
            self.tolerance.setValue(float(choices.get("tolerance", self.tolerance.value())))
        index = self.edges.findData(choices.get("edges"))
        if index >= 0:
            self.edges.setCurrentIndex(index)
        self.out.setText(choices.get("folder", ""))
        offer_free_folder(self.out, self.note, typed_path(self.out.text()))  # a cancelled export's: not again
        self.finished_only.setChecked(str(choices.get("finished_only", False)).lower() == "true")

    def statuses(self) -> tuple[str, ...] | None:
        """:data:`FINISHED` when only finished images are asked for, else None (every image)."""
        return FINISHED if self.finished_only.isChecked() else None

    def options(self) -> dict[str, object]:
        """The options the format takes (:data:`~fashion_annotator.dataset.formats.EXPORT_OPTIONS`)."""
        chosen = {"shapes": self.shapes.currentData(), "tolerance": self.tolerance.value(),
                  "edges": self.edges.currentData()}  # fmt: skip
        return {k: chosen[k] for k in EXPORT_OPTIONS.get(self.fmt.currentText(), ())}


def populate(menu: QMenu, window: MainWindow) -> FileActions:
    """Fill the File menu of ``window``; returns the :class:`FileActions` behind it."""
    files = FileActions(window)
    a = window._action
    menu.addAction(a("open_project", "&Open project…", "Ctrl+O", files.choose_project))
    recent = menu.addMenu("Open &recent")
    # filled as File opens: a greyed Open recent never shows, and stayed greyed after another
    # window had opened a project
    menu.aboutToShow.connect(lambda: fill_recent(window))
    window.recent_menu = recent
    menu.addAction(
        a("new_project", "&New project from folder…", "Ctrl+N", files.choose_new_project)
    )
    if "open_server" in window.actions_by_name:
        menu.addAction(window.actions_by_name["open_server"])
    menu.addSeparator()
    menu.addAction(a("add_photos", "&Add photos…", "Ctrl+Shift+A", files.choose_photos))
    menu.addAction(a("import_masks", "&Import masks…", "Ctrl+I", files.choose_import))
    menu.addAction(a("add_tasks", "Add &tasks…", None, lambda: add_tasks(window)))
    menu.addAction(a("export", "&Export…", "Ctrl+E", files.choose_export))
    menu.addSeparator()
    for name in ("save", "done"):
        menu.addAction(window.actions_by_name[name])
    menu.addSeparator()
    menu.addAction(window.actions_by_name["preferences"])
    menu.addSeparator()
    menu.addAction(window.actions_by_name["quit"])
    fill_recent(window)
    return files


def fill_recent(window: MainWindow) -> None:
    """List the recent projects (the open one left out) in the window's Recent menu."""
    menu = window.recent_menu
    if menu is None:
        return
    menu.clear()
    current = window.project.root.resolve()
    for root in window.prefs.recent_projects:
        if root == current:
            continue
        action = menu.addAction(f"{project_title(root)} — {root.parent}")
        action.setToolTip(str(root))
        action.triggered.connect(lambda _=False, r=root: window.projectRequested.emit(r))
    # an empty menu is greyed, and says why (it said nothing)
    shortcuts.set_enabled(menu.menuAction(), bool(menu.actions()), shortcuts.why_disabled("no_recent"))
