"""A window built on a settings file of its own (tests, a portable setup) keeps the Retrain
dialog's last Epochs, Time and Device in that file: the dialog opened the user's settings
(``QSettings()``) itself, so such a window wrote them into the user's real settings (a code
review)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, Qt

from fashion_annotator.ui.preferences import settings_file
from fashion_annotator.ui.testing import Answers, open_window, wait_counted


def test_the_retrain_settings_go_to_the_windows_settings_file(qtbot, loop_project, tmp_path, monkeypatch) -> None:
    root = loop_project.root
    loop_project.close()
    window, project = open_window(qtbot, root, tmp_path / "portable.ini", Answers())
    dialog = window.show_training("garment")
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(2)
    dialog.minutes_spin.setValue(7)
    monkeypatch.setattr(dialog, "command", lambda: [sys.executable, "-c", "pass"])
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    dialog.close()
    written = settings_file(tmp_path / "portable.ini")
    kept = {k.rsplit("/", 1)[1]: written.value(k) for k in written.allKeys() if k.startswith("retrain")}
    assert {k: str(v) for k, v in kept.items()} == {"epochs": "2", "minutes": "7", "device": "auto"}
    assert not [k for k in QSettings().allKeys() if "retrain" in k], "nothing in the user's settings"
    again = window.show_training("garment")
    wait_counted(qtbot, again)
    assert (again.epochs_spin.value(), again.minutes_spin.value()) == (2, 7)
    again.close()
    window.close()
