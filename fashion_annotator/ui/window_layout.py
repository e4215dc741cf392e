"""View > Reset layout: the main window's docks and tool bar back where a new window has them.

Also where the window's saved geometry and dock layout are restored at its start. A panel
dragged to another side, left floating or closed had to be brought back one by one from
View > Panels, its old size lost. The window keeps its default layout (the dock state saved
once its panels have their default widths, before the saved state is restored) and the menu
item restores it; the next save of the window state (at close) keeps the reset layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from fashion_annotator.ui.annotate import narrow_panels

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

#: The window property holding the default dock state (:func:`restore`).
DEFAULT_STATE = "defaultLayoutState"


def restore(w: MainWindow) -> None:
    """Give ``w``'s docks their default widths (:func:`.narrow_panels.fit_panels`), keep that
    layout (the one :func:`reset` restores), then restore the window's saved geometry and dock
    state (:meth:`.Preferences.window_state`)."""
    narrow_panels.fit_panels(w)
    w.setProperty(DEFAULT_STATE, w.saveState())
    geometry, state = w.prefs.window_state()
    if geometry:
        w.restoreGeometry(geometry)
    if state:
        w.restoreState(state)


def reset(w: MainWindow) -> None:
    """Put ``w``'s docks back in their default places, sizes and visibility and show the tool
    bar (View > Reset layout).

    While the Review tab shows, the Annotate tab's docks stay hidden and all of them come back
    when Annotate shows again (:func:`.window_menus.show_annotate_docks`).
    """
    state = w.property(DEFAULT_STATE)
    if not isinstance(state, QByteArray | bytes):
        return
    reviewing = w.hidden_docks is not None
    w.restoreState(state)
    w.tools_toolbar.show()
    docks = [w.queue, w.palette_dock, w.instances]
    for dock in docks:
        dock.setFloating(False)
        dock.setVisible(not reviewing)
    if reviewing:
        w.hidden_docks = docks
    narrow_panels.share_again(w)  # the state kept before the window showed has no widths yet
    w.status.showMessage("Panels and tool bar are back in their default places", 4000)
