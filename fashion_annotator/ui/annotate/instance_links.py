"""The links between instance steps and the parsing-mask steps of their relabellings.

A re-categorisation across parsing classes relabels the parsing mask; the Instances panel's
undo or redo of it, when the parsing mask's own step is out of reach (mask edits came after
it), relabels the pixels again as a new parsing step. Each such parsing step is linked to its
instance step, so that the two are undone and redone together from either view: taking one
back alone left an instance on another class's pixels, and the next save deleted it.

A link is *forward* when applying the parsing step goes with applying the instance step (the
re-categorisation's relabelling, or a panel redo's), *backward* when it goes with undoing it
(a panel undo's relabelling: Ctrl+Z on the photo takes that back with a redo of the instance
step). :class:`ParsingLinks` keeps them for the open image; the Instances dock
(:mod:`.instances_dock`) records them and asks which steps go together.

The instances following a mask edit (a reconcile: pixels that left, joined or followed an
instance, an instance its pixels left removed) are a step of their own too, linked forward to
that mask edit when it is the one step the parsing mask made since the instances were last
checked (:meth:`ParsingLinks.add_reconcile`): the panel's undo of a removal takes the mask edit
back with it (it listed the instance again without its pixels), and Ctrl+Z on the photo takes
the removal back with the edit. Such a link never holds the photo's undo back: the mask edit
undone alone, the instances removed come back at the next check.

:class:`ParsingSeen` keeps the parsing mask the instances were last checked against: the
pixels painted since join the instance of their class they touch, at a save, before the
operator's next instance edit or once the parsing mask's edits pause (:mod:`.parsing_watch`) (so a part deleted after a stroke stays deleted, its pixels in
no instance).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from fashion_annotator.annotate.session import newest_readable_mask
from fashion_annotator.dataset.display import photo_name
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.ui.shortcuts import key_name

log = logging.getLogger(__name__)

#: The other direction of a history step.
OTHER = {"undo": "redo", "redo": "undo"}

_KEYS = {"undo": "Ctrl+Z", "redo": "Ctrl+Shift+Z"}  # the defaults (shortcuts.key_name)


class ParsingLinks:
    """``{parsing step serial: (instance step, forward)}`` of the open image.

    Parameters
    ----------
    image_doc : ImageDocument or None
        The open image (None: no image, nothing is linked).
    task : str or None
        The parsing task whose history the relabellings are steps of.
    """

    def __init__(self, image_doc: Any = None, task: str | None = None) -> None:
        self.image_doc = image_doc
        self.task = task
        self._links: dict[int, tuple[object, bool]] = {}
        #: The parsing mask's serial when the instances were last checked against it (None:
        #: unknown; a reconcile then links to no mask step).
        self.checked: int | None = None

    def _history(self) -> Any:
        return None if self.image_doc is None or self.task is None else self.image_doc.history[self.task]

    def serial(self) -> int:
        """The serial of the parsing mask's newest step (0: none, or no image)."""
        history = self._history()
        return 0 if history is None else int(history.last_serial())

    def add(self, before: int, step: object | None, forward: bool) -> None:
        """Link the parsing step made since the serial was ``before`` to ``step`` (nothing when
        no step was made: the relabelling changed no pixel)."""
        serial = self.serial()
        if step is not None and serial != before:
            self._links[serial] = (step, forward)

    def check(self) -> None:
        """The instances were checked against the parsing mask as it is now."""
        self.checked = self.serial()

    def add_reconcile(self, step: object | None) -> None:
        """Link the reconcile ``step`` (None: none made) to the parsing step made since the last
        check when it is one step (a run of strokes, or a change not of a step: no link); the
        mask is the one checked from now on."""
        history, checked = self._history(), self.checked
        if step is not None and history is not None and checked is not None:
            serial = int(history.last_serial())
            if serial != checked and history.serial_before_last() == checked:
                self._links[serial] = (step, True)
        self.check()

    def absorbed(self, before: int) -> None:
        """The parsing step made since the serial was ``before`` was checked (a relabelling,
        or the parsing step of a panel undo or redo): the mask is the one checked from now on
        when it was at ``before``; else other edits are still unchecked (no link to come)."""
        self.checked = self.serial() if self.checked == before else None

    def taken(self) -> tuple[dict[int, tuple[object, bool]], Callable[[], Any]]:
        """The links, and a weak reference to the parsing history whose steps they name (it is
        not kept alive for them), to give to the image's next opening (:meth:`adopt`)."""
        history = self._history()
        return dict(self._links), (lambda: None) if history is None else weakref.ref(history)

    def adopt(self, links: dict[int, tuple[object, bool]], history: Callable[[], Any]) -> None:
        """Take the links of the image's earlier opening (:meth:`taken`) when its parsing mask
        took that opening's history back (:class:`~fashion_annotator.annotate.kept_history.
        KeptHistories`: the same steps); else they name another history's steps and go."""
        held = history()
        if held is not None and held is self._history():
            self._links.update(links)

    def instance_step(self, which: str, task: str | None = None) -> tuple[str, object] | None:
        """``(instance which, instance step)`` the parsing mask's next ``which`` goes with (None:
        none, or ``task`` is another mask's)."""
        history = self._history()
        if history is None or (task is not None and task != self.task):
            return None
        entry = self._links.get(history.last_serial() if which == "undo" else history.next_redo_serial())
        if entry is None:
            return None
        step, forward = entry
        return (which if forward else OTHER[which]), step

    def ready(self, doc: InstanceDocument | None, which: str, task: str | None = None) -> bool:
        """Whether the parsing mask's next ``which`` is linked to the instances' next step of
        the direction it goes with: the two go together (:meth:`instance_step`)."""
        pair = self.instance_step(which, task)
        return doc is not None and pair is not None and pair[1] is doc.next_step(pair[0])

    def holds_back(self, doc: InstanceDocument | None, which: str, task: str | None = None) -> bool:
        """Whether the parsing mask's next ``which`` is linked while its instance step is not
        the instances' next one: taking the pixels back alone would leave an instance on
        another class's pixels (the next save dropped it)."""
        pair = self.instance_step(which, task)
        if pair is None or doc is None or follows_mask(pair[1]):  # the next check gives them back
            return False
        return not self.ready(doc, which, task)

    def parsing_step(self, doc: InstanceDocument, which: str) -> str | None:
        """The parsing mask's ``undo`` or ``redo`` that goes with the instances' next ``which``
        (None: none; the panel then relabels the pixels as a new parsing step)."""
        step = doc.next_step(which)
        for parsing_which in (which, OTHER[which]):
            pair = self.instance_step(parsing_which)
            if pair is not None and pair[0] == which and pair[1] is step:
                return parsing_which
        return None

    def held_back_text(self, doc: InstanceDocument | None, which: str) -> str:
        """What the window says when :meth:`holds_back` stops a ``which`` on the photo."""
        pair = self.instance_step(which)
        panel = which if pair is None else pair[0]
        if pair is not None and doc is not None and not doc.holds(pair[1]):
            return (f"The next {which} here relabels pixels with an instance step that instance edits since "
                    "replaced: it cannot be taken on the photo alone (the save would remove the instance)")
        since = "instance edits came after it" if panel == "undo" else "instance steps were undone after it"
        return (f"The next {which} here is a re-categorisation's, and {since}: "
                f"{panel} those in the Instances panel first (Alt+I, then {key_name(panel, _KEYS[panel])})")  # fmt: skip


