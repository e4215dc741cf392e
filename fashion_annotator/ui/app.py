"""Application start-up: ``fashion-annotator [PATH]`` opens the window.

``PATH`` is a project folder, or a folder of photos (a project is made inside it, in
``annotations/``, and the photos are referenced where they are). Without a path the last
project opens, else the bundled sample project, created on first use in the per-user data
folder from ``resources/sample`` so that a new user sees the tool working at once.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSize, QStandardPaths, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

if TYPE_CHECKING:  # imported when a project opens
    from fashion_annotator.ui.gc_guard import GuiThreadCollector
    from fashion_annotator.ui.main_window import MainWindow

from fashion_annotator.core.tasks import TaskSpec
from fashion_annotator.dataset import unfinished
from fashion_annotator.dataset.confine import referable_folder, referenced_path
from fashion_annotator.dataset.formats.common import ImportSummary, list_files
from fashion_annotator.dataset.formats.export_stop import CancelRequested
from fashion_annotator.dataset.formats.photos import add_photos
from fashion_annotator.dataset.photo_folder import (
    ADDING_MARKER,
    FolderSync,
    is_photo_folder_project,
    remember_left_out,
    sync_photo_folder,
)
from fashion_annotator.dataset.postgres.url import (
    describe_location,
    is_postgres_url,
    postgres_or_folder,
)
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import INDEX_NAME, PHOTO_FOLDER_PROJECT, Project, open_project
from fashion_annotator.resources import resource_path
from fashion_annotator.runtime.exit_codes import EXIT_ERROR, report_error
from fashion_annotator.runtime.paths import APPLICATION, ORGANIZATION
from fashion_annotator.ui.file_jobs import JobCancelled
from fashion_annotator.ui.task_picker import DEFAULT_TASKS

#: Name of the installed .desktop entry (packaging/fashion-annotator.desktop), for the taskbar.
DESKTOP_FILE = "fashion-annotator"
#: When set (milliseconds), quit that long after the first window is shown: the start-up smoke
#: test of the wheel and the bundle, which also prints the time to the first window.
SMOKE_QUIT_ENV = "FA_SMOKE_QUIT_MS"


def photos_in(folder: Path, summary: ImportSummary | None = None) -> list[Path]:
    """Photo files directly inside ``folder``, sorted by name; hidden files are left out, as
    every import does (counted in ``summary.hidden``; the folder opened in the window added
    ``.hidden.jpg``, ``new`` and File > Add photos did not: a hand test); the other files and
    folders, left out, are listed in ``summary.skipped`` as the CLI's import lists them (a
    ``notes.txt`` in the folder went unsaid), a photo folder's own project folder aside."""
    listed = ImportSummary(photos_only=True)
    files = list_files(folder, summary=listed)
    if summary is not None:
        summary.hidden += listed.hidden
        summary.skipped += [(path, why) for path, why in listed.skipped if Path(path).name != PHOTO_FOLDER_PROJECT]
    return files


