"""The main window's actions, menus and tool bar: one table each, built onto a window.

The window keeps the slots; this module only says which action has which text, key and icon,
and where each one appears. Keys are the defaults: the Preferences dialog's overrides are
applied once the menus are built (:func:`fashion_annotator.ui.shortcuts.apply_overrides`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QMenu, QToolBar

from fashion_annotator.core.tasks import CLICK_TASK
from fashion_annotator.ui import file_menu, shortcuts, window_layout
from fashion_annotator.ui.about import show_about, show_getting_started
from fashion_annotator.ui.actions import TOOL_TIPS, TOOLS
from fashion_annotator.ui.annotate import refine_menu, version_revert
from fashion_annotator.ui.help_dialog import KEY_WHERE
from fashion_annotator.ui.key_hints import KeyHint, current_key

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

#: The plain menus: title -> action names, ``None`` for a separator.
_TOOL_ACTIONS: list[str | None] = [f"tool_{n}" for n, _, _ in TOOLS]
MENUS: dict[str, list[str | None]] = {
    "&Edit": ["undo", "redo", "go_back", None, "accept"],
    "&Tools": [*_TOOL_ACTIONS, None, "smaller", "larger"],
    "&View": ["overlay", "cutout_preview", "boundaries", "fit", "zoom_mask", "zoom_in", "zoom_out", "actual_pixels", None,
              "switch_task", "next", "previous", "next_free", None, "tab_annotate", "tab_review"],
}
#: The Train menu's actions (the loop menu adds its own after them).
TRAIN_MENU = ["train", "train_attributes", "train_clicks"]
#: The tool bar, ``None`` for a separator.
TOOLBAR: list[str | None] = [
    *_TOOL_ACTIONS, None, "undo", "redo", "save", None, "previous", "next", "accept", None,
    "overlay", "boundaries", "fit",
]  # fmt: skip


def build_actions(w: MainWindow) -> None:
    """Create the window's actions in ``w.actions_by_name`` (and the tool group ``w.tool_group``)."""
    w.actions_by_name = {}
    a = w._action
    w.tool_group = QActionGroup(w)
    for name, text, key in TOOLS:
        act = a(f"tool_{name}", text, key, lambda n=name: w.canvas.set_tool(n), name)
        act.setCheckable(True)
        act.setChecked(name == w.canvas.tool)
        shortcuts.describe(act, TOOL_TIPS[name])
        w.tool_group.addAction(act)
    a("smaller", "S&maller brush", "[", lambda: w._brush(1 / 1.25))
    a("larger", "La&rger brush", "]", lambda: w._brush(1.25))
    a("undo", "&Undo", QKeySequence.StandardKey.Undo, w.undo, "undo")
    a("redo", "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], w.redo, "redo")
    a("go_back", version_revert.ACTION_TEXT, "", lambda: version_revert.go_back(w))
    a("save", "&Save", "Ctrl+S", w.save, "save")
    a("open_server", "Open ser&ver project…", "", w.open_server_project)
    a("next", "&Next image", "PgDown", lambda: w.step(1), "next")
    a("previous", "&Previous image", "PgUp", lambda: w.step(-1), "previous")
    a("next_free", "Next free to-&do", "Ctrl+Shift+N", w.open_next_free)
    a("accept", "&Accept proposal and next", ["Ctrl+Return", "Ctrl+Enter"], w.accept, "accept")
    a("done", "Mark &done and next", "Ctrl+D", w.mark_done)
    overlay = a("overlay", "Show &overlay", "H", lambda: None, "overlay")
    overlay.setCheckable(True)
    overlay.setChecked(True)
    overlay.toggled.connect(w.canvas.set_overlay_visible)
    preview = a("cutout_preview", "&Cutout preview (the mask's pixels alone)", "V", lambda: None)
    preview.setCheckable(True)
    preview.toggled.connect(w.canvas.set_cutout_preview)
    a("boundaries", "Region &boundaries", "G", w.view_bar.boundaries.toggle, "boundaries")
    photo_key(a("switch_task", "Switch &task", "Tab", lambda: switch_task(w)), w)
    # Ctrl+1 and Ctrl+2 are the zoom keys: the tabs take the usual previous / next tab keys
    a("tab_annotate", "Annotat&e tab", "Ctrl+PgUp", lambda: show_tab(w, 0))
    a("tab_review", "&Review tab", "Ctrl+PgDown", lambda: show_tab(w, 1))
    a("fit", "&Fit to window", "Ctrl+0", w.canvas.fit_to_window, "fit")
    a("zoom_mask", "Zoom to the &mask", "Ctrl+2", w.canvas.zoom_to_mask)
    a("zoom_in", "Zoom &in", ["Ctrl++", "Ctrl+="], lambda: w.canvas.zoom_step(1))
    a("zoom_out", "Zoom o&ut", "Ctrl+-", lambda: w.canvas.zoom_step(-1))
    a("actual_pixels", "&Actual pixels", "Ctrl+1", w.canvas.actual_pixels)
    a("reset_layout", "Re&set layout", "", lambda: window_layout.reset(w))
    a("help", "&Keyboard shortcuts", "F1", w.show_help, "help")
    a("about", "&About Fashion Annotator", "", lambda: show_about(w))
    a("getting_started", "&Getting started", "", lambda: show_getting_started(w))
    a("preferences", "&Preferences…", "Ctrl+,", w.show_preferences)
    a("train", "&Retrain model…", "", w.show_training, "train")
    a("train_attributes", "Retrain instance &attributes…", "", lambda: w.show_training("instance_attributes"))
    a("train_clicks", "Retrain &click model…", "", lambda: w.show_training(CLICK_TASK))
    a("quit", "&Quit", "Ctrl+Q", w.close)
    for i in range(10):
        key = str((i + 1) % 10)
        a(f"label_{key}", f"Label {key}", key, lambda k=key: w._label_key(k))


def photo_key(action: QAction, w: MainWindow) -> QAction:
    """Make ``action``'s keys work only while the photo canvas has the keyboard focus.

    Switch task's Tab belongs to the operator's working surface: bound window-wide, it took
    Tab from every other widget (the focus never moved) and switched the task by accident.
    Elsewhere Tab moves the focus; the menu item works from anywhere.

    Parameters
    ----------
    action : QAction
        A window action (:func:`~fashion_annotator.ui.actions.make_action`).
    w : MainWindow
        The window whose canvas owns the keys.

    Returns
    -------
    QAction
        ``action``.
    """
    w.removeAction(action)
    w.canvas.addAction(action)
    action.setProperty(KEY_WHERE, "while the photo has the keyboard")
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return action


def switch_task(w: MainWindow) -> None:
    """Show the next task's mask (Tab on the photo); a project of one task has none to show,
    and Tab moves the focus on as elsewhere (it stayed on the photo, doing nothing)."""
    if len(w.taxonomies) > 1:
        w._next_task()
    else:
        w.focusNextChild()


def show_tab(w: MainWindow, index: int) -> None:
    """Show the Annotate (``index`` 0) or Review (1) tab and give its main view the keyboard:
    the photo, or the table of scored masks."""
    w.tabs.setCurrentIndex(index)
    if index == 0:
        w.canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)
    elif w.review is not None:
        w.review.table.setFocus(Qt.FocusReason.ShortcutFocusReason)


