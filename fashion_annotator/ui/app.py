"""Application start-up: ``fashion-annotator [PATH]`` opens the window.

``PATH`` is a project folder, or a folder of photos (a project is made inside it, in
``annotations/``, and the photos are referenced where they are). Without a path the last
project opens, else the bundled sample project, created on first use in the per-user data
folder from ``resources/sample`` so that a new user sees the tool working at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.core.images import PHOTO_SUFFIXES, ImageLoadError
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import INDEX_NAME, Project
from fashion_annotator.resources import resource_path

ORGANIZATION = "FashionAnnotator"
APPLICATION = "fashion-annotator"
PROJECT_SUBDIR = "annotations"


def photos_in(folder: Path) -> list[Path]:
    """Photo files directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def import_photos(project: Project, photos: list[Path], copy: bool) -> list[str]:
    """Add ``photos`` to ``project``; returns one message per photo that was refused."""
    problems = []
    for photo in photos:
        try:
            project.add_image(photo, copy=copy)
        except (ImageLoadError, ProjectError) as exc:
            problems.append(str(exc))
    return problems


def open_or_create(path: str | Path) -> tuple[Project, list[str]]:
    """Open the project at ``path``, or make one from the folder of photos at ``path``.

    Returns
    -------
    (Project, list of str)
        The open project and the photos that could not be imported.

    Raises
    ------
    ProjectError
        ``path`` is neither a project nor a folder with photos.
    """
    path = Path(path).expanduser()
    if (path / INDEX_NAME).is_file():
        return Project.open(path), []
    if (path / PROJECT_SUBDIR / INDEX_NAME).is_file():
        return Project.open(path / PROJECT_SUBDIR), []
    if not path.is_dir():
        raise ProjectError(f"{path}: no such project or folder of photos")
    photos = photos_in(path)
    if not photos:
        raise ProjectError(f"{path}: neither a project nor a folder with photos")
    project = Project.create(path / PROJECT_SUBDIR)
    return project, import_photos(project, photos, copy=False)


def data_dir() -> Path:
    """The per-user data folder of the application (created)."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sample_project(folder: Path | None = None) -> Project:
    """Open the sample project in ``folder`` (default: the data folder), making it if needed."""
    root = (folder or data_dir()) / "sample-project"
    if (root / INDEX_NAME).is_file():
        return Project.open(root)
    photos = photos_in(resource_path("sample"))
    if not photos:
        raise ProjectError(f"{resource_path('sample')}: the bundled sample photos are missing")
    project = Project.create(root)
    problems = import_photos(project, photos, copy=True)
    if problems:
        raise ProjectError("; ".join(problems))
    return project


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Fashion Annotator")
    from fashion_annotator.ui.icons import icon

    app.setWindowIcon(icon("brush"))
    return app  # type: ignore[return-value]


def choose_project(path: str | None, last: Path | None) -> tuple[Project, list[str]]:
    """The project to open: ``path``, else the last one, else the sample project."""
    if path is not None:
        return open_or_create(path)
    if last is not None and (last / INDEX_NAME).is_file():
        try:
            return Project.open(last), []
        except ProjectError:
            pass
    return sample_project(), []


def run_gui(path: str | None) -> int:
    """Open the main window on ``path`` (see module doc) and run the event loop.

    Returns
    -------
    int
        The exit status: 0, or 2 when the project cannot be opened.
    """
    app = _application()
    from fashion_annotator.ui.main_window import MainWindow
    from fashion_annotator.ui.preferences import Preferences

    prefs = Preferences()
    try:
        project, problems = choose_project(path, prefs.last_project)
    except ProjectError as exc:
        print(f"fashion-annotator: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "Cannot open project", str(exc))
        return 2
    window = MainWindow(project, prefs)
    window.show()
    if problems:
        QMessageBox.warning(window, "Some photos were not imported", "\n".join(problems[:20]))
    window.start()
    try:
        return app.exec()
    finally:
        project.close()
