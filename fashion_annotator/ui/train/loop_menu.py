"""The loop in the window: queue order, background retrain and model history (Train menu).

:func:`install` adds to a :class:`~fashion_annotator.ui.main_window.MainWindow` its
:class:`~fashion_annotator.ui.annotate.queue_order.QueueRanker` (``window.ranker``), its
:class:`~fashion_annotator.ui.train.background_retrain.BackgroundRetrainer` (``window.retrainer``,
of every mask task of the project, checked after every save) and the Train menu's "Model
history…" and "Background retrain…".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel

from fashion_annotator.core.tasks import CLICK_TASK
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.model_history import model_title
from fashion_annotator.segmentation.pipeline import agreeing_cutouts
from fashion_annotator.ui.annotate.queue_order import QueueRanker
from fashion_annotator.ui.screen_fit import fit_on_show
from fashion_annotator.ui.store_away import no_answer
from fashion_annotator.ui.train.background_retrain import BackgroundRetrainer
from fashion_annotator.ui.train.model_history import ModelHistoryDialog


def install(window: Any) -> None:
    """Point Smart click at the project's click model, create the ranker and the background
    retrainer and add their Train menu entries."""
    use_project_click_model(window)
    window.ranker = QueueRanker(window.project, window)
    window.ranker.scoresChanged.connect(window.reload_queue)
    window.ranker.progress.connect(
        lambda done, total: window.status.showMessage(f"Ranking the queue: {done}/{total}", 2000))
    window.retrainer = BackgroundRetrainer(window.project, None, window.status,
                                           window.prefs.background_retrain_every(window.project.root), parent=window)  # fmt: skip
    window.retrainer.modelPromoted.connect(window._model_promoted)  # noqa: SLF001 - same window
    window.session.savedChanged.connect(lambda saved: saved and window.retrainer.check())
    history = window.train_menu.addAction("Model &history…")
    history.triggered.connect(lambda: show_history(window))
    background = window.train_menu.addAction("&Background retrain…")
    background.triggered.connect(lambda: ask_background(window))


def model_changed(window: Any, task: str, version: object) -> None:
    """Another model proposes for ``task`` now (``version``; None: the shipped one), after a
    promotion or a rollback: the open image (its proposals of ``task`` and of the parsing tasks
    that agree with it), Smart click or the instance attributes use it, and
    Review's "vs current model" scores of the previous one are dropped."""
    if task == "instance_attributes":
        window.instances.reload_models()
    elif task == CLICK_TASK:
        use_project_click_model(window)
    else:
        window.session.rerun_proposal(task)
        for other in window.project.tasks:  # a parsing proposal agrees with this cutout's
            if other != task and task in agreeing_cutouts(window.project, other):
                window.session.rerun_proposal(other, reload=False)
    if window.review is not None:
        window.review.model_changed(task)
    title = model_title(task)
    which = f"the shipped {title} model" if version is None else f"{title} model v{version}"
    window.status.showMessage(f"Now proposing with {which}", 5000)


def use_project_click_model(window: Any) -> None:
    """The window's Smart click uses its project's active click model, else the shipped one."""
    path = getattr(window.project.active_model(CLICK_TASK), "path", None)
    window.canvas.set_click_model(None if path is None else str(path))


def show_history(window: Any) -> ModelHistoryDialog | None:
    """Open the model history of the shown task; None, said in the status bar, when the store
    does not answer (a team project's server away: it raised out of the menu action)."""
    try:
        dialog = ModelHistoryDialog(window.project, window.task, window)
    except ProjectError as exc:
        window.status.showMessage(f"Model history not shown: {no_answer(window.project, exc)}", 10000)
        return None
    dialog.activeChanged.connect(window._model_promoted)  # noqa: SLF001 - same window
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed, it goes: none pile up
    dialog.show()
    return dialog


def background_dialog(window: Any) -> QInputDialog:
    """The question of :func:`ask_background`, not yet shown: its long explanation wraps (on one
    line it made the dialog 1863 px wide, its buttons off a laptop's screen)."""
    dialog = QInputDialog(window)
    dialog.setWindowTitle("Background retrain")
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(0, 10_000)
    dialog.setIntValue(window.prefs.background_retrain_every(window.project.root))
    dialog.setLabelText(background_question(window.retrainer.tasks))
    for label in dialog.findChildren(QLabel):
        label.setWordWrap(True)
    fit_on_show(dialog)
    return dialog


def background_question(tasks: tuple[str, ...]) -> str:
    """The question of :func:`background_dialog`, naming the models it retrains: "this project's
    proposal model" left it to guess which, and the task shown at the window's start was named
    although every task's corrections retrain its own model."""
    rest = ("(0: off; other projects keep their own setting). It runs at low priority and the new "
            "model is used only when it is better on the same validation images.")  # fmt: skip
    if len(tasks) == 1:
        return (f"Retrain this project's {model_title(tasks[0])} model in the background after "
                f"this many newly corrected masks {rest}")  # fmt: skip
    titles = ", ".join(model_title(task) for task in tasks)
    return (f"Retrain each task's model ({titles}) in the background after this many newly "
            f"corrected masks of that task {rest} One task retrains at a time; another whose "
            "count is reached waits for it.")  # fmt: skip


def ask_background(window: Any) -> None:
    """Ask how many newly corrected masks of a task trigger a background retrain of its model in
    this project (0: off)."""
    dialog = background_dialog(window)
    if dialog.exec():
        every = dialog.intValue()
        window.prefs.set_background_retrain_every(window.project.root, every)
        window.retrainer.set_every(every)