def build_menus(w: MainWindow) -> None:
    """Fill the menu bar: File, :data:`MENUS`, Refine, Train (:data:`TRAIN_MENU`) and Help.

    The operator's keys (Preferences > Keyboard) are applied last, once every named action,
    the Refine menu's included, exists.
    """
    bar = w.menuBar()
    get = w.actions_by_name.__getitem__
    w.recent_menu = None  # filled by file_menu.populate
    w.files = file_menu.populate(bar.addMenu("&File"), w)
    for title, names in MENUS.items():
        menu = bar.addMenu(title)
        for name in names:
            menu.addSeparator() if name is None else menu.addAction(get(name))
        if title == "&View":
            w.view_menu = menu
    w.refine_menu = bar.addMenu("&Refine")
    refine_menu.populate(w.refine_menu, w)
    w.train_menu = bar.addMenu("Tr&ain")
    for name in TRAIN_MENU:
        w.train_menu.addAction(get(name))
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(get("getting_started"))
    help_menu.addAction(get("help"))
    help_menu.addAction(get("about"))
    shortcuts.apply_overrides(w.actions_by_name.values(), w.prefs)


def build_toolbar(w: MainWindow) -> None:
    """Add the icon-only tool bar (:data:`TOOLBAR`) at the top of the window."""
    tools = QToolBar("Tool bar", w)
    tools.setObjectName("toolsToolbar")
    tools.setMovable(False)
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for name in TOOLBAR:
        tools.addSeparator() if name is None else tools.addAction(w.actions_by_name[name])
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)
    w.tools_toolbar = tools


