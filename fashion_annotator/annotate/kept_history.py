"""Undo histories of the photos an operator left, kept for the window's session.

Leaving a photo saves it; before this module its undo history went with it, so a stray edit
saved on leave (a click on a finished photo, then PgDn) could not be taken back once the
operator came back. :class:`KeptHistories` keeps the histories of the last photos left
(bounded by a count and by the bytes they hold, start masks included) and gives them to the
photo's next document when nothing was saved over it since: PgUp, then Ctrl+Z takes the edit
back, and that undo is saved as a new version (nothing in the store is ever written over).

A saved version is named by its number and its file's SHA-256 (:class:`~fashion_annotator.
dataset.records.MaskVersion`): a project restored from a backup numbers its next versions
again, and a colleague's version 3 is not the one this window left.

The Instances panel's undo history is kept beside a photo's mask histories, by the same rules
and in the same budget (:meth:`KeptHistories.keep_instances`,
:meth:`KeptHistories.give_back_instances`): its saved version is an instance version, named by
its number and the SHA-256 of its instance map.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fashion_annotator.core.document import AnnotationDocument, TaskHistory

if TYPE_CHECKING:
    from fashion_annotator.instances.document import InstanceHistory

__all__ = ["KEPT_BYTES", "KEPT_PHOTOS", "KeptHistories", "Saved"]

#: ``(version, sha256)`` of a task's latest saved mask: its number (0: none saved) and the
#: SHA-256 the store recorded for its file ("" unknown: never matched).
Saved = tuple[int, str]

#: How many photos left keep their undo history (the most recently left ones).
KEPT_PHOTOS = 10
#: Bytes the kept histories may hold together, patches, marked pixels and start masks, the
#: Instances panel's steps included (the oldest photo's go first past it).
KEPT_BYTES = 256 * 2**20


@dataclass
class _Kept:
    """One photo's histories: ``task -> (saved version when left, history)``, and the
    Instances panel's ``(saved instance version when left, history)``; ``photo`` is the
    SHA-256 the index recorded for the photo (ids are reused after a restore)."""

    photo: str
    tasks: dict[str, tuple[Saved, TaskHistory]]
    instances: tuple[Saved, InstanceHistory] | None = None

    @property
    def nbytes(self) -> int:
        held = 0 if self.instances is None else self.instances[1].nbytes
        return held + sum(h.nbytes for _, h in self.tasks.values())


class KeptHistories:
    """The undo histories of the photos left, most recently left last.

    Parameters
    ----------
    max_photos : int
        How many photos' histories are kept.
    max_bytes : int
        The bytes the kept histories hold together (:attr:`TaskHistory.nbytes`: patches, marked
        pixels, start masks); past it the oldest photos' histories go (the photo left last
        keeps its history even when it alone is larger).
    """

    def __init__(self, max_photos: int = KEPT_PHOTOS, max_bytes: int = KEPT_BYTES) -> None:
        if max_photos < 1 or max_bytes < 1:
            raise ValueError(
                f"max_photos and max_bytes must be positive, got {max_photos}, {max_bytes}"
            )
        self.max_photos = int(max_photos)
        self.max_bytes = int(max_bytes)
        self._kept: OrderedDict[int, _Kept] = OrderedDict()

    def __len__(self) -> int:
        """Number of photos whose histories are kept."""
        return len(self._kept)

    @property
    def nbytes(self) -> int:
        """Bytes of every array the kept histories hold."""
        return sum(k.nbytes for k in self._kept.values())

    def keep(self, doc: AnnotationDocument, saved: Mapping[str, Saved], photo: str = "") -> None:
        """Keep the histories of ``doc``, a photo being left with nothing unsaved. A task with
        no clean state (opened at an older version than the latest, a damaged file passed over)
        keeps none.

        Parameters
        ----------
        doc : AnnotationDocument
            The document left; it must not be edited afterwards.
        saved : mapping of str to Saved
            ``task -> (latest saved version, its SHA-256)`` now that ``doc`` is saved: a history
            is given back only to a mask opened at that same version, with that same file.
        photo : str
            The photo's SHA-256 as the index records it ("" unknown).
        """
        image_id = int(doc.image_id)
        self._kept.pop(image_id, None)
        if doc.unsaved:  # its masks are not the store's: no later opening holds these pixels
            return
        tasks = {}
        for task in doc.tasks:
            version, sha = saved.get(task, (0, ""))
            steps = doc.history[task]  # not can_undo: a mask never read stays unread
            if (
                version > 0
                and sha
                and doc.has_clean_state(task)
                and (steps.can_undo or steps.can_redo)
            ):
                tasks[task] = ((int(version), sha), doc.task_history(task))
        if not tasks:
            return
        self._kept[image_id] = _Kept(photo, tasks)
        self._trim()

    def _trim(self) -> None:
        """Drop the oldest photos' histories past the count or the bytes."""
        while len(self._kept) > 1 and (
            len(self._kept) > self.max_photos or self.nbytes > self.max_bytes
        ):
            self._kept.popitem(last=False)

    def give_back(
        self, doc: AnnotationDocument, saved: Mapping[str, Saved], photo: str = ""
    ) -> list[str]:
        """Give ``doc``, the photo opened again, the histories kept when it was left, for the
        tasks whose latest saved version is still the one it was left at, number and file (a
        colleague's save since, a restored backup's version of that number, or its other photo
        under the same id, drops them) and whose mask opened at it (not an older one, its file
        damaged: :meth:`AnnotationDocument.has_clean_state`). The histories leave the keeping
        either way, but for the Instances panel's (:meth:`give_back_instances` takes it).

        Returns
        -------
        list of str
            The tasks whose history was given back.
        """
        kept = self._kept.pop(int(doc.image_id), None)
        if kept is None or (kept.photo and photo and kept.photo != photo):
            return []
        if kept.instances is not None:  # the panel asks for it once it has read the instances
            self._kept[int(doc.image_id)] = _Kept(kept.photo, {}, kept.instances)
        given = []
        for task, (left, history) in kept.tasks.items():
            version, sha = saved.get(task, (0, ""))
            if (
                task in doc.tasks
                and (int(version), sha) == left
                and doc.has_clean_state(task)
                and not doc.in_stroke(task)
            ):
                doc.adopt_history(task, history)
                given.append(task)
        return given

    def keep_instances(
        self, image_id: int, saved: Saved, history: InstanceHistory, photo: str = ""
    ) -> None:
        """Keep the Instances panel's undo history of ``image_id``, a photo being left with its
        instances saved, beside the photo's mask histories (:meth:`keep` first) and in their
        budget. A history with no step, or instances never saved, keeps nothing.

        Parameters
        ----------
        image_id : int
            The photo left.
        saved : Saved
            ``(latest saved instance version, the SHA-256 of its map)`` now that the panel saved.
        history : InstanceHistory
            :meth:`InstanceDocument.history` of the document left; it must not be edited
            afterwards.
        photo : str
            The photo's SHA-256 as the index records it ("" unknown).
        """
        image_id = int(image_id)
        kept = self._kept.get(image_id)
        if kept is not None and kept.photo and photo and kept.photo != photo:
            del self._kept[image_id]  # another photo's, under a reused id
            kept = None
        if kept is not None:
            kept.instances = None
        version, sha = saved
        if version <= 0 or not sha or not (history.undo or history.redo):
            if kept is not None and not kept.tasks:
                del self._kept[image_id]
            return
        if kept is None:
            kept = self._kept[image_id] = _Kept(photo, {})
        kept.instances = ((int(version), sha), history)
        self._kept.move_to_end(image_id)
        self._trim()

    def give_back_instances(self, image_id: int, saved: Saved, photo: str = "") -> InstanceHistory | None:
        """The Instances panel's history kept when ``image_id`` was left, when its latest saved
        instance version is still ``saved`` (number and SHA-256 of its map: a colleague's
        version since drops it) and the photo is the same; it leaves the keeping either way.

        Returns
        -------
        InstanceHistory or None
            The history to adopt (:meth:`InstanceDocument.adopt_history`), or None.
        """
        image_id = int(image_id)
        kept = self._kept.get(image_id)
        if kept is None or kept.instances is None:
            return None
        (left, history), kept.instances = kept.instances, None
        if not kept.tasks:
            del self._kept[image_id]
        if (kept.photo and photo and kept.photo != photo) or (int(saved[0]), saved[1]) != left:
            return None
        return history

    def forget(self, image_id: int) -> None:
        """Drop the histories kept for ``image_id``."""
        self._kept.pop(int(image_id), None)