def follows_mask(step: object) -> bool:
    """Whether ``step`` (an :meth:`InstanceDocument.next_step` token) is a reconcile: the
    instances following a mask edit."""
    return getattr(step, "name", None) == "reconcile"


class ParsingSeen:
    """The parsing mask the open image's instances were last checked against.

    Parameters
    ----------
    opened : OpenImage or None
        The open image (None: no image, nothing is known).
    task : str or None
        The parsing task.
    project : ProjectStore or None
        Where a saved parsing mask not yet read (a large photo's) is read from when needed.
    """

    def __init__(self, opened: Any = None, task: str | None = None, project: Any = None) -> None:
        self.mask: np.ndarray | None = None
        self.task = task
        #: The open image's tasks with no saved mask yet (its ``fresh``, read when needed).
        self.fresh: set[str] = set() if opened is None else opened.fresh
        #: The open image's tasks with unsaved edits (a never-saved mask edited is the operator's).
        self.edited: Callable[[], set[str]] = (lambda: set()) if opened is None else (lambda: opened.edited)
        #: (project, image id, task, version) of the saved parsing mask, while not yet read.
        self._saved: tuple[Any, int, str, int] | None = None
        if opened is None or task is None or task not in opened.doc.masks or task in opened.fresh:
            return
        if not opened.doc.masks.is_read(task) and project is not None:
            versions = project.mask_versions(int(opened.doc.image_id), task)
            if versions:
                self._saved = (project, int(opened.doc.image_id), task, versions[-1].version)

    def derived(self, image_doc: Any) -> None:
        """The instances were just loaded or derived: they hold to ``image_doc``'s parsing mask
        as it is now (a saved mask not yet read is read when first needed)."""
        task = self.task
        if image_doc is not None and task is not None and task in image_doc.masks and image_doc.masks.is_read(task):
            self.mask, self._saved = image_doc.masks[task].copy(), None

    def current(self, image_doc: Any) -> np.ndarray | None:
        """``image_doc``'s parsing mask (None: it has none); a saved mask read just now, never
        edited, is the one the instances were checked against (not read a second time)."""
        task = self.task
        if image_doc is None or task is None or task not in image_doc.masks:
            return None
        unread = not image_doc.masks.is_read(task)
        parsing: np.ndarray = image_doc.masks[task]
        if unread and self._saved is not None:
            self.mask, self._saved = parsing.copy(), None
        return parsing

    def changed(self, parsing: np.ndarray) -> np.ndarray | None:
        """``(H, W) bool``: the pixels of ``parsing`` whose class changed since the last check
        (None: unknown); ``parsing`` is the one checked against from now on."""
        if self.mask is None and self._saved is not None:
            try:
                self.mask = newest_readable_mask(*self._saved, [])
            except ProjectError:  # unreadable: painted pixels are not told apart this once
                self.mask = None
            self._saved = None
        before, self.mask = self.mask, parsing.copy()
        return None if before is None or before.shape != parsing.shape else before != parsing

    def absorb(self, image_doc: Any, pixels: np.ndarray) -> None:
        """``pixels`` of ``image_doc``'s parsing mask were relabelled with their instance (a
        re-categorisation, a merge, or the panel's undo or redo of one): not painted."""
        parsing = None if image_doc is None or self.task is None else image_doc.masks.get(self.task)
        if self.mask is not None and parsing is not None and self.mask.shape == parsing.shape:
            self.mask[pixels] = parsing[pixels]

    def reconcile(self, doc: InstanceDocument, image_doc: Any, read: bool = True) -> list[str] | None:
        """Bring ``doc`` in line with ``image_doc``'s parsing mask
        (:meth:`InstanceDocument.reconcile`), the pixels painted since the last check joining
        the instance of their class they touch; the mask is the one checked against from now on.

        ``read``: a saved mask not yet read is read (a save); else (before an instance edit)
        nothing is done while it is unread or unchanged: nothing was painted.

        Returns
        -------
        list of str or None
            The instances it removed (``"3. skirt"``); None when it changed nothing.
        """
        task = self.task
        # a parsing mask never saved nor edited is the model's proposal of this opening, not
        # the operator's: the instances saved earlier are not held to it
        proposed = task in self.fresh and task not in self.edited()
        if image_doc is None or task is None or task not in image_doc.masks or proposed:
            return None
        if not read and not image_doc.masks.is_read(task):
            return None
        parsing = self.current(image_doc)
        changed = None if parsing is None else self.changed(parsing)
        if parsing is None or (not read and changed is not None and not changed.any()):
            return None
        before = dict(doc.instances)
        if not doc.reconcile(parsing, changed):
            return None
        return [f"{k}. {i.category or '?'}" for k, i in sorted(before.items()) if k not in doc.instances]