@dataclass(frozen=True)
class PendingPhotos:
    """Photos to add to a project once its window shows.

    Attributes
    ----------
    files : list of Path
        The photo files.
    copy : bool
        Copy them into the project (False: referenced where they are).
    marker : Path or None
        :data:`ADDING_MARKER` of a photo folder's project, removed once every file was tried.
    hidden : int
        Hidden files of the folder, left out (the summary says how many).
    skipped : tuple of (str, str)
        The folder's other files and folders, left out, and why (the summary lists them).
    sync : bool
        Bring a photo folder's project in step with its folder instead
        (:func:`~fashion_annotator.dataset.photo_folder.sync_photo_folder`: new photos added,
        renamed ones found again, missing ones named); ``files`` is empty.
    made : Making or None
        The mark of the project File > New made for them
        (:func:`~fashion_annotator.dataset.unfinished.start_new`): removed once every file was
        tried or the operator stopped the adding (its summary says what was kept); kept, as
        stopped, when the window closed first (opening the project then says to run File > New
        again); left alone once a later File > New of the same folders took it over.
    source : Path or None
        The photo folder File > New made the project from: the job's title names it.
    """

    files: list[Path]
    copy: bool = False
    marker: Path | None = None
    hidden: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    sync: bool = False
    made: unfinished.Making | None = None
    source: Path | None = None

    @property
    def title(self) -> str:
        """The job's name in the status bar and the log (File > New's was "Add photos")."""
        if self.sync:
            return "Photo folder"
        return f"New project from folder {self.source.name}" if self.source is not None else "Add photos"

    def work(self, project: Project, progress) -> ImportSummary | FolderSync:
        """Add the files (a :class:`~fashion_annotator.ui.file_jobs.FileJob`'s work); the
        summary. A cancelled job raises before a photo folder's marker goes; the unfinished
        mark of a project File > New made goes when the operator stopped it (the summary says
        so), and stays when the window closed."""
        if self.sync:
            return sync_photo_folder(project, progress)
        try:
            summary = add_photos(project, self.files, self.copy, progress,
                                 ImportSummary(photos_only=True, hidden=self.hidden,
                                               skipped=list(self.skipped)))  # fmt: skip
        except CancelRequested as exc:
            if self.made is not None and isinstance(exc, JobCancelled) and exc.by_operator:
                unfinished.unmark(project, self.made)  # told what it kept: not cut short
            elif self.made is not None:  # the window closed: half made
                unfinished.stop(project, self.made)
            raise
        if self.marker is not None:  # a photo folder's refused files: not tried at every open
            remember_left_out(Path(project.root), summary, self.files)
        if self.made is not None:
            unfinished.unmark(project, self.made)
        self.finish()
        return summary

    def finish(self) -> None:
        """Remove the marker: every file was tried."""
        if self.marker is not None:
            self.marker.unlink(missing_ok=True)


def open_or_start(path: str | Path) -> tuple[Project, PendingPhotos | None]:
    """Open the project at ``path`` (a folder or a PostgreSQL project URL), or make an empty one
    for the folder of photos at ``path``.

    Returns
    -------
    (Project, PendingPhotos or None)
        The open project and the photos still to add: the folder's, for a project just made or
        one whose adding was stopped (its :data:`ADDING_MARKER`), less those it holds. The
        window adds them in the background with progress: added before it, 1,800 photos kept it
        from appearing for 22 s (a scale test).

    Raises
    ------
    ProjectError
        ``path`` is neither a project nor a folder with photos.
    """
    if postgres_or_folder(str(path)):  # another scheme:// is refused, not taken as a folder
        return open_project(str(path)), None
    path = Path(path).expanduser()
    if (path / INDEX_NAME).is_file():
        project = Project.open(path)
        return project, unfinished_adding(project)
    if (path / PHOTO_FOLDER_PROJECT / INDEX_NAME).is_file():
        project = Project.open(path / PHOTO_FOLDER_PROJECT)
        return project, unfinished_adding(project)
    if not path.is_dir():
        raise ProjectError(f"{path}: no such project or folder of photos")
    referable_folder(path)  # before a project is made in it: its photos are referenced there
    listed = ImportSummary()
    photos = photos_in(path, listed)
    if not photos:
        raise ProjectError(f"{path}: neither a project nor a folder with photos")
    try:
        project = Project.create(path / PHOTO_FOLDER_PROJECT)
    except ProjectError as exc:
        if not isinstance(exc.__cause__, OSError):
            raise
        raise ProjectError(
            f"{exc}. Use File > New project from folder to make a project elsewhere that copies "
            f"these photos (or: fashion-annotator new PROJECT --images {path})"
        ) from exc
    marker = project.root / ADDING_MARKER
    marker.touch()
    return project, PendingPhotos(photos, False, marker, listed.hidden, tuple(listed.skipped))


def unfinished_adding(project: Project) -> PendingPhotos | None:
    """The photos of a photo folder's project whose adding was stopped (its
    :data:`ADDING_MARKER` is there), less those it holds; else, for a photo folder's project
    open for writing, the check of its folder (``sync``: photos dropped in since, renamed or
    gone); None for any other project (copied photos, a PostgreSQL project).

    However the project is opened: the folder, its ``annotations/`` folder, the last or a recent
    project (the window remembers ``annotations/``, and a reopen that way left the marker and
    the photos out).
    """
    marker = Path(project.root) / ADDING_MARKER
    if Path(project.root).name != PHOTO_FOLDER_PROJECT or project.readonly:
        return None
    if not marker.is_file():
        return PendingPhotos([], sync=True) if is_photo_folder_project(project) else None
    known = {r.name for r in project.images()}
    listed = ImportSummary()
    photos = photos_in(Path(project.root).parent, listed)
    fresh = [p for p in photos if str(referenced_path(p)) not in known]
    return PendingPhotos(fresh, False, marker, listed.hidden, tuple(listed.skipped))


