"""The Instances panel's Undo and Redo with the parsing steps linked to them (a mixin of
:class:`~.instances_dock.InstancesDock`, which owns the document, the links and the signals it
uses).

A re-categorisation across parsing classes relabels the parsing mask as a step of its own,
linked to the instance step (:mod:`.instance_links`): the panel's undo or redo takes the
linked parsing step with it, or relabels the pixels again as a new parsing step when that step
is out of reach, and an undo or redo on the photo whose parsing step is linked takes the
instance step with it (:meth:`InstanceSteps.follow`).

The steps of an image left are kept with its masks' (:mod:`~fashion_annotator.annotate.
kept_history`, the image session's keeping and budget): back at the image, its instances still
the saved version they were left at, the panel's Undo takes them back.

The instances following a mask edit (a reconcile) are linked to that edit the same way, and
kept with it: the panel's undo of a removal takes the edit back with its pixels. One whose edit
is out of reach (other mask steps after it) is refused when it would list an instance without
its pixels, and the message names the photo's undo that gives them back
(:meth:`InstanceSteps._refused`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fashion_annotator.instances.document import InstanceHistory
from fashion_annotator.instances.model import inconsistent_mask
from fashion_annotator.ui.annotate.instance_links import OTHER, follows_mask
from fashion_annotator.ui.shortcuts import key_name

if TYPE_CHECKING:
    from fashion_annotator.annotate.kept_history import KeptHistories, Saved
    from fashion_annotator.instances.document import InstanceDocument
    from fashion_annotator.ui.annotate.instance_links import ParsingLinks, ParsingSeen


def _gone() -> None:
    """No parsing history: the links of :class:`KeptSteps` name nothing."""
    return None


@dataclass
class KeptSteps(InstanceHistory):
    """The panel's steps of an image left, with their links to the parsing mask's steps
    (:meth:`ParsingLinks.taken`): back at the image, with the parsing mask's history given back
    too, an undo on the photo still takes a re-categorisation back whole."""

    links: dict[int, tuple[object, bool]] = field(default_factory=dict)
    #: A weak reference to the parsing history the links name steps of.
    parsing: Callable[[], Any] = _gone


class InstanceSteps:
    """Undo, Redo and the linked parsing steps of the Instances panel; the host provides what
    is below."""

    doc: InstanceDocument | None
    project: Any
    parsing_task: str | None
    #: The histories of the images left (the image session's once attached).
    kept: KeptHistories
    #: The open image (``OpenImage`` or None) and ``(version, SHA-256)`` of its latest saved
    #: instances (``(0, "")``: none).
    _opened: Any = None
    _saved_version: Saved = (0, "")
    _image_doc: Any
    _links: ParsingLinks
    _seen: ParsingSeen
    message: Any  # Signal(str)
    parsingChange: Any  # Signal(str, object)

    if TYPE_CHECKING:

        def commit_pending(self) -> None: ...
        def selected_ids(self) -> list[int]: ...
        def _edit(self, fn: Callable[..., Any], *args: Any, select: list[int] | None = None, join: bool = True) -> Any: ...

    def _read_saved_version(self) -> None:
        """Read the open image's latest saved instance version (before its instances are read:
        a version saved meanwhile is not taken for the one read)."""
        versions = self.project.instance_versions(self._opened.doc.image_id)
        self._saved_version = (versions[-1].version, versions[-1].sha256) if versions else (0, "")

    def _keep_history(self) -> None:
        """Keep the steps of the image being left, its instances saved and editable, for its
        return (:meth:`KeptHistories.keep_instances`)."""
        doc, opened = self.doc, self._opened
        if doc is not None and opened is not None and not opened.read_only and not doc.dirty:
            history = doc.history()
            steps = KeptSteps(history.undo, history.redo, history.actions)
            steps.links, steps.parsing = self._links.taken()
            self.kept.keep_instances(opened.doc.image_id, self._saved_version, steps, opened.photo)

    def _give_back_history(self) -> None:
        """Take the steps kept when the open image was left, when its instances are still the
        saved version they were left at; they leave the keeping either way."""
        opened = self._opened
        if opened is None or opened.read_only:
            return
        history = self.kept.give_back_instances(opened.doc.image_id, self._saved_version, opened.photo)
        if history is not None and self.doc is not None:
            self.doc.adopt_history(history)
            if isinstance(history, KeptSteps):
                self._links.adopt(history.links, history.parsing)

    def undo(self) -> None:
        """Undo the last instance operation (and the parsing relabelling it made, if any)."""
        self._history_step("undo")

    def redo(self) -> None:
        """Redo the last undone instance operation (and its parsing relabelling, if any)."""
        self._history_step("redo")


    def _relabel_parsing(self, forward: bool = True) -> None:
        """Apply the document's pending parsing relabelling (a re-categorisation across parsing
        classes, its undo or its redo) to the parsing mask as one step, so instances and parsing
        agree, linked to the instance step that asked for it (``forward``: it was made or
        redone; else undone): an undo or redo from the canvas or from the panel then takes
        both (:mod:`.instance_links`)."""
        doc = self.doc
        change = None if doc is None else doc.parsing_change
        if doc is None or change is None or self._image_doc is None or self.parsing_task is None:
            return
        doc.parsing_change = None
        before = self._links.serial()
        self.parsingChange.emit(self.parsing_task, change.apply)  # applied at once (one undo step)
        self._seen.absorb(self._image_doc, change.pixels)
        self._links.add(before, doc.next_step("undo" if forward else "redo"), forward)
        self._links.absorbed(before)

    def links(self, which: str, task: str | None = None) -> bool:
        """Whether the next ``which`` ("undo" or "redo") of ``task``'s mask (default: the
        parsing task) is a relabelling linked to the instances' next step: the two go together,
        whichever view asked (:meth:`follow`)."""
        return self._links.ready(self.doc, which, task)

    def holds_back(self, which: str, task: str | None = None) -> bool:
        """Whether the next ``which`` of ``task``'s mask is a linked relabelling while other
        instance steps stand before its instance step: taking the pixels back alone would leave
        the instance on another class's pixels (the next save dropped it)."""
        return self._links.holds_back(self.doc, which, task)

    def held_back_text(self, which: str) -> str:
        """What the window says when :meth:`holds_back` stops a canvas ``which``."""
        return self._links.held_back_text(self.doc, which)

    def follow(self, which: str) -> None:
        """A canvas ``which`` whose parsing step is linked (:meth:`links`): take it with its
        instance step (an undo of the panel's own undo redoes the instance step)."""
        pair = self._links.instance_step(which)
        if pair is None or not self.links(which):
            return
        self._take(pair[0], which)
        if pair[0] != which:
            self.message.emit(f"{'Took back' if which == 'undo' else 'Made again'} the Instances panel's "
                              "undo of a re-categorisation, with its parsing pixels")  # fmt: skip

    def _history_step(self, which: str) -> None:
        self.commit_pending()
        doc = self.doc
        if doc is None or not (doc.can_undo if which == "undo" else doc.can_redo):
            return
        parsing_which = self._links.parsing_step(doc, which)
        if parsing_which is None and self._refused(which):
            return
        self._take(which, parsing_which)

    def _refused(self, which: str) -> bool:
        """Whether the instances' next ``which`` is a reconcile whose mask edit is out of reach
        and that would list an instance on pixels of another class (the removal of instances
        whose pixels the mask still lacks): it is not taken, and the window says which undo on
        the photo gives them back."""
        doc, parsing = self.doc, None if self._image_doc is None else self._image_doc.masks.get(self.parsing_task or "")
        if doc is None or parsing is None or not follows_mask(doc.next_step(which)):
            return False
        dirty, listed = doc.dirty, set(doc.instances)
        before = inconsistent_mask(doc.set, parsing, doc.ground)
        getattr(doc, which)()
        wrong = inconsistent_mask(doc.set, parsing, doc.ground) & ~before
        names = [f"{k}. {i.category or '?'}" for k, i in sorted(doc.instances.items()) if k not in listed]
        getattr(doc, OTHER[which])()  # tried only: the step stays the next one
        doc.dirty, doc.parsing_change = dirty, None
        if not wrong.any():
            return False
        if which == "undo":
            back = ", ".join(names) if names else "instances"
            self.message.emit(f"The next undo here would list {back} without their pixels: undo the mask edit "
                              f"that took them first ({key_name('undo', 'Ctrl+Z')} on the photo gives them back)")  # fmt: skip
        else:
            self.message.emit("The next redo here would leave instances on another class's pixels: redo the mask "
                              f"edit first ({key_name('redo', 'Ctrl+Shift+Z')} on the photo)")  # fmt: skip
        return True

    def _take(self, which: str, parsing_which: str | None) -> None:
        """The instances' ``which``, with the parsing mask's linked ``parsing_which`` step, or
        else with a new relabelling step when the instance step asks for one."""
        doc = self.doc
        if doc is None or self._edit(doc.undo if which == "undo" else doc.redo, select=self.selected_ids(), join=False) is None:
            return
        if parsing_which is not None and self._image_doc is not None and self.parsing_task is not None:
            doc.parsing_change = None  # the parsing mask's own step relabels the pixels
            before = self._links.serial()
            getattr(self._image_doc, parsing_which)(self.parsing_task)
            if self._links.checked == before:  # its pixels are the instances' own: none painted
                self._seen.derived(self._image_doc)
            self._links.absorbed(before)
        else:
            self._relabel_parsing(forward=which == "redo")