def removed_text(gone: list[str], image: str = "") -> str:
    """What the window says of the instances a reconcile removed (``gone``) from the photo
    named ``image``: short enough for the status bar of a 1280 px window (the whole line in
    its tooltip; :func:`removed_detail` for the log). It shows after the save, which may be
    the switch to the next image: the photo is named."""
    shown = ", ".join(gone[:2]) + (f" and {len(gone) - 2} more" if len(gone) > 2 else "")
    where = f" from {image}" if image else ""
    return f"Instances removed{where}: {shown} (pixels relabelled; {key_name('undo', 'Ctrl+Z')} on its photo restores)"


def removed_detail(gone: list[str], image: str = "") -> str:
    """The log's line of the instances a reconcile removed from ``image``: what happened and
    how to keep them."""
    return (f"Instances removed from {image or 'the open image'}: {', '.join(gone)} (their pixels are no longer "
            "of that class in the parsing mask; to keep them, take the mask edit back on the photo "
            f"({key_name('undo', 'Ctrl+Z')}) while this image is open: the next save gives them back)")  # fmt: skip


def removed_notice(gone: list[str], project: Any, image_id: int | None,
                   known: Callable[[int], str | None] | None = None) -> str:  # fmt: skip
    """Log :func:`removed_detail` of the instances a reconcile removed from ``image_id`` of
    ``project`` (named by :func:`photo_name`, ``known`` its names in memory); return the
    status bar's :func:`removed_text`."""
    image = photo_name(project, image_id, known)
    log.warning("%s", removed_detail(gone, image))
    return removed_text(gone, image)
