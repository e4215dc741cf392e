"""The window paints before its first image opens (a hand test: restarted with a 6000x9000 photo
open last, the window showed nothing for 15-20 s: the photo's preview and saved mask are read
in the GUI thread as the image opens, and the window was started before its first paint)."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QEvent, QObject

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.app import WindowSwitcher
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file


class _Paints(QObject):
    """Counts the paint events of the widgets it filters."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_the_window_is_painted_before_the_first_image_opens(qtbot, ccp_dir, tmp_path, monkeypatch) -> None:
    photo = tmp_path / "0001.jpg"
    shutil.copy(ccp_dir / "images" / "0001.jpg", photo)
    with Project.create(tmp_path / "project", tasks=("garment",), user="t") as made:
        made.add_image(photo)
    paints = _Paints()
    at_start: list[int] = []
    start = MainWindow.start

    def counted_start(window: MainWindow) -> None:
        at_start.append(paints.count)
        start(window)

    monkeypatch.setattr(MainWindow, "start", counted_start)
    shown = MainWindow.show

    def watched_show(window: MainWindow) -> None:
        window.installEventFilter(paints)
        shown(window)

    monkeypatch.setattr(MainWindow, "show", watched_show)
    switcher = WindowSwitcher(Preferences(settings_file(tmp_path / "paint.ini")))
    window = switcher.show(Project.open(tmp_path / "project"))
    qtbot.addWidget(window)
    assert at_start and at_start[0] > 0, "the window was painted before start() opened the photo"
    assert window.session.current is not None
    window.close()
    window.project.close()
