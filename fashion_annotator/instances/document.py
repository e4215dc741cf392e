"""Editing instances with undo: split, merge, re-categorise, set attributes, delete.

Every operation is one undo step and keeps the instances consistent with the parsing mask:
an instance's pixels always carry its parsing class. Merging across parsing classes is refused,
but for instances of one category, brought to its class. Re-categorising into a category of
another parsing class (or picking again the category of an instance on another class's pixels,
or such a merge) returns the pixels the parsing mask must relabel, see :class:`ParsingChange`,
and undoing or redoing that step leaves the reverse or the same relabelling in
:attr:`InstanceDocument.parsing_change`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.masks import BBox
from fashion_annotator.instances.colour import dominant_colours
from fashion_annotator.instances.derive import MIN_AREA_FRAC
from fashion_annotator.instances.model import (
    Instance,
    InstanceSet,
    accessory_ground,
    inconsistent_mask,
    instance_classes,
)
from fashion_annotator.instances.painted import painted_joins
from fashion_annotator.instances.schema import MAX_INSTANCES, AttributeSchema, InstanceTaxonomy


@dataclass(frozen=True)
class ParsingChange:
    """Parsing pixels to relabel after a re-categorisation: ``pixels`` (H, W) bool -> ``label``,
    one class, or ``(pixels.sum(),) uint8`` values in the row-major order of ``pixels`` (the
    classes an undo gives back: an accessory's pixels lie on skin, hair, ...).

    ``expect`` (one class, or values in the order of ``label``) is the class each pixel has
    when the change was made: a pixel the operator painted since keeps its new class
    (:meth:`apply`). None: every pixel is relabelled."""

    pixels: np.ndarray
    label: int | np.ndarray
    expect: int | np.ndarray | None = None

    def apply(self, mask: np.ndarray) -> BBox | None:
        """Relabel ``mask`` in place where a pixel still has its expected class; return the
        box of ``pixels`` (None when empty)."""
        current = mask[self.pixels]
        label = np.broadcast_to(np.asarray(self.label, dtype=mask.dtype), current.shape)
        hold = np.ones(current.shape, bool) if self.expect is None else current == self.expect
        mask[self.pixels] = np.where(hold, label, current)
        return BBox.of(self.pixels)


@dataclass
class _Step:
    bbox: BBox | None
    before_patch: np.ndarray | None
    after_patch: np.ndarray | None
    before: dict[int, Instance]
    after: dict[int, Instance]
    name: str
    #: (forward, backward): the parsing relabelling the step made, and the one that undoes it.
    parsing: tuple[ParsingChange, ParsingChange] | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the step holds (map patches, relabelled pixels and classes)."""
        arrays = [self.before_patch, self.after_patch]
        for change in self.parsing or ():
            arrays += [change.pixels, np.asarray(change.label), np.asarray(change.expect)]
        return sum(int(a.nbytes) for a in arrays if a is not None)


@dataclass
class InstanceHistory:
    """An :class:`InstanceDocument`'s undo history taken out (:meth:`InstanceDocument.history`)
    to be given to a later document of the same photo opened at the same saved instances
    (:meth:`InstanceDocument.adopt_history`): the operator leaves a photo and comes back.

    Attributes
    ----------
    undo : list of _Step
        The steps Undo takes, oldest first.
    redo : list of _Step
        The steps Redo takes, the next one last.
    actions : int
        The operator's edits among the steps made (:attr:`InstanceDocument.actions`).
    """

    undo: list[_Step]
    redo: list[_Step]
    actions: int

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the steps hold."""
        return sum(step.nbytes for step in (*self.undo, *self.redo))


class InstanceDocument:
    """The instances of the open image, with an undo stack.

    Parameters
    ----------
    iset : InstanceSet
    taxonomy : InstanceTaxonomy
    schema : AttributeSchema
    parsing_taxonomy : Taxonomy
    photo : callable, optional
        ``photo()`` -> the ``(H, W, 3) uint8`` photo, or None while its pixels are not there:
        a split or a merge names each resulting instance's colour from its own pixels
        (:meth:`_recolour`). Without it colours stay as they were.
    """

    def __init__(
        self, iset: InstanceSet, taxonomy: InstanceTaxonomy, schema: AttributeSchema, parsing_taxonomy: Taxonomy,
        photo: Callable[[], np.ndarray | None] | None = None,
    ) -> None:  # fmt: skip
        self.set = iset
        self.photo = photo
        self.taxonomy = taxonomy
        self.schema = schema
        self.parsing_taxonomy = parsing_taxonomy
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self.dirty = False
        self.actions = 0
        self._saved: tuple[np.ndarray, dict[int, Instance]] | None = None
        #: The parsing classes an accessory (``parsing_class`` 0) instance may lie on.
        self.ground = accessory_ground(parsing_taxonomy, taxonomy)
        #: The parsing relabelling the last :meth:`recategorise`, :meth:`undo` or :meth:`redo`
        #: asks of the parsing mask (None: none); the caller applies it.
        self.parsing_change: ParsingChange | None = None

    # -- undo machinery ----------------------------------------------------------------------

    @property
    def map(self) -> np.ndarray:
        """The ``(H, W) uint8`` instance map."""
        return self.set.map

    @property
    def instances(self) -> dict[int, Instance]:
        """``{id: Instance}``."""
        return self.set.instances

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _record(
        self,
        name: str,
        before: dict[int, Instance],
        bbox: BBox | None,
        before_patch: np.ndarray | None,
        parsing: tuple[ParsingChange, ParsingChange] | None = None,
        edit: bool = True,
    ) -> None:
        after_patch = None if bbox is None else self.map[bbox.slices].copy()
        self._undo.append(_Step(bbox, before_patch, after_patch, before, copy.deepcopy(self.instances), name, parsing))
        self._redo.clear()
        self.dirty = True
        self.actions += int(edit)
        self.parsing_change = None if parsing is None else parsing[0]

    def _apply(self, step: _Step, forward: bool) -> None:
        if step.bbox is not None:
            self.map[step.bbox.slices] = step.after_patch if forward else step.before_patch
        self.set.instances = copy.deepcopy(step.after if forward else step.before)
        self.parsing_change = None if step.parsing is None else step.parsing[0 if forward else 1]
        self.dirty = True

    def next_step(self, which: str) -> object | None:
        """The step :meth:`undo` (``which="undo"``) or :meth:`redo` would take (an opaque token,
        the same object while the step lives; None when there is none): a view links it to the
        parsing-mask step its relabelling made, so that either undo takes both back."""
        stack = self._undo if which == "undo" else self._redo
        return stack[-1] if stack else None

    def holds(self, step: object) -> bool:
        """Whether ``step`` (a :meth:`next_step` token) can still be undone or redone."""
        return any(s is step for s in self._undo) or any(s is step for s in self._redo)

    def history(self) -> InstanceHistory:
        """The undo history, to give to another document of this photo (:meth:`adopt_history`);
        this document should not be edited afterwards (the two would share steps)."""
        return InstanceHistory(list(self._undo), list(self._redo), self.actions)

    def adopt_history(self, kept: InstanceHistory) -> None:
        """Take ``kept`` (:meth:`history` of an earlier document of this photo) as this
        document's history: Undo takes back the steps made before. The caller makes sure this
        document holds the instances the earlier one held when it was taken (the same saved
        version); an undo then differs from the saved set, and is saved as an operator's edit
        when the steps held one.

        Raises
        ------
        RuntimeError
            This document has steps of its own.
        """
        if self._undo or self._redo:
            raise RuntimeError("adopt_history on an instance document with steps of its own")
        self._undo, self._redo = list(kept.undo), list(kept.redo)
        self.actions += kept.actions

    def undo(self) -> str | None:
        """Undo the last operation; return its name (None when there was none)."""
        if not self._undo:
            self.parsing_change = None
            return None
        step = self._undo.pop()
        self._apply(step, forward=False)
        self._redo.append(step)
        return step.name

    def redo(self) -> str | None:
        """Redo the last undone operation; return its name (None when there was none)."""
        if not self._redo:
            self.parsing_change = None
            return None
        step = self._redo.pop()
        self._apply(step, forward=True)
        self._undo.append(step)
        return step.name

    def mark_saved(self) -> None:
        """Forget the unsaved flag: the store holds the set as it is now (saved, or loaded from
        its latest version); :meth:`as_saved` compares with it from now on."""
        self.dirty = False
        self._saved = (self.map.copy(), copy.deepcopy(self.instances))

    def as_saved(self) -> bool:
        """Whether the set is what the store last held (:meth:`mark_saved`), whatever steps led
        back to it: a parsing stroke's reconcile and the stroke's undo leave nothing to save
        (saving them anyway recorded an operator's edit and moved the image to In progress)."""
        if self._saved is None:
            return False
        saved_map, saved_instances = self._saved
        return self.instances == saved_instances and np.array_equal(self.map, saved_map)

    def _box_of(self, ids: list[int]) -> BBox:
        box = BBox.of(np.isin(self.map, ids))
        if box is None:
            raise ValueError(f"instances {ids} have no pixels")
        return box

    def _get(self, instance_id: int) -> Instance:
        try:
            return self.instances[instance_id]
        except KeyError:
            raise KeyError(f"no instance {instance_id}; instances: {sorted(self.instances)}") from None

    # -- operations --------------------------------------------------------------------------

    def replace(self, iset: InstanceSet) -> None:
        """Replace every instance with ``iset`` (new proposals) as one undo step that is not an
        operator edit: Undo brings back the instances it replaced, the operator's categories and
        attributes included."""
        if iset.map.shape != self.map.shape:
            raise ValueError(f"instance map {iset.map.shape} does not fit the image {self.map.shape}")
        box = BBox(0, 0, *self.map.shape)
        before, patch = copy.deepcopy(self.instances), self.map.copy()
        self.map[...] = iset.map
        self.set.instances = copy.deepcopy(iset.instances)
        self._record("propose", before, box, patch, edit=False)

    def split_line(self, instance_id: int, p0: tuple[float, float], p1: tuple[float, float]) -> int:
        """Split an instance along the line through ``p0`` and ``p1`` (x, y); return the new id.

        Pixels left of the directed line ``p0 -> p1`` stay; the others form a new instance with
        the same category and attributes, each part's colour named from its own pixels
        (:meth:`_recolour`). ``ValueError`` when one side would be empty.
        """
        inst = self._get(instance_id)
        box = self._box_of([instance_id])
        sub = self.map[box.slices]
        ys, xs = np.mgrid[box.y0 : box.y1, box.x0 : box.x1]
        (x0, y0), (x1, y1) = p0, p1
        side = (x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0) > 0
        own = sub == instance_id
        moved = own & side
        if not moved.any() or moved.sum() == own.sum():
            raise ValueError(f"the line does not cross instance {instance_id}")
        return self._new_from(inst, box, moved, "split")

    def split_components(self, instance_id: int) -> list[int]:
        """Give each 8-connected part of an instance but the largest its own instance; specks
        (under :data:`~fashion_annotator.instances.derive.MIN_AREA_FRAC` of the photo, the
        smallest instance a proposal keeps) stay with the instance."""
        inst = self._get(instance_id)
        box = self._box_of([instance_id])
        labels, n = ndimage.label(self.map[box.slices] == instance_id, structure=np.ones((3, 3)))
        if n < 2:
            raise ValueError(f"instance {instance_id} is in one piece")
        sizes = np.bincount(labels.ravel())[1:]
        keep = int(np.argmax(sizes)) + 1
        least = max(1, int(np.ceil(MIN_AREA_FRAC * self.map.size)))
        parts = [p for p in range(1, n + 1) if p != keep and sizes[p - 1] >= least]
        if not parts:
            raise ValueError(
                f"instance {instance_id} has no other part of {least} pixels or more (smaller specks stay with it)"
            )
        free = [k for k in range(1, MAX_INSTANCES + 1) if k not in self.instances]
        if len(free) < len(parts):
            raise ValueError(
                f"instance {instance_id} has {len(parts) + 1} parts; {len(free)} free ids left "
                f"(at most {MAX_INSTANCES} instances)"
            )
        before, patch = copy.deepcopy(self.instances), self.map[box.slices].copy()
        new_ids: list[int] = []
        for part in parts:
            new_id = free[len(new_ids)]
            self.map[box.slices][labels == part] = new_id
            self.instances[new_id] = copy.deepcopy(inst)
            self.instances[new_id].id = new_id
            new_ids.append(new_id)
        self._recolour([instance_id, *new_ids])
        self._record("split", before, box, patch)
        return new_ids

    def _new_from(self, inst: Instance, box: BBox, moved: np.ndarray, name: str) -> int:
        before, patch = copy.deepcopy(self.instances), self.map[box.slices].copy()
        new_id = self.set.free_id()
        self.map[box.slices][moved] = new_id
        clone = copy.deepcopy(inst)
        clone.id = new_id
        self.instances[new_id] = clone
        self._recolour([inst.id, new_id])
        self._record(name, before, box, patch)
        return new_id

    def _recolour(self, ids: Iterable[int]) -> None:
        """Name the dominant colour of each of ``ids`` again from its own pixels (after a split
        or a merge, which would keep the colour of the whole): ``colour``, ``colour_rgb`` and the
        computed attribute groups that held the old colour (a colour the operator chose stays)."""
        rgb = None if self.photo is None else self.photo()
        if rgb is None or rgb.shape[:2] != self.map.shape:
            return
        computed = [g for g in self.schema.groups if g.computed]
        for k in ids:
            inst, box = self.instances[k], BBox.of(self.map == k)
            top = [] if box is None else dominant_colours(rgb[box.slices], self.map[box.slices] == k, top=1)
            if not top:
                continue
            for group in computed:
                if inst.attributes.get(group.name) == inst.colour and top[0].name in group.values:
                    inst.attributes[group.name] = top[0].name
            inst.colour, inst.colour_rgb = top[0].name, top[0].rgb

    def merge(self, ids: list[int], parsing: np.ndarray | None = None) -> int:
        """Merge instances into the first of ``ids`` (which keeps its category); return it.

        Instances of one parsing class merge as they are. An instance of the first one's
        category on another class's pixels (a proposal may cut one garment into pieces on
        several classes) is brought to the category's class first, in the same undo step: its
        pixels are relabelled as a re-categorisation relabels them (``parsing`` as in
        :meth:`recategorise`; :attr:`parsing_change` holds the relabelling).

        ``ValueError`` for fewer than two ids or an instance of another category and another
        parsing class than the first.
        """
        ids = list(dict.fromkeys(ids))
        if len(ids) < 2:
            raise ValueError("merging needs two instances or more")
        first = self._get(ids[0])
        for k in ids[1:]:
            other = self._get(k)
            if other.parsing_class != first.parsing_class and (other.category is None or other.category != first.category):
                names = self.parsing_taxonomy.names
                raise ValueError(
                    f"cannot merge {ids[0]}. {first.category or '?'} (on {names[first.parsing_class]} pixels) "
                    f"with {k}. {other.category or '?'} (on {names[other.parsing_class]} pixels): an instance "
                    f"carries one parsing class; re-categorise {k} as {first.category or 'the other'} first "
                    "(its pixels take that category's class)"
                )
        box = self._box_of(ids)
        before, patch = copy.deepcopy(self.instances), self.map[box.slices].copy()
        change = None
        if any(self.instances[k].parsing_class != first.parsing_class for k in ids):
            assert first.category is not None  # the check above
            change = self._move_to(ids, self._class_of(first.category), parsing)
        self.map[box.slices][np.isin(self.map[box.slices], ids[1:])] = ids[0]
        for k in ids[1:]:
            del self.instances[k]
        self._recolour(ids[:1])
        self._record("merge", before, box, patch, change)
        return ids[0]

    def delete(self, instance_id: int) -> None:
        """Delete an instance (its pixels keep their parsing class)."""
        self._get(instance_id)
        box = BBox.of(self.map == instance_id)
        before = copy.deepcopy(self.instances)
        patch = None if box is None else self.map[box.slices].copy()
        if box is not None:
            self.map[box.slices][self.map[box.slices] == instance_id] = 0
        del self.instances[instance_id]
        self._record("delete", before, box, patch)

    def recategorise(self, instance_id: int, category: str, parsing: np.ndarray | None = None) -> ParsingChange | None:
        """Set an instance's category.

        ``parsing`` is the image's ``(H, W) uint8`` parsing mask: only the instance's pixels
        that still carry its parsing class there are relabelled (a pixel the operator painted
        another class keeps it, and leaves the instance at the next :meth:`reconcile`), and the
        undo gives each of them back its class there, unless it was painted since (without
        ``parsing``: every pixel, given back the instance's ``parsing_class``). The category
        the instance already has changes nothing (no step), unless the instance's pixels carry
        another class than the category's: picking it again brings them to that class.

        Returns
        -------
        ParsingChange or None
            When the category belongs to another parsing class, the instance's pixels and the
            class the parsing mask must give them (the instance's ``parsing_class`` follows).
        """
        inst = self._get(instance_id)
        parent = self._class_of(category)
        if category == inst.category and parent == inst.parsing_class:
            self.parsing_change = None
            return None
        before = copy.deepcopy(self.instances)
        inst.category = category
        change = self._move_to([instance_id], parent, parsing)
        self._record("category", before, None, None, change)
        return self.parsing_change

    def _class_of(self, category: str) -> int:
        """The parsing class of ``category`` (0 when the parsing taxonomy has none for it)."""
        parent = self.taxonomy.category(category).parent(self.parsing_taxonomy.name)
        return self.parsing_taxonomy.index(parent) if parent in self.parsing_taxonomy.names else 0

    def _move_to(
        self, ids: list[int], parent: int, parsing: np.ndarray | None
    ) -> tuple[ParsingChange, ParsingChange] | None:
        """Give the instances of ``ids`` parsing class ``parent``; return the relabelling of
        their pixels and its undo (None: all had it). ``parsing`` as in :meth:`recategorise`."""
        moving = [k for k in ids if self.instances[k].parsing_class != parent]
        if not moving:
            return None
        pixels = np.isin(self.map, moving)
        if parsing is None:  # each pixel given back its instance's class
            classes = {self.instances[k].parsing_class for k in moving}
            back_to = classes.pop() if len(classes) == 1 else instance_classes(self.set)[pixels]
            change = (ParsingChange(pixels, parent), ParsingChange(pixels, back_to, parent))
        else:
            pixels &= ~inconsistent_mask(self.set, parsing, self.ground)
            back = parsing[pixels].copy()
            change = (ParsingChange(pixels, parent, back), ParsingChange(pixels, back, parent))
        for k in moving:
            self.instances[k].parsing_class = parent
        return change

    def set_attribute(self, instance_id: int, group: str, value: str | None) -> None:
        """Set (or with None clear) one attribute group of an instance; the value it already
        has changes nothing (no step)."""
        inst = self._get(instance_id)
        if value is not None:
            self.schema.validate({group: value}, f"instance {instance_id}: ")
        if inst.attributes.get(group) == value:
            self.parsing_change = None
            return
        before = copy.deepcopy(self.instances)
        if value is None:
            inst.attributes.pop(group, None)
        else:
            inst.attributes[group] = value
        self._record("attribute", before, None, None)

    def reconcile(self, parsing: np.ndarray, changed: np.ndarray | None = None) -> int:
        """Bring the instance map in line with the parsing mask, both ways; one step.

        An instance most of whose pixels now carry one other class of a garment follows them
        to that class (:meth:`_follow`: kept, flagged where its category is another class's).
        Instance pixels whose parsing class is no longer the instance's leave it, and an
        instance left with no pixel is removed. Pixels an earlier reconcile took from an
        instance come back to it when they are in no instance and carry its class again (the
        mask edit that took them was undone, or painted back): exactly the pixels taken, to the
        instance of the same id, while it carries the parsing class it had then; an instance
        that reconcile removed comes back, its category and attributes included, while its id
        is free. Only the reconciles on the undo stack since the last proposal
        (:meth:`replace`) give back, the latest first: a reconcile undone in the panel gives
        nothing, and neither does an id a later panel edit made or removed (a split's new part
        takes the smallest free id: the pixels are not its). So a parsing stroke, a save, the
        stroke's undo and a save leave the instances as they were before the stroke.

        ``changed`` (``(H, W) bool``, the pixels whose parsing class changed since the
        instances were last checked; None: unknown): such pixels in no instance join the
        instance of their class they touch (:func:`~fashion_annotator.instances.painted.painted_joins`),
        so a gap painted over in a skirt becomes the skirt instance's too.

        An accessory instance (``parsing_class`` 0) keeps its pixels on any class of
        :attr:`ground` (see :func:`~fashion_annotator.instances.model.accessory_ground`).

        Returns the number of pixels that left, joined or followed an instance (0: nothing
        changed, no step recorded).
        """
        before = copy.deepcopy(self.instances)
        moved = self._follow(parsing)
        bad = inconsistent_mask(self.set, parsing, self.ground)
        back, revived = self._taken_back(parsing, (self.map == 0) | bad)
        if changed is not None and changed.any():
            after = np.where(bad, 0, self.map)
            after[back > 0] = back[back > 0]
            classes = {k: i.parsing_class for k, i in (self.instances | revived).items()}
            back = np.where(back > 0, back, painted_joins(after, classes, parsing, changed))
        joined = back > 0
        box = BBox.of(bad | joined)
        if box is None and not moved:
            return 0
        patch = None if box is None else self.map[box.slices].copy()
        self.map[bad] = 0
        self.map[joined] = back[joined]
        self.instances.update(revived)
        present = set(np.unique(self.map).tolist())
        for k in [k for k in self.instances if k not in present]:
            del self.instances[k]
        self._record("reconcile", before, box, patch)
        return int(bad.sum() + joined.sum()) + moved

    def _follow(self, parsing: np.ndarray) -> int:
        """Give each instance most of whose pixels now carry one other class that a category
        maps to that class: a garment relabelled as another (a blouse painted dress), or an
        accessory now on its own category's class (shoes proposed on background pixels that a
        later proposal, saved, calls shoes: removing them lost the instances). It keeps its
        pixels of that class, its category and attributes, and its row says "(on dress
        pixels)" where the category is another class's. An accessory painted another class
        (a hat painted top) is not followed: its pixels leave it.

        Returns the number of pixels of the instances that changed class (0: none).
        """
        moved = 0
        own = instance_classes(self.set)
        bad = inconsistent_mask(self.set, parsing, self.ground)
        for k in np.unique(self.map[bad]).tolist():
            pixels = self.map == k
            counts = np.bincount(parsing[pixels & bad], minlength=self.parsing_taxonomy.num_classes)
            new = int(counts.argmax())
            was, category = int(own[pixels][0]), self.instances[k].category
            if new in self.ground or 2 * int(counts[new]) < int(pixels.sum()) or new == was:
                continue
            if was == 0 and (category is None or self._class_of(category) != new):
                continue  # an accessory painted a garment's class leaves it (a hat painted top)
            self.instances[k].parsing_class = new
            moved += int(counts[new])
        return moved

    def _taken_back(self, parsing: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, dict[int, Instance]]:
        """What :meth:`reconcile` gives back: ``(H, W) uint8`` ids (0: none) of the pixels earlier
        reconciles took that return to their instance, and the removed instances that come back."""
        back = np.zeros_like(self.map)
        revived: dict[int, Instance] = {}
        reused: set[int] = set()  # ids a later panel edit made or removed: another instance's now
        for step in reversed(self._undo):
            if step.name == "propose":
                break
            if step.name != "reconcile":
                reused |= step.before.keys() ^ step.after.keys()
                continue
            if step.bbox is None or step.before_patch is None or step.after_patch is None:
                continue
            old, sub = step.before_patch, step.bbox.slices
            open_ = (old > 0) & (step.after_patch == 0) & free[sub] & (back[sub] == 0)
            for k in np.unique(old[open_]).tolist():
                if k in reused:
                    continue
                then = step.before[k]
                inst = self.instances.get(k) or revived.get(k)
                if inst is None and k not in step.after:
                    inst = revived[k] = copy.deepcopy(then)
                if inst is None or inst.parsing_class != then.parsing_class:
                    continue
                fits = parsing[sub] == then.parsing_class
                if then.parsing_class == 0:
                    fits |= np.isin(parsing[sub], list(self.ground))
                back[sub][open_ & (old == k) & fits] = k
        return back, {k: i for k, i in revived.items() if (back == k).any()}