def follow_panel_keys(w: MainWindow) -> None:
    """Name the current keys in the tooltips of ``w``'s boundaries box, task buttons and zoom
    field (the actions ``boundaries``, ``switch_task`` and ``fit``), after a change too."""
    get = w.actions_by_name.__getitem__
    KeyHint(w.view_bar.boundaries, "Show superpixel boundaries", " ({key})", get("boundaries"))
    for button in w.palette_dock.task_buttons():
        KeyHint(button, button.toolTip(), " ({key} on the photo switches task)", get("switch_task"))
    KeyHint(w.status.zoom, "Zoom: screen pixels per photo pixel", " ({key} fits)", get("fit"))


def add_panels_menu(w: MainWindow, docks: list[QDockWidget]) -> QMenu:
    """Add View > Panels: one check item per dock and the tool bar, to show a closed one again;
    then View > Reset layout (:func:`.window_layout.reset`).

    The items are the widgets' own toggle actions, so they stay checked exactly while the panel
    shows. Docks belong to the Annotate tab: while Review shows, their items are disabled
    (:func:`show_annotate_docks`).
    """
    w.view_menu.addSeparator()
    panels = w.view_menu.addMenu("Pane&ls")
    for dock in docks:
        panels.addAction(dock.toggleViewAction())
        _name_title_buttons(dock)
    panels.addAction(w.tools_toolbar.toggleViewAction())
    w.view_menu.addAction(w.actions_by_name["reset_layout"])
    return panels


def _name_title_buttons(dock: QDockWidget) -> None:
    """Tooltips for Qt's own float and close buttons on ``dock``'s title bar (they had none)."""
    title = dock.windowTitle()
    tips = {
        "qt_dockwidget_floatbutton": f"Float the {title} panel (double-click its title bar to dock it again)",
        "qt_dockwidget_closebutton": f"Close the {title} panel (View > Panels brings it back)",
    }
    for button in dock.findChildren(QAbstractButton):
        if button.objectName() in tips:
            button.setToolTip(tips[button.objectName()])


#: Actions that work from either tab; every other one edits or moves the Annotate tab's image
#: and is disabled while Review shows (a reviewer's Ctrl+Z undid the hidden canvas, and the
#: autosave then saved it as a new version).
BOTH_TABS = frozenset({
    "open_project", "new_project", "add_photos", "import_masks", "add_tasks", "export", "open_server",
    "help", "about", "getting_started", "preferences", "reset_layout", "train", "train_attributes", "train_clicks", "quit",
    "tab_annotate", "tab_review",
})  # fmt: skip


def show_annotate_docks(w: MainWindow, show: bool) -> None:
    """The queue, labels and instances docks, the tool bar's and the menus' editing actions
    belong to Annotate: Review gets the whole width, and its keys edit nothing unseen.

    Docks the operator closed stay closed when Annotate comes back; while hidden, their View >
    Panels items are disabled (``w.hidden_docks`` holds the ones to bring back).
    """
    annotate = current_key(w.actions_by_name["tab_annotate"])
    reason = shortcuts.why_disabled("annotate_tab", annotate)
    for name, action in w.actions_by_name.items():
        if name not in BOTH_TABS:
            shortcuts.set_enabled(action, show, reason)  # disabled in Review: says why
    w.history_actions.refresh()  # Undo and Redo: only with a step to take, and why not
    docks = (w.queue, w.palette_dock, w.instances)
    for dock in docks:  # View > Panels: greyed in Review said nothing
        shortcuts.set_enabled(dock.toggleViewAction(), show, shortcuts.why_disabled("panel_in_review", annotate))
    if not show:
        if w.hidden_docks is None:
            w.hidden_docks = [d for d in docks if d.isVisible()]
            for dock in w.hidden_docks:
                dock.hide()
    elif w.hidden_docks is not None:
        for dock in w.hidden_docks:
            dock.show()
        w.hidden_docks = None