def open_or_create(path: str | Path) -> tuple[Project, list[str]]:
    """:func:`open_or_start`, then add the photos at once (the terminal's way).

    Returns
    -------
    (Project, list of str)
        The open project and the import summary's lines a person should read (a photo
        refused, a duplicate, a photo with transparency).
    """
    project, pending = open_or_start(path)
    if pending is None:
        return project, []
    summary = pending.work(project, None)
    if isinstance(summary, FolderSync):
        return project, summary.lines()
    return project, summary.lines() if summary.notable else []


def _new_for_window(
    photos: Path, root: Path, copy: bool, tasks: Sequence[str | Path | TaskSpec] = DEFAULT_TASKS
) -> tuple[Project, list[str], PendingPhotos]:
    """:func:`new_project` as :meth:`WindowSwitcher.switch` takes it (the folder is checked
    first: a mistyped one is refused in words, not listed)."""
    project = new_project(photos, root, tasks)
    listed = ImportSummary()
    files = photos_in(Path(photos), listed)
    return project, [], PendingPhotos(files, copy, hidden=listed.hidden, skipped=tuple(listed.skipped),
                                      made=unfinished.mark_of(project), source=Path(photos))


def _for_window(path: str | Path) -> tuple[Project, list[str], PendingPhotos | None]:
    """:func:`open_or_start` as :meth:`WindowSwitcher.switch` takes it."""
    project, pending = open_or_start(path)
    return project, [], pending


