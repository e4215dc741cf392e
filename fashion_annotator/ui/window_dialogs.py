"""The main window's dialogs and its Review tab, as functions of the window.

:class:`~fashion_annotator.ui.main_window.MainWindow` keeps one-line methods that the menus
and tests call; what each dialog shows and what the window does with its answer lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea

from fashion_annotator.dataset.postgres.url import is_postgres_url
from fashion_annotator.dataset.store import ProjectError
from fashion_annotator.ui import prompts
from fashion_annotator.ui.annotate.instance_keys import instance_keys
from fashion_annotator.ui.help_dialog import HelpDialog
from fashion_annotator.ui.icons import icon
from fashion_annotator.ui.key_hints import mnemonic_keys
from fashion_annotator.ui.preferences import PreferencesDialog
from fashion_annotator.ui.review import instances as review_instances
from fashion_annotator.ui.review.view import REVIEW_KEYS, ReviewView
from fashion_annotator.ui.screen_fit import FocusFollower
from fashion_annotator.ui.server_password import open_asking
from fashion_annotator.ui.theme import apply_theme

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow
    from fashion_annotator.ui.train.training_dialog import RetrainDialog


def build_review_tab(w: MainWindow) -> None:
    """Make ``w``'s Review tab at its first visit (``w.review``, ``w.instance_review``): the
    review panel in a scroll area, so that it scrolls rather than widen the window (its rows and
    history text vary in width; the window never grows on its own). A box given the keyboard out
    of sight is scrolled into it (Alt+J's reason box was chosen and typed into unseen below the
    fold of a 1280x720 screen)."""
    w.review = ReviewView(w.project, w)
    w.review.openImageRequested.connect(w._review_open)
    w.review.decisionRecorded.connect(w._decision_recorded)
    w.review.exported.connect(lambda text: w.status.showMessage(text, 8000))
    w.instance_review = review_instances.attach(w.review, w.project, w._review_open)
    scroller = QScrollArea()
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QScrollArea.Shape.NoFrame)
    scroller.setWidget(w.review)
    FocusFollower(scroller)  # Alt+J's reason box below the fold on a short screen comes into sight
    w.tabs.blockSignals(True)
    w.tabs.removeTab(1)
    w.tabs.insertTab(1, scroller, icon("review"), "Review")
    w.tabs.setCurrentIndex(1)
    w.tabs.blockSignals(False)


def show_help(w: MainWindow) -> HelpDialog:
    """Open the (non-modal) shortcut help of ``w``'s actions and the Review keys."""
    dialog = HelpDialog(
        w.actions_by_name.values(),
        w,
        other_keys=[(f"Review: {what}", key) for key, what in REVIEW_KEYS]
        + [(what, key) for key, what in instance_keys(w.instances.schema)],
        autosave_s=w.prefs.autosave_interval_s,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed, it goes: none pile up
    dialog.show()
    return dialog


def open_server_project(w: MainWindow, url: str | None = None) -> MainWindow | None:
    """Open a PostgreSQL project (asked for when ``url`` is None) in a new window.

    ``w`` closes first (saving the open image); the new window owns its project and closes it
    with itself. Returns the new window, or None when nothing was opened.
    """
    if url is None:
        last = w.prefs.last_project
        url = prompts.ask_project_url(w, str(last) if is_postgres_url(str(last)) else "")
    if not url:
        return None
    if w.switcher is not None:  # the application's windows: one switcher shows them all
        user = w.project.user
        switcher = w.switcher
        return switcher.window if switcher.switch(lambda: open_asking(url, w.prefs, w, user=user)) else None
    try:
        project = open_asking(url, w.prefs, w, user=w.project.user)
    except ProjectError as exc:
        QMessageBox.critical(w, "Cannot open project", str(exc))
        return None
    window = type(w)(project, w.prefs, ask_restore=w.ask_restore, ask_quit=w.ask_quit,
                     ask_stop=w.ask_stop)  # fmt: skip
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.destroyed.connect(project.close)
    window.show()
    if not w.close():
        window.close()
        return None
    window.start()
    return window


def panel_keys(w: MainWindow) -> dict[str, str]:
    """The keys ``w``'s menus and panels own (key -> what it opens or does), which no command
    may take: Preferences refuses them, a saved one is dropped at the start
    (:func:`.shortcuts.drop_refused`)."""
    return {**mnemonic_keys(w), **dict(instance_keys(w.instances.schema))}


def show_preferences(w: MainWindow) -> None:
    """Edit the preferences in a modal dialog and apply them to ``w`` and the application."""
    dialog = PreferencesDialog(
        w.prefs,
        [w.project.taxonomy(t) for t in w.taxonomies],
        w,
        actions=list(w.actions_by_name.values()),
        reserved={key: what for key, what in REVIEW_KEYS},
        panel_keys=panel_keys(w),
    )
    if not dialog.exec():
        return
    unsaved = w.prefs.unsaved_reason()
    if unsaved is not None:
        w.session.error.emit(unsaved)
    w.view_bar.set_opacity(w.prefs.overlay_opacity)
    w.session.autosave.set_interval(w.prefs.autosave_interval_s)
    for help_dialog in w.findChildren(HelpDialog):  # an open Help names the new interval
        help_dialog.set_autosave(w.prefs.autosave_interval_s)
    w.session.proposals.set_one_pass(w.prefs.fast_proposals)
    w.taxonomies = {t: w.prefs.apply_colors(w.project.taxonomy(t)) for t in w.taxonomies}
    w.palette_dock.set_taxonomy(w.taxonomies[w.task], w.labels[w.task])
    if w.session.current is not None:
        w.canvas.set_task(w.task, w.taxonomies[w.task])
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, w.prefs.theme)


def show_training(w: MainWindow, task: str | None = None) -> RetrainDialog:
    """Open the (non-modal) retraining dialog for ``task`` (default: the shown task).

    A closed dialog is deleted (its trainer was stopped first, :meth:`.RetrainDialog.reject`):
    kept, each one opened stayed in memory with its widgets and its list of training masks
    until the window closed (1.6 MB and 62 widgets each, 40 photos; an endurance hand test).
    """
    from fashion_annotator.ui.train.training_dialog import RetrainDialog

    dialog = RetrainDialog(w.project, task or w.task, w, prefs=w.prefs)  # its settings, not the user's
    dialog.ask_stop = w.ask_stop
    dialog.background = w.retrainer  # one training at a time: Start asks to stop its run
    dialog.modelPromoted.connect(w._model_promoted)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog

