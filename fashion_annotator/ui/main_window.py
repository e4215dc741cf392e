"""The main window: assembles the docks, canvas, actions, menus and status bar.

The logic of the open image lives in :class:`~.image_session.ImageSession`; this module only
builds widgets (``_setup_*``) and wires their signals. Questions to the operator (restore
unsaved edits, quit although saving failed, open an image another operator holds) go through
injectable callables so tests never block on a modal dialog.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # imported when the Review tab is first shown
    from fashion_annotator.ui.annotate.queue_order import QueueRanker
    from fashion_annotator.ui.app import WindowSwitcher
    from fashion_annotator.ui.file_menu import FileActions
    from fashion_annotator.ui.review.instances import InstanceReviewPanel
    from fashion_annotator.ui.review.view import ReviewView
    from fashion_annotator.ui.train.background_retrain import BackgroundRetrainer
    from fashion_annotator.ui.train.training_dialog import RetrainDialog

from fashion_annotator.annotate.session import keeps_operator_mask
from fashion_annotator.core.journal import JournalEntry
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.display import display_name, project_title
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project, ProjectError
from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL
from fashion_annotator.ui import prompts, screen_fit, window_dialogs, window_lifecycle, window_menus
from fashion_annotator.ui.actions import ReadOnlyGuard, make_action, refresh_icons
from fashion_annotator.ui.annotate import done_check, instances_dock
from fashion_annotator.ui.annotate.banner import Banner, image_notes, standing_notes
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.annotate.history_actions import HistoryActions
from fashion_annotator.ui.annotate.image_session import LEASE_TTL_S, ImageSession, OpenImage
from fashion_annotator.ui.annotate.palette_dock import PaletteDock
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.annotate.queue_dock import QueueDock
from fashion_annotator.ui.annotate.queue_order import next_in_list
from fashion_annotator.ui.annotate.queue_refresh import QueueRefresher
from fashion_annotator.ui.annotate.status_bar import StatusBar
from fashion_annotator.ui.annotate.view_bar import ViewBar
from fashion_annotator.ui.help_dialog import HelpDialog
from fashion_annotator.ui.icons import icon
from fashion_annotator.ui.preferences import Preferences
from fashion_annotator.ui.store_away import known_name, no_answer, rejection_tip, show_notes
from fashion_annotator.ui.train import loop_menu
from fashion_annotator.ui.window_layout import restore as restore_layout

AskRestore = Callable[[list[JournalEntry]], bool]
AskQuit = Callable[[str], bool]

DEFAULT_SIZE = QSize(1400, 900)
"""The window's first size, shrunk to the screen's free area when that is smaller."""


class MainWindow(QMainWindow):
    """Annotation window of one open project.

    Signals
    -------
    projectRequested(Path)
        The operator chose another project to open (File > Open, Recent).
    newProjectRequested(Path, Path, bool, list)
        Photos folder, project folder, copy the photos, tasks (File > New project from folder).
    """

    projectRequested = Signal(object)
    newProjectRequested = Signal(object, object, bool, object)
    ranker: QueueRanker
    """Queue order by model uncertainty; set by :func:`~fashion_annotator.ui.train.loop_menu.install`."""
    retrainer: BackgroundRetrainer
    """Background retrain after saves; set by :func:`~fashion_annotator.ui.train.loop_menu.install`."""
    instance_review: InstanceReviewPanel
    """The Review tab's instances panel; set with the tab (:func:`~fashion_annotator.ui.window_dialogs.build_review_tab`)."""
    actions_by_name: dict[str, QAction]
    """Every action by name (:mod:`~fashion_annotator.ui.window_menus`; shortcuts are overridable)."""
    tool_group: QActionGroup
    recent_menu: QMenu | None
    files: FileActions
    refine_menu: QMenu
    view_menu: QMenu
    panels_menu: QMenu
    tools_toolbar: QToolBar
    train_menu: QMenu
    switcher: WindowSwitcher | None = None
    """The application's window switcher when it shows this window: another project (a folder or
    a server's) opens through it, which closes and deletes this window."""

    def __init__(
        self,
        project: Project,
        prefs: Preferences | None = None,
        *,
        ask_restore: AskRestore | None = None,
        ask_quit: AskQuit | None = None,
        ask_lease_held: Callable[[str, float, str], bool] | None = None,
        ask_stop: AskQuit | None = None,
        proposals: ProposalSource | None = None,
    ) -> None:
        super().__init__()
        self.project = project
        self.prefs = prefs or Preferences()
        self.ask_restore = ask_restore or (
            lambda entries: prompts.ask_restore(self, entries, window_lifecycle.entry_names(self, entries))
        )
        self.ask_quit = ask_quit or (lambda message: prompts.ask_quit(self, message))
        self.ask_stop = ask_stop or (lambda message: prompts.ask_stop_running(self, message))
        self.task = project.tasks[0]
        self.labels: dict[str, int] = {t: 1 for t in project.tasks}
        self.model_versions: dict[str, str | None] = {}
        self.taxonomies = {t: self.prefs.apply_colors(project.taxonomy(t)) for t in project.tasks}
        self.session = ImageSession(project, autosave_s=self.prefs.autosave_interval_s,
                                    ask_lease_held=ask_lease_held or (lambda h, e, i: prompts.ask_lease_held(self, h, e, i)),
                                    proposals=proposals, parent=self)  # fmt: skip
        self.session.proposals.set_one_pass(self.prefs.fast_proposals)
        self.open_record: ImageRecord | None = None  # the open image's, read as it opened
        self.session.known_name = lambda image_id: known_name(self, image_id)
        self._update_title()
        self._setup_central()
        self._setup_docks()
        window_menus.build_actions(self)
        window_menus.build_menus(self)
        window_menus.build_toolbar(self)
        self._setup_status()
        window_menus.follow_panel_keys(self)
        self._setup_session()
        self.instances = instances_dock.attach(self)
        self.instances.list.setAccessibleName("Instances of the photo")  # the dock's file is full
        self.panels_menu = window_menus.add_panels_menu(self, [self.queue, self.palette_dock, self.instances])
        self.history_actions = HistoryActions(self)
        loop_menu.install(self)
        self.resize(self._screen_area().size().boundedTo(DEFAULT_SIZE))
        restore_layout(self)  # the default layout kept (View > Reset layout), the saved one shown
        self.fit_to_screen()
        window_lifecycle.restore_working_state(self)
        self.reload_queue()

    # -- builders -------------------------------------------------------------------------

    def _setup_central(self) -> None:
        self.canvas = Canvas()
        self.canvas.set_overlay_opacity(self.prefs.overlay_opacity)
        self.canvas.viewport().installEventFilter(
            ReadOnlyGuard(self._read_only, lambda m: self.status.showMessage(m, 3000), self)
        )
        self.banner = Banner()
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        self.view_bar = ViewBar(self.prefs.overlay_opacity)
        annotate = QWidget()
        layout = QVBoxLayout(annotate)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view_bar)
        layout.addWidget(self.canvas, 1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(annotate, icon("brush"), "Annotate")
        self.review: ReviewView | None = None
        self.tabs.addTab(QWidget(), icon("review"), "Review")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)
        self.view_bar.opacityChanged.connect(self._set_opacity)
        self.view_bar.boundariesToggled.connect(self._set_boundaries)
        self.view_bar.levelChanged.connect(self._choose_level)
        #: The superpixel level the operator chose: kept from image to image, like a brush size.
        self.region_level = DEFAULT_LEVEL

    def _setup_docks(self) -> None:
        self.queue = QueueDock(self, home=self.canvas)
        self.queue.model.name_of = self.display_name
        self.queue.model.note_of = lambda image_id: rejection_tip(self.project, image_id)
        self.hidden_docks: list | None = None
        self.palette_dock = PaletteDock(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.queue)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.palette_dock)
        self.palette_dock.set_tasks([(t, task_title(t)) for t in self.project.tasks], self.task)
        self.palette_dock.set_taxonomy(self.taxonomies[self.task], self.labels[self.task])
        self.queue.imageActivated.connect(self.open_image)
        self.queue.filterChanged.connect(self.reload_queue)
        self.palette_dock.labelChosen.connect(self.set_label)
        self.palette_dock.taskChosen.connect(self.set_task)
        self.queue_refresh = QueueRefresher(self)

    def _action(self, name: str, text: str, keys, slot, icon_name: str | None = None) -> QAction:
        """Create the action ``name`` and register it in :attr:`actions_by_name`."""
        self.actions_by_name[name] = make_action(self, name, text, keys, slot, icon_name)
        return self.actions_by_name[name]

    def _setup_status(self) -> None:
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._cursor: tuple[int, int] = (-1, -1)
        self.canvas.cursorMoved.connect(self._cursor_moved)
        self.canvas.edited.connect(lambda _: self._cursor_moved(*self._cursor))  # the label under it changed
        self.canvas.toolChanged.connect(self._tool_changed)
        self.canvas.labelPicked.connect(self.set_label)
        self.canvas.message.connect(lambda text: self.status.showMessage(text, 6000))
        self.canvas.zoomChanged.connect(self.status.set_zoom)
        self.canvas.brushRadiusChanged.connect(self._brush_radius_changed)

    def _setup_session(self) -> None:
        s = self.session
        s.imageOpened.connect(self._image_opened)
        s.photoReady.connect(self._photo_ready)
        s.maskReplaced.connect(self._mask_replaced)
        s.regionsReady.connect(self._regions_ready)
        s.savedChanged.connect(self._saved)
        s.undoneToSaved.connect(lambda: self.status.set_saved(True))
        s.undoneToSaved.connect(lambda: self.instances.flush())  # as saved again: held to the saved mask
        s.recovered.connect(lambda: self._saved(not self.session.unsaved, recovered=True))
        s.message.connect(lambda text: self.status.say(text, 5000))  # a save's "it was Done..." is long
        s.loading.connect(self.status.showMessage)  # "Loading photo NAME…" (the banner would move the photo)
        s.error.connect(self._show_error)
        s.modelInfo.connect(self._model_info)
        s.readOnlyChanged.connect(lambda opened: show_notes(self.banner, self.project, opened))
        s.jobs.busyChanged.connect(self.status.set_proposal_busy)

    # -- queue and navigation -------------------------------------------------------------

    def reload_queue(self, only_if_changed: bool = False) -> None:
        """Refill the queue from the store (:meth:`.QueueRefresher.reload`)."""
        self.queue_refresh.reload(only_if_changed)

    def finish_edits(self) -> None:
        """End what is in progress before a save or another image: a canvas stroke, drag or open
        polygon (said after the save's line), a value typed into the Instances panel."""
        self.status.said_again(self.canvas.message, self.canvas.finish_edit)
        self.instances.commit_pending()

    def open_image(self, image_id: int) -> bool:
        """Save the open image and open ``image_id``."""
        self.finish_edits()
        ok = self.session.open_image(image_id, self.task)
        if not self.queue_refresh.reload(only_if_changed=True) and self.session.image_id is not None:
            self.queue.select(self.session.image_id)  # nothing committed: the rows stay (153 ms at 1,797)
        return ok

    def step(self, delta: int) -> bool:
        """Open the next (``delta=1``) or previous (``-1``) image of the queue."""
        ids = [r.id for r in self.queue.model.records()]
        if not ids:
            return False
        current = self.session.image_id
        i = ids.index(current) + delta if current in ids else 0
        if not 0 <= i < len(ids):
            self.status.showMessage(self.queue.end_text(delta, current), 8000)
            return False
        return self.open_image(ids[i])

    def open_next_free(self) -> bool:
        """Open the next to-do image that no other operator has open, claimed atomically (on a
        shared project two operators never get the same one); a claim the window could not open
        (a photo still loading) is given back, not left to lapse in a minute."""
        try:
            record = self.project.claim_next(ttl_s=LEASE_TTL_S)
        except ProjectError as exc:
            self.status.showMessage(str(exc), 5000)
            return False
        if record is None:
            self.status.showMessage("Nothing free to do: every to-do image is open elsewhere", 5000)
            return False
        if self.open_image(record.id) or self.session.image_id == record.id:
            return True
        with contextlib.suppress(ProjectError):  # else it lapses on its own
            self.project.release_lease(record.id)
        return False

    def _image_opened(self, opened: OpenImage | None) -> None:
        if opened is None:
            self.canvas.set_document(None)
            return
        self.canvas.set_document(opened.doc, self.task, self.taxonomies[self.task])
        self.canvas.set_label(self.labels[self.task])
        self.view_bar.set_levels(0, 0)
        record = self.open_record = self.project.image(int(opened.doc.image_id))
        self.banner.show_lines(image_notes(self.project, opened))
        self._update_title(self.display_name(record))
        self.queue.select(record.id)
        self.prefs.set_last_image(self.project.root, record.id)
        if not opened.doc.photo_ready:
            self.status.showMessage("Preview shown; loading the full-resolution photo…", 3000)

    def _photo_ready(self, opened: OpenImage, pyramid) -> None:
        if self.canvas.document is opened.doc:
            self.canvas.show_photo(pyramid)
            self.status.showMessage("Full-resolution photo loaded", 3000)

    def _mask_replaced(self, task: str, bbox) -> None:
        if task == self.canvas.task:
            self.canvas.refresh_overlay(bbox)

    def _regions_ready(self, hierarchy) -> None:
        self.view_bar.set_levels(hierarchy.num_levels, self.region_level)
        self._set_level(self.view_bar.level.value())

    # -- editing --------------------------------------------------------------------------

    def set_task(self, task: str) -> None:
        """Show and edit ``task``'s mask of the open image."""
        if task == self.task or task not in self.taxonomies:
            return
        if not self.session.read_mask(task):
            self.palette_dock.set_current_task(self.task)
            return
        self.task = task
        self.prefs.set_last_task(self.project.root, task)
        self.palette_dock.set_current_task(task)
        self.palette_dock.set_taxonomy(self.taxonomies[task], self.labels[task])
        if self.session.current is not None:
            self.canvas.set_task(task, self.taxonomies[task])
        self.canvas.set_label(self.labels[task])
        self.status.set_model(self.model_versions.get(task), task in self.model_versions)
        self._cursor_moved(*self._cursor)

    def _next_task(self) -> None:
        """Show the next task's mask (Tab on the photo, :func:`.window_menus.photo_key`)."""
        tasks = list(self.taxonomies)
        self.set_task(tasks[(tasks.index(self.task) + 1) % len(tasks)])

    def set_label(self, label: int) -> None:
        """Paint ``label`` of the current task from now on."""
        if not 0 <= label < self.taxonomies[self.task].num_classes:
            return
        self.labels[self.task] = label
        self.prefs.set_last_label(self.project.root, self.task, self.taxonomies[self.task].names[label])
        self.canvas.set_label(label)
        self.palette_dock.set_current(label)

    def _label_key(self, key: str) -> None:
        for cls in self.taxonomies[self.task].classes:
            if cls.shortcut == key:
                self.set_label(cls.id)
                return

    def _brush(self, factor: float) -> None:
        self.canvas.set_brush_radius(self.canvas.brush_radius * factor)

    def _brush_radius_changed(self, radius: float) -> None:
        self.prefs.brush_radius = radius
        self.status.set_tool(self.canvas.tool, radius)

    def undo(self) -> None:
        """Undo the shown task's last step, or the instances' while their panel has the focus."""
        self._history_step("undo")

    def redo(self) -> None:
        """Redo the last undone step of the shown task, or of the instances (see :meth:`undo`)."""
        self._history_step("redo")

    def _history_step(self, which: str) -> None:
        if self.session.current is not None and not self.session.current.read_only:
            self.instances.commit_pending()  # a category typed a moment ago is one step first
            focus = QApplication.focusWidget()
            in_instances = focus is not None and self.instances.isAncestorOf(focus)
            # a re-categorisation's parsing relabelling is undone with its instance step
            busy = self.canvas.tool_busy
            if not in_instances and not busy and self.instances.holds_back(which, self.task):
                self.status.showMessage(self.instances.held_back_text(which), 8000)
                return
            if in_instances:
                getattr(self.instances, which)()
            elif not busy and self.instances.links(which, self.task):
                self.instances.follow(which)
            else:
                self.history_actions.canvas_step(which)

    def save(self) -> bool:
        """Save the open image now."""
        self.finish_edits()
        ok = self.session.save()
        self.reload_queue(only_if_changed=True)
        return ok

    def accept(self) -> bool:
        """Take the shown task's proposal as the mask, mark the image done, open the next.

        A mask the operator edited (now, or in a save that logged edits) is kept and marked
        done instead: Ctrl+Enter out of habit never throws corrections away.
        """
        self.finish_edits()
        cur = self.session.current
        if cur is None or cur.read_only:
            return False
        if cur.doc.proposal(self.task) is None:
            self.status.showMessage("No proposal for this image yet", 3000)
            return False
        keep = keeps_operator_mask(self.project, cur, self.task)
        if not keep:
            cur.doc.accept_proposal(self.task)  # the document announces it: repaint, journal
        done = self.mark_done()
        if keep and done:  # a refusal's own message stays
            self.status.showMessage("Your edits were kept, not the proposal: marked done", 6000)
        return done

    def mark_done(self) -> bool:
        """Save every task of the open image as done and open the next image: the one after it
        in the list as it was (most useful first moves a done image to the list's end)."""
        self.finish_edits()
        before = [r.id for r in self.queue.model.records()]
        try:
            if self.session.current is None or not done_check.go_on(self) or not self.session.save(status="done"):
                return False
        except ProjectError as exc:  # QA's last decision not read: nothing saved (the crash dialog)
            self._show_error(f"Not marked done: {no_answer(self.project, exc)}; your edits are kept")
            return False
        self.reload_queue(only_if_changed=True)
        nxt = next_in_list(before, self.session.image_id, [r.id for r in self.queue.model.records()])
        return (self.open_image(nxt) if nxt is not None else self.step(1)) or True

    def apply_mask_edit(self, fn, *args, task: str | None = None) -> None:
        """Run ``fn(mask, *args) -> BBox | None`` on the shown (or ``task``'s) mask as one undo step."""
        self.canvas.finish_edit()  # a drag in progress ends first: its preview is not the mask's
        cur = self.session.current
        if cur is None or cur.read_only:
            return
        cur.doc.apply(task or self.task, fn, *args)  # the document announces it: repaint, journal

    def _read_only(self) -> bool:
        return self.session.current is not None and self.session.current.read_only

    # -- view -----------------------------------------------------------------------------

    def _set_opacity(self, value: float) -> None:
        self.canvas.set_overlay_opacity(value)
        self.prefs.overlay_opacity = value

    def _set_boundaries(self, visible: bool) -> None:
        self.canvas.set_boundaries_visible(visible)
        self.prefs.boundaries_visible = visible

    def _choose_level(self, level: int) -> None:
        self.region_level = int(level)
        self._set_level(level)

    def _set_level(self, level: int) -> None:
        cur = self.session.current
        if cur is None or cur.hierarchy is None:
            return
        self.canvas.set_regions(cur.hierarchy.levels[level])
        self.view_bar.set_level_text(f"{cur.hierarchy.num_regions(level)} regions")

    def _cursor_moved(self, x: int, y: int) -> None:
        self._cursor = (x, y)
        value = self.canvas.label_at(x, y) if x >= 0 else None
        taxonomy = self.taxonomies[self.task]
        name = (
            None
            if value is None
            else (taxonomy.classes[value].name if value < taxonomy.num_classes else f"#{value}")
        )
        self.status.set_cursor(x, y, name)
        self.session.note_activity()

    def _tool_changed(self, name: str) -> None:
        self.status.set_tool(name, self.canvas.brush_radius)
        self.prefs.last_tool = name
        action = self.actions_by_name.get(f"tool_{name}")
        if action is not None:
            action.setChecked(True)

    def _model_info(self, task: str, device: str, version: object) -> None:
        self.model_versions[task] = None if version is None else str(version)
        self.status.set_device(device)
        self.status.set_model(self.model_versions.get(self.task), self.task in self.model_versions)

    def _tab_changed(self, index: int) -> None:
        self.show_annotate_docks(index == 0)
        if index != 1:
            self.session.resume_lease()
            return
        self.finish_edits()  # a stroke in progress ends first: the save below takes it
        try:
            if self.review is None:
                window_dialogs.build_review_tab(self)
            assert self.review is not None
            self.session.pause_lease()  # saved, and free for the operator it may be sent back to
            self.review.show_again()  # and the instance panel's figures of the images that changed
        except ProjectError as exc:  # the store does not answer (a crash dialog before)
            self.status.showMessage(f"Review was not read: {exc}; show it again to retry", 10000)

    def _review_open(self, image_id: int) -> None:
        self.tabs.setCurrentIndex(0)
        if self.open_image(image_id) and self.review is not None:
            self.set_task(self.review.task)  # the mask the reviewer looked at (it showed the last one used)

    def _decision_recorded(self, image_id: int, _decision: str) -> None:
        """A QA decision was saved: the queue, the instance review (the image's figures too: a
        colleague's edit just before the decision) and, when the image is the open one, its
        banner (the reject reason) show it at once (the queue reads the rows this window
        changed again, not every row: about 1 s at 20,000 images)."""
        self.reload_queue(only_if_changed=True)
        try:
            self.instance_review.follow(self.project.images(ids=[image_id], fetch_photos=False), False)
            opened = self.session.current
            if opened is not None and self.session.image_id == image_id:
                self.banner.show_lines(image_notes(self.project, opened))
        except ProjectError as exc:  # recorded, then the store went away: shown at the next refresh
            self.status.showMessage(f"The decision was recorded; {no_answer(self.project, exc)}", 8000)

    # -- dialogs (built in window_dialogs) ------------------------------------------------

    def show_help(self) -> HelpDialog:
        """Open the (non-modal) shortcut help."""
        return window_dialogs.show_help(self)

    def open_server_project(self, url: str | None = None) -> MainWindow | None:
        """Open a PostgreSQL project in a new window (:func:`.window_dialogs.open_server_project`)."""
        return window_dialogs.open_server_project(self, url)

    def show_preferences(self) -> None:
        """Edit the preferences and apply them."""
        window_dialogs.show_preferences(self)

    def show_training(self, task: str | None = None) -> RetrainDialog:
        """Open the retraining dialog for ``task`` (default: the shown task)."""
        return window_dialogs.show_training(self, task)

    def _model_promoted(self, task: str, version: object) -> None:
        loop_menu.model_changed(self, task, version)

    def _show_error(self, text: str) -> None:
        """Show ``text`` in the status bar and the banner; the image's standing notes stay above
        it (why it is read-only, why QA rejected it: a refused Mark done hid the reason), a
        failed save its error (:attr:`.ImageSession.pinned_errors`)."""
        self.status.showMessage(text, 10000)
        cur = self.session.current
        keep = standing_notes(self.project, cur) if cur is not None else []
        pinned = [line for line in self.session.pinned_errors if line != text]  # a failed save stays
        self.banner.show_lines([*keep, *pinned, text])

    def _saved(self, saved: bool, recovered: bool = False) -> None:
        """A save went through (or, ``recovered``, the store answers again): an error shown
        before it (a lease not renewed) is over; a save that failed stays shown until one works."""
        self.status.set_saved(saved)
        if (saved or recovered) and self.session.current is not None:
            pinned = [] if saved else self.session.pinned_errors
            self.banner.show_lines([*standing_notes(self.project, self.session.current), *pinned])

    # -- start and end --------------------------------------------------------------------

    def start(self) -> None:
        """Offer to restore journalled edits, then open the first image to work on."""
        window_lifecycle.start(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Close unless the operator keeps the window open (:func:`.window_lifecycle.close`)."""
        if window_lifecycle.close(self):
            event.accept()
        else:
            event.ignore()

    # -- names, title, size, appearance ---------------------------------------------------

    def display_name(self, record) -> str:
        """How ``record`` is named to the operator (relative to the project's photos)."""
        return display_name(record.name, self.project.root)

    def _update_title(self, image: str | None = None) -> None:
        # The application name is added by Qt (applicationDisplayName); no repeat here.
        project = project_title(self.project.root)
        self.setWindowTitle(project if image is None else f"{image} — {project}")

    def _screen_area(self) -> QRect:
        screen = self.screen() or self.window().screen()
        return screen.availableGeometry()

    def fit_to_screen(self) -> None:
        """Shrink and move the window so all of it lies on the screen's free area."""
        screen_fit.fit_to_area(self, self._screen_area())

    def show_annotate_docks(self, show: bool) -> None:
        """Show or hide the Annotate tab's docks (:func:`.window_menus.show_annotate_docks`)."""
        window_menus.show_annotate_docks(self, show)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            refresh_icons(self.actions_by_name.values())
            self.tabs.setTabIcon(0, icon("brush"))
            self.tabs.setTabIcon(1, icon("review"))
        super().changeEvent(event)
