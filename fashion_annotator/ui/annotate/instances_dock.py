"""Instances dock: the open image's garment instances, their categories and attributes.

The list shows each instance's colour swatch, category and attributes; selecting rows
highlights those instances on the canvas. Below it, a category box and one box per attribute
group edit the selected instance (keyboard: Alt+I the list, Alt+C the category, Alt+1..7 an
attribute box, type to pick, Delete removes the selected instance). Split (draw a line
across the instance with two clicks), split into parts, merge and delete are each one undo
step of the instance document; every change is saved at once as a new instance version.
A re-categorisation's parsing relabelling is linked to its instance step
(:mod:`.instance_links`; Undo and Redo with those links: :mod:`.instance_steps`); the split
line's clicks are taken by :mod:`.split_line`.

Instances are loaded from the store, or proposed from the image's parsing (and garment)
masks when none are saved. Only this module and ``review_instances`` know about instances
in the UI; the window calls :func:`attach`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.annotate.kept_history import KeptHistories
from fashion_annotator.core.document import PIXELS_LOADING
from fashion_annotator.core.images import ImageLoadError
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.schema import EDITED_STATUS
from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.instances.model import InstanceSet
from fashion_annotator.instances.proposer import InstanceProposer
from fashion_annotator.instances.schema import (
    instance_parsing_task,
    load_attribute_schema,
    load_instance_taxonomy,
)
from fashion_annotator.ui.annotate.image_view import SelectionHighlight
from fashion_annotator.ui.annotate.instance_buttons import button_reasons, show_boxes, show_reasons
from fashion_annotator.ui.annotate.instance_links import ParsingLinks, ParsingSeen, removed_notice
from fashion_annotator.ui.annotate.instance_proposing import (
    BackgroundProposals,
    ClassifierSlot,
    ProposalInputs,
    derive_instances,
    proposer_of,
)
from fashion_annotator.ui.annotate.instance_rows import ID_ROLE, instance_item
from fashion_annotator.ui.annotate.instance_steps import InstanceSteps
from fashion_annotator.ui.annotate.parsing_watch import ParsingWatch
from fashion_annotator.ui.annotate.split_line import SplitLine
from fashion_annotator.ui.annotate.type_to_pick import TypePicker
from fashion_annotator.ui.screen_fit import scrolled_vertically
from fashion_annotator.ui.workers import ImageJobs

if TYPE_CHECKING:  # loaded on first use: torch is not imported before the window shows
    from fashion_annotator.instances.classifier import InstanceClassifier

UNSET = "—"


class InstancesDock(InstanceSteps, QDockWidget):
    """The instance list and editor of the open image.

    Parameters
    ----------
    project : Project
    canvas : Canvas
        Where selected instances are highlighted and split lines are drawn.
    jobs : ImageJobs
        The image session's background jobs: proposals are derived there.
    classifier : InstanceClassifier or None
        Default: the shipped classifier plus the project's active attribute heads.

    Signals
    -------
    changed()
        The instances changed (edit, undo, load or proposal).
    statusChanged()
        Saving the operator's instance edits changed the image's status.
    message(str)
        A line for the status bar.
    parsingChange(str, object)
        ``task, fn``: a re-categorisation moved an instance to another parsing class; the
        window applies ``fn(mask) -> BBox`` to the parsing mask as one undo step.
    """

    changed = Signal()
    #: A save of the operator's instance edits changed the image's status (approved -> done).
    statusChanged = Signal()
    message = Signal(str)
    #: Something the operator must see (an instance removed at a save): shown longer, and
    #: after what the save itself says.
    warning = Signal(str)
    parsingChange = Signal(str, object)

    def __init__(
        self, project: Any, canvas: Any, jobs: ImageJobs, classifier: InstanceClassifier | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__("Instances", parent)
        self.setObjectName("instancesDock")
        self.project = project
        self.canvas = canvas
        self.taxonomy = load_instance_taxonomy()
        self.schema = load_attribute_schema()
        # Instances live in the SQLite project store; other backends show an empty dock.
        self.parsing_task = instance_parsing_task(project.tasks) if hasattr(project, "load_instances") else None
        self._classifiers = ClassifierSlot(classifier)  # loaded on first use, in the worker
        self.doc: InstanceDocument | None = None
        self.image_id: int | None = None
        self._image_doc: Any = None
        # The open image's model proposals (task -> Proposal): their class probabilities let the
        # share classifier name categories.
        self._proposals: dict[str, Any] = {}
        self._links, self._seen = ParsingLinks(), ParsingSeen()
        self.kept = KeptHistories()  # the image session's once attached
        self.read_only: Callable[[], bool] = lambda: False
        self.known_name: Callable[[int], str | None] = lambda _image_id: None  # the window's names
        self._highlight = SelectionHighlight()
        self._highlight.setZValue(50)
        canvas.scene().addItem(self._highlight)
        self.splitter = SplitLine(canvas, self.split_line, self.message.emit, self)
        self.watch = ParsingWatch(lambda: None if self.read_only() else self._reconcile(read=False), self)
        self.background = BackgroundProposals(jobs, self)
        self.background.proposed.connect(self._proposal_arrived)
        self.background.failed.connect(lambda text: self.message.emit(f"Instances not proposed: {text}"))
        self._build()
        self._refresh_list()

    # -- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Category", "Attributes"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.list, 1)
        form = QFormLayout()
        self.category = QComboBox()
        self.category.addItem(UNSET)
        self.category.addItems(self.taxonomy.names)
        self.picker = TypePicker(self, home=self.canvas)
        self.picker.add(self.category, self._bind_category)
        label = QLabel("&Category")
        label.setBuddy(self.category)
        form.addRow(label, self.category)
        self.attribute_boxes: dict[str, QComboBox] = {}
        for group in self.schema.groups:
            box = QComboBox()
            box.addItem(UNSET)
            box.addItems(list(group.values))
            self.picker.add(box, functools.partial(self._bind_attribute, group.name))
            key = group.key
            glabel = QLabel(f"{group.name} (Alt+{key})")
            glabel.setBuddy(box)
            QShortcut(QKeySequence(f"Alt+{key}"), self, box.setFocus, context=Qt.ShortcutContext.WindowShortcut)
            form.addRow(glabel, box)
            self.attribute_boxes[group.name] = box
        layout.addLayout(form)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, (name, text, slot) in enumerate([
            ("propose", "&Propose", self.propose),
            ("split", "Sp&lit by line", self.start_split),
            ("parts", "Split part&s", self.split_parts),
            ("merge", "&Merge", self.merge_selected),
            ("delete", "&Delete", self.delete_selected),
            ("undo", "U&ndo", self.undo),
            ("redo", "Red&o", self.redo),
        ]):  # fmt: skip
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, act=slot: act())  # not act(checked)
            grid.addWidget(button, i // 4, i % 4)
            self.buttons[name] = button
        layout.addLayout(grid)
        self.setWidget(scrolled_vertically(body))  # shorter than a small screen: it scrolls
        QShortcut(QKeySequence("Alt+I"), self, self.list.setFocus, context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.list, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip

    # -- models ------------------------------------------------------------------------------

    @property
    def classifier(self) -> InstanceClassifier | None:
        """The category classifier (with the project's active attribute heads), loaded once."""
        self._classifiers.prepare(self.project)
        classifier = self._classifiers.get()
        self._classifiers.say(self.message.emit)
        return classifier

    def reload_models(self) -> None:
        """Load the classifier again on next use (after attribute heads were promoted)."""
        self._classifiers.reset()

    # -- image lifecycle ---------------------------------------------------------------------

    def set_image(self, opened: Any) -> None:
        """Show the instances of a newly opened image (``OpenImage`` or None)."""
        self.picker.discard()  # a value typed for the image before (the window applies it first)
        self.background.cancel()
        self._keep_history()  # the image left: Undo takes its steps back when it opens again
        self._opened, self._saved_version = opened, (0, "")
        self.image_id = None if opened is None else int(opened.doc.image_id)
        self._image_doc = None if opened is None else opened.doc
        self._proposals = {} if opened is None else opened.probs
        self._links, self._seen = ParsingLinks(self._image_doc, self.parsing_task), ParsingSeen(opened, self.parsing_task, self.project)
        self.doc = None
        self.splitter.reset()
        self.watch.watch(self._image_doc, self.parsing_task)  # the list follows the mask's edits
        if opened is not None and self.parsing_task is not None:
            try:
                self._read_saved_version()
                saved = self.project.load_instances(self.image_id)
            except ProjectError as exc:  # damaged file: say so, propose nothing over it
                self.message.emit(f"Instances not loaded: {exc}")
                self._give_back_history()  # none: the kept steps go
                self._refresh_list([])
                return
            if saved is not None:
                self._set_doc(saved).mark_saved()
            self._give_back_history()  # the steps kept when the image was left, if still its own
            if saved is None:
                self.propose(save=False)
        self._refresh_list([])  # nothing chosen: instance ids are each image's own

    def _set_doc(self, iset: InstanceSet) -> InstanceDocument:
        self._seen.derived(self._image_doc)  # the parsing mask the instances hold to from now on
        self._links.check()
        self.doc = InstanceDocument(iset, self.taxonomy, self.schema, self.project.taxonomy(self.parsing_task), photo=self._photo)
        return self.doc

    def _photo(self) -> np.ndarray | None:
        """The open photo's pixels, or None while a large photo's load (for parts' colours)."""
        doc = self._image_doc
        return doc.rgb if doc is not None and doc.photo_ready else None

    def mask_replaced(self, task: str) -> None:
        """A parsing proposal arrived (or a large photo's full pixels, ``task`` the parsing
        task): propose instances if the image has none yet."""
        if task == self.parsing_task and self._image_doc is not None and (self.doc is None or not self.doc.instances):
            self.propose(save=False)

    def propose(self, save: bool = True) -> bool:
        """Propose instances from the open image's parsing (and garment) masks.

        ``save``: the operator asked (the Propose button): derived at once, one undo step over
        the instances shown, saved. Else the proposal of an image with no instances, derived in
        the background (:mod:`.instance_proposing`) and shown when it arrives.
        """
        doc = self._image_doc
        if doc is None or self.parsing_task is None or self.image_id is None:
            return False
        if save and self.read_only():
            self.message.emit("This image is read-only: another operator holds it")
            return False
        if not doc.photo_ready:  # checked first: a large photo's parsing mask is read on first use
            if save:
                self.message.emit(PIXELS_LOADING)
            return False
        inputs = self._proposal_inputs()
        if inputs is None:
            if save:
                self.message.emit("No parsing mask to derive instances from yet")
            return False
        parsing = self.project.taxonomy(self.parsing_task)
        if not save:  # the worker loads the classifier (torch): the window shows meanwhile
            self._classifiers.prepare(self.project)
            make = functools.partial(proposer_of, self._classifiers, parsing, self.taxonomy)
            return self.background.start(self.image_id, make, self._proposal_inputs, self.parsing_task, self.taxonomy.name)
        proposer = InstanceProposer(self.classifier, parsing, self.taxonomy)
        self.background.cancel()
        iset = derive_instances(proposer, inputs, self.parsing_task, self.taxonomy.name)
        if self.doc is not None:  # one undo step: the replaced instances come back
            self.doc.replace(iset)
            self._seen.derived(self._image_doc)  # the pixels it leaves in no instance join nothing
            self._links.check()
        else:
            self._set_doc(iset)
        assert self.doc is not None
        self.doc.dirty = True
        self.save()
        self._refresh_list()
        self.changed.emit()
        return True

    def _proposal_inputs(self) -> ProposalInputs | None:
        """The open image's photo, parsing and garment masks (None: no parsing pixels yet)."""
        doc = self._image_doc
        try:  # a large photo's saved masks are read on first use
            parsing = None if doc is None or self.parsing_task is None else doc.masks.get(self.parsing_task)
            garment = None if parsing is None else doc.masks.get("garment")
        except (ImageLoadError, ProjectError, ValueError) as exc:
            self.message.emit(f"Instances not proposed: {exc}")
            return None
        if parsing is None or not parsing.any():
            return None
        model = self._proposals.get(self.parsing_task or "")
        probs = None if model is None else model.coarse_probs
        return ProposalInputs(doc.rgb, parsing, garment if garment is not None and garment.any() else None, probs)

    def _proposal_arrived(self, image_id: int, iset: InstanceSet) -> None:
        """A background proposal: shown while its image is open and still has no instances, and
        saved as the model's when the image has no instance version yet (as at its opening)."""
        self._classifiers.say(self.message.emit)
        if image_id != self.image_id or (self.doc is not None and self.doc.instances):
            return
        self._set_doc(iset)
        self.flush()
        self._refresh_list()
        self.changed.emit()

    def save(self) -> bool:
        """Save the instances as a new version (nothing happens when unchanged)."""
        if self.doc is None or self.image_id is None or not self.doc.dirty or self.read_only():
            return True
        if self.doc.as_saved():  # edits that came back to the saved set: nothing to record
            self.doc.mark_saved()
            return True
        source = "operator" if self.doc.actions else "model"
        try:
            # an operator's edit moves approved back to done, new to in progress (a model's: no)
            edited = source == "operator"
            moves = edited and self.project.image(self.image_id).status in EDITED_STATUS
            version = self.project.save_instances(self.image_id, self.doc.set, source=source, edited=edited)
            self._saved_version = (version.version, version.sha256)
            if moves:
                self.statusChanged.emit()
        except (ProjectError, LeaseHeld, ValueError, OSError) as exc:
            self.message.emit(f"Instances not saved: {exc}")
            return False
        self.doc.mark_saved()
        return True

    def flush(self) -> bool:
        """Bring the instances in line with the parsing mask and save them, proposals included.

        Called when the session saved the masks (autosave, image switch, window close):
        instance pixels follow their parsing class both ways (:meth:`InstanceDocument.reconcile`).
        """
        self.commit_pending()
        if self.doc is None or self.parsing_task is None or self.read_only():
            return True
        self._reconcile()
        try:
            unsaved = bool(self.doc.instances) and not self.project.instance_versions(self.image_id or 0)
        except ProjectError:  # the server away: the save below tries, and says why it failed
            unsaved = bool(self.doc.instances)
        if unsaved:
            self.doc.dirty = True
        return self.save()

    def _reconcile(self, read: bool = True) -> None:
        """Bring the instances in line with the parsing mask (:meth:`ParsingSeen.reconcile`): at a
        save, before an instance edit, and once parsing edits pause (:mod:`.parsing_watch`)."""
        last = None if self.doc is None else self.doc.next_step("undo")
        gone = None if self.doc is None else self._seen.reconcile(self.doc, self._image_doc, read)
        if self.doc is not None:  # a removal's undo takes its mask edit back with it
            step = self.doc.next_step("undo")
            self._links.add_reconcile(None if step is last else step)
        if gone is not None:
            self._refresh_list()
            self.changed.emit()  # an instance step: Undo and Redo follow it
        if gone:  # at a save: after its own "Saved ..." line, which used to replace it at once
            self.warning.emit(removed_notice(gone, self.project, self.image_id, self.known_name))

    # -- edits -------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Ids of the selected instances, in list order."""
        return [int(it.data(0, ID_ROLE)) for it in self.list.selectedItems()]

    def select(self, ids: list[int]) -> None:
        """Select the rows of ``ids``."""
        self.list.blockSignals(True)
        self.list.clearSelection()
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None and int(item.data(0, ID_ROLE)) in ids:
                self.list.setCurrentItem(item, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
                item.setSelected(True)
        self.list.blockSignals(False)
        self._selection_changed()

    def _edit(self, fn, *args, select: list[int] | None = None, join: bool = True) -> Any:
        if self.doc is None:
            return None
        if self.read_only():
            self.message.emit("This image is read-only: another operator holds it")
            return None
        if join:  # not before an undo or redo: its own step would become the one undone
            self._reconcile(read=False)
        try:
            result = fn(*args)
        except (ValueError, KeyError) as exc:
            self.message.emit(str(exc).strip("'\""))
            return None
        self.save()
        self._refresh_list(select)
        self.changed.emit()
        return result

    def commit_pending(self) -> None:
        """Apply a category or attribute chosen by typing that waits for the typing to settle
        (:class:`~fashion_annotator.ui.annotate.type_to_pick.TypePicker`): before an undo, a
        save or another image."""
        self.picker.commit()

    def _bind_category(self) -> Callable[[], None]:
        doc, ids, name = self.doc, self.selected_ids(), self.category.currentText()
        return lambda: self._category_chosen(ids, name) if self.doc is doc else None

    def _bind_attribute(self, group: str) -> Callable[[], None]:
        doc, ids, text = self.doc, self.selected_ids(), self.attribute_boxes[group].currentText()
        return lambda: self._attribute_chosen(group, ids, text) if self.doc is doc else None

    def _category_chosen(self, ids: list[int], name: str) -> None:
        if len(ids) != 1 or name == UNSET or self.doc is None or ids[0] not in self.doc.instances:
            return
        self._edit(self.doc.recategorise, ids[0], name, self._parsing(), select=ids)
        self._relabel_parsing()

    def _parsing(self) -> np.ndarray | None:
        """The open image's parsing mask (None: none)."""
        return None if self._image_doc is None else self._image_doc.masks.get(self.parsing_task or "")

    def _attribute_chosen(self, group: str, ids: list[int], text: str) -> None:
        if self.doc is None:
            return
        for k in [k for k in ids if k in self.doc.instances]:
            self._edit(self.doc.set_attribute, k, group, None if text == UNSET else text, select=ids)

    def start_split(self) -> None:
        """Next two clicks on the canvas draw the split line across the selected instance."""
        if len(self.selected_ids()) != 1:
            self.message.emit("Select one instance to split")
            return
        self.splitter.arm()

    def split_line(self, p0: tuple[float, float], p1: tuple[float, float]) -> int | None:
        """Split the selected instance along ``p0 -> p1`` (image x, y)."""
        ids = self.selected_ids()
        if len(ids) != 1 or self.doc is None:
            return None
        new = self._edit(self.doc.split_line, ids[0], p0, p1, select=ids)
        if new is not None:
            self.select([ids[0], new])
        return new

    def split_parts(self) -> None:
        """Give each separate part of the selected instance its own instance."""
        ids = self.selected_ids()
        if len(ids) == 1 and self.doc is not None:
            new = self._edit(self.doc.split_components, ids[0], select=ids)
            if new:
                self.select([ids[0], *new])

    def merge_selected(self) -> None:
        """Merge the selected instances into the first one (with the parsing relabelling that
        brings pieces of its category on other classes to its class, as one undo step)."""
        ids = self.selected_ids()
        if len(ids) < 2:
            self.message.emit("Select two instances or more to merge")
            return
        if self.doc is not None:  # instances of one category on several classes: brought to one
            self._edit(self.doc.merge, ids, self._parsing(), select=ids[:1])
            self._relabel_parsing()

    def delete_selected(self) -> None:
        """Delete the selected instances, one undo step each, after the painted pixels' join
        (an instance it emptied is gone already, and said so, not refused)."""
        doc, ids = self.doc, self.selected_ids()
        if doc is None:
            return
        if not self.read_only():  # the join first (_edit says that a read-only image is)
            self._reconcile(read=False)
        for k in (k for k in ids if k in doc.instances):
            self._edit(doc.delete, k)

    # -- view --------------------------------------------------------------------------------

    def _refresh_list(self, select: list[int] | None = None) -> None:
        select = self.selected_ids() if select is None else select
        self.list.blockSignals(True)
        self.list.clear()
        instances = {} if self.doc is None else self.doc.instances
        parsing_names = [] if self.parsing_task is None else self.project.taxonomy(self.parsing_task).names
        for k, inst in sorted(instances.items()):
            item = instance_item(inst, self.taxonomy, self.parsing_task or "", parsing_names)
            self.list.addTopLevelItem(item)
            item.setSelected(k in select)
        self.list.resizeColumnToContents(0)
        self.list.blockSignals(False)
        self._selection_changed()

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        # a button is live only when it has something to act on (a hand test: Undo did nothing)
        show_reasons(self.buttons, button_reasons(ids, self.doc))  # greyed, says why
        one = self.doc.instances.get(ids[0]) if self.doc is not None and len(ids) == 1 else None
        show_boxes(self.category, self.attribute_boxes, ids, one is not None)  # greyed: says why
        self.category.setCurrentText(one.category if one is not None and one.category else UNSET)
        for g, box in self.attribute_boxes.items():
            value = one.attributes.get(g) if one is not None else None
            box.setCurrentText(value or UNSET)
        self._draw_highlight(ids)

    def _draw_highlight(self, ids: list[int]) -> None:
        self._highlight.show_selection(None if self.doc is None or not ids else np.isin(self.doc.map, ids))

def attach(window: Any) -> InstancesDock:
    """Add the Instances dock to ``window`` (a MainWindow) and wire it to the image session."""
    dock = InstancesDock(window.project, window.canvas, window.session.jobs, parent=window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    session = window.session
    session.savedChanged.connect(lambda saved: dock.flush() if saved else None)
    session.imageOpened.connect(dock.set_image)
    session.maskReplaced.connect(lambda task, _bbox: dock.mask_replaced(task))
    session.photoReady.connect(lambda *_: dock.mask_replaced(dock.parsing_task or ""))
    dock.message.connect(lambda text: window.status.showMessage(text, 5000))
    dock.statusChanged.connect(window.reload_queue)
    dock.warning.connect(lambda text: QTimer.singleShot(0, lambda: window.status.showMessage(text, 20000)))
    dock.parsingChange.connect(lambda task, fn: window.apply_mask_edit(fn, task=task))
    dock.read_only = window._read_only
    dock.known_name = session.known_name
    dock.kept = session.kept  # the panel's undo history kept with the masks', in their budget
    return dock