def data_dir() -> Path:
    """The per-user data folder of the application (created)."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sample_project(folder: Path | None = None) -> Project:
    """Open the sample project in ``folder`` (default: the data folder), making it if needed.

    Raises
    ------
    ProjectError
        The project cannot be opened or made there (a home folder that cannot be written
        stopped the window with a traceback when no project was named).
    """
    try:
        root = (folder or data_dir()) / "sample-project"
    except OSError as exc:
        raise ProjectError(
            f"cannot make the sample project: {exc}; open a project or a folder of photos "
            "instead: fashion-annotator PATH"
        ) from exc
    if (root / INDEX_NAME).is_file():
        return Project.open(root)
    photos = photos_in(resource_path("sample"))
    if not photos:
        raise ProjectError(f"{resource_path('sample')}: the bundled sample photos are missing")
    project = Project.create(root)
    summary = add_photos(project, photos)
    if summary.errors:
        raise ProjectError("; ".join(f"{path}: {problem}" for path, problem in summary.errors))
    return project


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Fashion Annotator")
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    """The application icon from ``resources/icons/app/fashion-annotator-SIZE.png`` (every size)."""
    result = QIcon()
    for png in sorted(resource_path("icons", "app").glob(f"{APPLICATION}-*.png")):
        size = int(png.stem.rsplit("-", 1)[1])
        result.addFile(str(png), QSize(size, size))
    return result


def choose_project(
    path: str | None, last: str | Path | None, notes: list[str] | None = None,
    opener: Callable[[str | Path], Project] = open_project,
) -> tuple[Project, list[str]]:
    """The project to open: ``path``, else the last one, else the sample project.

    Parameters
    ----------
    notes : list of str, optional
        Gets why the last project was not opened (moved, deleted, not answering): the sample
        opened in its place without a word, and the operator thought the work was lost.
    opener : callable, optional
        Opens the last project (the window's asks for a server project's password).
    """
    if path is not None:
        return open_or_create(path)
    why = None
    if last is not None and (is_postgres_url(str(last)) or (Path(last) / INDEX_NAME).is_file()):
        try:
            return opener(last), []
        except ProjectError as exc:
            why = f"could not be opened ({exc})"
    elif last is not None:
        why = "is not there any more (moved, renamed or deleted)"
    sample = sample_project()
    if why is not None and notes is not None and str(sample.location) != str(Path(str(last)).absolute()):
        shown = describe_location(str(last)) if is_postgres_url(str(last)) else last  # password as ***
        notes.append(f"The last project, {shown}, {why}: the sample project is open in its place; "
                     "File > Open project opens another")  # fmt: skip
    return sample, []


def new_project(photos: Path, root: Path, tasks: Sequence[str | Path | TaskSpec] = DEFAULT_TASKS) -> Project:
    """An empty project at ``root`` with ``tasks`` (shipped names, label set files or specs)
    for the photos in ``photos`` (added by the window later), made as ``fashion-annotator new``
    makes it (:func:`~fashion_annotator.dataset.unfinished.start_new`): marked unfinished until
    the photos are added (a crash half way left a project that opened as if complete); one that
    a ``new`` cut short (also the window's) is resumed.

    Raises
    ------
    ProjectError
        ``photos`` holds no photo, ``root`` already holds a project, or a task is refused.
    """
    if not Path(photos).is_dir() or not photos_in(Path(photos)):
        raise ProjectError(f"{photos}: not a folder with photos")
    return unfinished.start_new(root, Path(photos), tasks)[0]


#: How long :func:`_paint_now` waits for the window system to expose a shown window (ms).
EXPOSE_WAIT_MS = 300


def _paint_now(window: MainWindow) -> None:
    """Paint the shown ``window`` at once: the first image's preview and saved mask are read in
    the GUI thread as it opens (4-6 s on a 6000x9000 photo on a loaded machine), and a window
    started before its first paint showed nothing until they were. Waits up to
    :data:`EXPOSE_WAIT_MS` for the window system to expose it; the operator's input waits for
    the event loop as before."""
    flags = QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
    handle = window.windowHandle()
    deadline = time.monotonic() + EXPOSE_WAIT_MS / 1000
    QApplication.processEvents(flags)
    while handle is not None and not handle.isExposed() and time.monotonic() < deadline:
        time.sleep(0.005)
        QApplication.processEvents(flags)
    window.repaint()
    QApplication.processEvents(flags)


class WindowSwitcher:
    """Keeps the one open window and replaces it when the operator opens another project."""

    def __init__(self, prefs) -> None:
        self.prefs = prefs
        self.window: MainWindow | None = None

    def show(self, project: Project, problems: list[str] | None = None, photos: PendingPhotos | None = None):
        """Open ``project`` in a new window (adding ``photos`` in the background)."""
        from fashion_annotator.ui.main_window import MainWindow

        window = MainWindow(project, self.prefs)
        window.switcher = self
        window.projectRequested.connect(lambda root: self.switch(lambda: _for_window(root)))
        window.newProjectRequested.connect(
            lambda src, root, copy, tasks: self.switch(lambda: _new_for_window(src, root, copy, tasks))
        )
        window.show()
        _paint_now(window)  # before the first image opens, seconds on a very large photo
        if problems:  # the import summary: its totals, then what a person should know
            more = f"\n... and {len(problems) - 21} more lines" if len(problems) > 21 else ""
            QMessageBox.warning(window, "Photos of this folder", "\n".join(problems[:21]) + more)
        window.start()
        if photos is not None and (photos.files or photos.sync):
            window.files.start(photos.title, photos.work, box=not photos.sync, save=False)  # restored edits stay unsaved
        self.window = window
        return window

    def switch(self, opener, photos: PendingPhotos | None = None) -> bool:
        """Close the open window (saving) and show the project ``opener()`` returns.

        The new project is opened and its index read through (``PRAGMA quick_check``) before
        the open window closes: a project that cannot be opened, or whose index is damaged,
        is said in a box over the open window, which stays (closed first, no window was left
        and the application ended with the box).
        """
        old = self.window
        try:
            project, problems, found = _opened(opener())
            photos = photos or found
        except (ProjectError, OSError) as exc:
            QMessageBox.warning(old, "Cannot open project", str(exc))
            return False
        try:
            if isinstance(project, Project):  # a server's database reports its own damage
                project.check_index()
        except ProjectError as exc:
            project.close()
            QMessageBox.warning(old, "Cannot open project", str(exc))
            return False
        if old is not None:
            if not old.close():
                project.close()
                return False
            old.project.close()
            # Destroyed now, in the GUI thread: left to Python's collector, the window and its
            # models would live on (lambdas in its connections) or die in a worker thread.
            old.deleteLater()
            QTimer.singleShot(0, _collect_deleted)
        try:
            self.show(project, problems, photos)
        except ProjectError as exc:  # its index damaged (the first read of its image list)
            project.close()
            self.window = None
            QMessageBox.warning(None, "Cannot open project", str(exc))
            return False
        return True


def _collect_deleted() -> None:
    """Delete what ``deleteLater`` scheduled, then collect its Python leftovers (GUI thread)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def _opened(result) -> tuple[Project, list[str], PendingPhotos | None]:
    """An opener's result as ``(project, problems, photos to add)``."""
    if not isinstance(result, tuple):
        return result, [], None
    return (*result, None) if len(result) == 2 else result


def _cannot_open(exc: ProjectError, collector: GuiThreadCollector) -> int:
    """Say why the project cannot be opened (stderr, the log, a box but in a start-up check:
    nobody to close it) and return the exit status."""
    report_error(exc)
    if os.environ.get(SMOKE_QUIT_ENV) is None:
        QMessageBox.critical(None, "Cannot open project", str(exc))
    collector.stop()
    return EXIT_ERROR


def run_gui(path: str | None) -> int:
    """Open the main window on ``path`` (see module doc) and run the event loop.

    Returns
    -------
    int
        The exit status: 0, or 1 when the project cannot be opened.
    """
    started = time.perf_counter()
    app = _application()
    from fashion_annotator.ui.crash import install_crash_dialog
    from fashion_annotator.ui.gc_guard import GuiThreadCollector
    from fashion_annotator.ui.preferences import Preferences
    from fashion_annotator.ui.quit_signals import QuitOnSignals
    from fashion_annotator.ui.server_password import open_asking
    from fashion_annotator.ui.theme import apply_theme

    install_crash_dialog()
    collector = GuiThreadCollector(app)  # cycles die in the GUI thread, never in a worker

    prefs = Preferences()
    apply_theme(app, prefs.theme)
    photos = None
    notes: list[str] = []
    problems: list[str] = []
    try:
        if path is not None and is_postgres_url(path):  # the server may ask for a password
            project, photos = open_asking(path, prefs), None
        elif path is not None:
            project, problems, photos = _for_window(path)
        else:
            project, problems = choose_project(path, prefs.last_project, notes, lambda p: open_asking(p, prefs))
            photos = unfinished_adding(project) if isinstance(project, Project) else None
    except ProjectError as exc:
        return _cannot_open(exc, collector)
    switcher = WindowSwitcher(prefs)
    quitter = QuitOnSignals(lambda: switcher.window)  # a logout, a closed terminal, Ctrl+C: saved
    try:
        shown = switcher.show(project, problems, photos)
    except ProjectError as exc:  # its index damaged: the window's first read of the image list
        project.close()
        return _cannot_open(exc, collector)
    smoke_ms = os.environ.get(SMOKE_QUIT_ENV)
    if notes and smoke_ms is None:
        QMessageBox.warning(shown, "Last project not opened", "\n".join(notes))
    elif notes:  # a start-up check: nobody to close a box
        print("fashion-annotator: " + "\n".join(notes), file=sys.stderr)
    if smoke_ms is not None:
        shown_s = time.perf_counter() - started
        print(f"fashion-annotator: first window shown {shown_s:.2f} s after Qt start-up began",
              file=sys.stderr)  # fmt: skip
        QTimer.singleShot(int(smoke_ms), app.quit)
    try:
        return app.exec()
    finally:
        quitter.stop()
        window = switcher.window
        if window is not None:
            window.project.close()
            # The window and its dialogs go now, in Qt's order, while the application lives,
            # not in whatever order the interpreter's exit leaves them (a crash at quit was
            # seen once after export, preferences and help dialogs had been open).
            window.deleteLater()
            _collect_deleted()
        collector.stop()
