"""Whether an image's saved cutout and parsing masks agree (numpy in, numpy out; no Qt).

A garment cutout fixed by the operator does not fix the parsing mask: a mannequin stand
removed from the cutout stayed "shoes" in the parsing mask, and the COCO parsing export carried
it (a QA hand test). Which parsing classes may lie inside and outside a cutout is the project's
own knowledge (:func:`~fashion_annotator.segmentation.consistency.compatibility`, read from the
shipped mapping both tasks come from): for the garment cutout, garment classes (top, shoes, ...)
only inside it, skin and hair only outside it. Every cutout of the project with such a table is
checked (:func:`compared_cutouts`), not only those a task's *proposals* are made to agree with
(the spec's ``agrees_with``, kept to what measurably helps a model: parsing18 names none, yet
its saved masks and the garment cutout must agree as much as parsing7's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from fashion_annotator.core.labels import available_taxonomies, load_taxonomy
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.segmentation.consistency import compatibility
from fashion_annotator.segmentation.pipeline import agreeing_cutouts

__all__ = ["DISAGREEMENT_SHARE", "MaskAgreement", "ReportAgreements", "check_image", "check_masks",
           "cleared_outside", "compare_image", "compared_cutouts", "cutout_pair", "image_figures", "no_mask_saved",
           "OpenDisagreement", "open_disagreement"]

#: The share of the cutout's pixels the two masks may disagree on before the image is flagged:
#: edges drawn apart by a pixel or two.
DISAGREEMENT_SHARE = 0.01


@dataclass(frozen=True)
class MaskAgreement:
    """How an image's parsing mask disagrees with its cutout.

    ``outside``: parsing pixels of a class that belongs inside the cutout (a garment class)
    lying outside it; ``inside``: cutout pixels whose parsing class cannot lie under it (skin,
    hair); ``cutout_pixels``: the cutout's foreground.
    """

    parsing_task: str
    cutout_task: str
    outside: int
    inside: int
    cutout_pixels: int

    @property
    def share(self) -> float:
        """The disagreeing pixels over the cutout's (1.0 when the cutout is empty and the
        parsing mask has garment pixels; 0.0 when nothing disagrees)."""
        wrong = self.outside + self.inside
        if not wrong:
            return 0.0
        return wrong / self.cutout_pixels if self.cutout_pixels else 1.0

    @property
    def disagrees(self) -> bool:
        """More than :data:`DISAGREEMENT_SHARE` disagrees."""
        return self.share > DISAGREEMENT_SHARE

    @property
    def share_text(self) -> str:
        """:attr:`share` as a percentage, one decimal (``"5.0%"``), two where one decimal would
        read as the threshold or below it while the share is over it (``"1.04%"``, not ``"1.0%"``)."""
        text = f"{self.share:.1%}"
        if self.disagrees and round(self.share * 100, 1) <= round(DISAGREEMENT_SHARE * 100, 1):
            text = f"{self.share:.2%}"
        return text

    def describe(self) -> str:
        """The disagreement in words: ``"Garment cutout and Parsing disagree on 3.1% of the
        cutout: 6,104 Parsing pixels of a garment class outside the cutout, 12 cutout pixels of
        another class"``."""
        cutout, parsing = task_title(self.cutout_task), task_title(self.parsing_task)
        parts = []
        if self.outside:
            parts.append(f"{self.outside:,} {parsing} pixels of a class that belongs inside the "
                         f"{cutout} lie outside it")  # fmt: skip
        if self.inside:
            parts.append(f"{self.inside:,} {cutout} pixels have a {parsing} class that belongs "
                         "outside it")  # fmt: skip
        if not parts:
            return f"{cutout} and {parsing} agree"
        return f"{cutout} and {parsing} disagree on {self.share_text} of the cutout: {'; '.join(parts)}"


def check_masks(
    cutout: np.ndarray, parsing: np.ndarray, table: np.ndarray, parsing_task: str = "",
    cutout_task: str = "",
) -> MaskAgreement:  # fmt: skip
    """Compare one image's ``cutout`` ``(H, W)`` (non-zero: foreground) with its ``parsing``
    ``(H, W) uint8`` mask under ``table`` ``(2, K) bool`` (row 0: the classes that may lie
    outside the cutout, row 1: inside; :func:`~fashion_annotator.segmentation.consistency.
    compatibility`).

    Raises
    ------
    ValueError
        The masks differ in shape, or the parsing mask has a class the table lacks.
    """
    cutout = np.asarray(cutout) != 0
    parsing = np.asarray(parsing)
    table = np.asarray(table, bool)
    if cutout.shape != parsing.shape:
        raise ValueError(f"cutout {cutout.shape} and parsing mask {parsing.shape} differ in shape")
    if parsing.size and int(parsing.max()) >= table.shape[1]:
        raise ValueError(f"parsing mask has class {int(parsing.max())}; the table has {table.shape[1]}")
    belongs_inside = ~table[0]  # a class that cannot lie outside the cutout (a garment class)
    return MaskAgreement(
        parsing_task=parsing_task,
        cutout_task=cutout_task,
        outside=int(np.count_nonzero(belongs_inside[parsing] & ~cutout)),
        inside=int(np.count_nonzero(~table[1][parsing] & cutout)),
        cutout_pixels=int(np.count_nonzero(cutout)),
    )


def cleared_outside(cutout: np.ndarray, parsing: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A copy of ``parsing`` whose pixels outside ``cutout`` of a class that belongs inside it
    (:func:`check_masks`'s ``outside``) are background (0): for the garment cutout the garment
    classes, skin and hair staying; for the person cutout every class but background. Same
    arguments and errors as :func:`check_masks`."""
    check_masks(cutout, parsing, table)  # the shapes and classes checked
    out = np.array(parsing, dtype=np.uint8, copy=True)
    out[~np.asarray(table, bool)[0][out] & (np.asarray(cutout) == 0)] = 0
    return out


def compared_cutouts(project: ProjectStore, task: str) -> tuple[str, ...]:
    """The cutout tasks of ``project`` whose saved masks ``task``'s are checked against.

    Every cutout of the project with a compatibility table with ``task`` (shipped
    taxonomies only: the tables are read from the shipped mappings): first those ``task``'s
    proposals agree with (:func:`~fashion_annotator.segmentation.pipeline.agreeing_cutouts`,
    in its spec's order), then the others, the narrower cutout first (the fewest parsing
    classes allowed inside it: the garment cutout before the person cutout). Empty for a
    cutout task.

    Parameters
    ----------
    project : ProjectStore
    task : str

    Returns
    -------
    tuple of str
    """

    def shipped(name: str) -> bool:
        return name in available_taxonomies() and project.taxonomy(name).names == load_taxonomy(name).names

    if not shipped(task) or project.taxonomy(task).is_binary:
        return ()
    first = agreeing_cutouts(project, task)
    allowed_inside = {}
    for other in project.tasks:
        if other != task and other not in first and shipped(other) and project.taxonomy(other).is_binary:
            table = compatibility(task, other)
            if table is not None:
                allowed_inside[other] = int(np.count_nonzero(table[1]))
    return (*first, *sorted(allowed_inside, key=allowed_inside.__getitem__))


def cutout_pair(project: ProjectStore, task: str) -> tuple[str, str] | None:
    """``(parsing_task, cutout_task)`` of ``project`` that ``task`` is one of, or None: a
    parsing task and the first cutout it is checked against, or a cutout task and the first
    parsing task checked against it (:func:`compared_cutouts`)."""
    cutouts = compared_cutouts(project, task)
    if cutouts:
        return task, cutouts[0]
    for parsing in project.tasks:
        if parsing != task and task in compared_cutouts(project, parsing):
            return parsing, task
    return None


def check_image(project: ProjectStore, image_id: int, pair: tuple[str, str]) -> MaskAgreement | None:
    """The agreement of ``image_id``'s latest saved masks of ``pair`` (:func:`cutout_pair`), or
    None when either task has no saved mask or the two differ in shape."""
    found = compare_image(project, image_id, pair)
    return found if isinstance(found, MaskAgreement) else None


def no_mask_saved(task: str) -> str:
    """Why an image's masks were not compared when it has no saved mask of ``task``:
    ``"no Garment cutout mask saved"``."""
    return f"no {task_title(task)} mask saved"


def compare_image(
    project: ProjectStore, image_id: int, pair: tuple[str, str], read: Mapping[str, np.ndarray] | None = None
) -> MaskAgreement | str:
    """The agreement of ``image_id``'s latest saved masks of ``pair`` (:func:`cutout_pair`), or
    why they cannot be compared: ``"no Parsing mask saved"``, masks of two sizes.

    Parameters
    ----------
    project : ProjectStore
    image_id : int
    pair : tuple of str
        ``(parsing_task, cutout_task)``.
    read : mapping, optional
        Task -> the image's latest saved mask of that task, already read (by the scoring): not
        read again.

    Raises
    ------
    ValueError, OSError, ProjectError
        A mask that cannot be read, or a parsing class the table lacks.
    """
    parsing_task, cutout_task = pair
    table = compatibility(parsing_task, cutout_task)
    if table is None:
        return f"{task_title(parsing_task)} and {task_title(cutout_task)} have no classes in common"
    read = read or {}
    masks = {}
    for task in pair:
        mask = read[task] if task in read else project.load_mask(image_id, task)
        if mask is None:
            return no_mask_saved(task)
        masks[task] = mask
    parsing, cutout = masks[parsing_task], masks[cutout_task]
    if parsing.shape != cutout.shape:
        return (f"the {task_title(cutout_task)} mask ({cutout.shape[1]}x{cutout.shape[0]}) and the "
                f"{task_title(parsing_task)} mask ({parsing.shape[1]}x{parsing.shape[0]}) differ in size")  # fmt: skip
    return check_masks(cutout, parsing, table, parsing_task, cutout_task)


def image_figures(
    project: ProjectStore, image_id: int, pair: tuple[str, str], read: Mapping[str, np.ndarray] | None = None
) -> MaskAgreement | str:
    """:func:`compare_image`, never raising: a mask that cannot be read, or a parsing class the
    table lacks, is why the masks were not compared (``"cannot be compared: ..."``)."""
    try:
        return compare_image(project, image_id, pair, read)
    except (ValueError, OSError, ProjectError) as exc:
        return f"cannot be compared: {exc}"


class ReportAgreements:
    """The cutout and parsing figures of a QA report's images (:func:`compare_image`), for the
    report's ``disagreement`` column and its count.

    Only a task with a counterpart (:func:`cutout_pair`) has figures; :attr:`not_compared` says
    why another has none. Masks the scoring read are handed over with :meth:`note`, so each
    image's other mask is the only one read again.

    Parameters
    ----------
    project : ProjectStore
    task : str
        The report's task.
    """

    def __init__(self, project: ProjectStore, task: str) -> None:
        self.project = project
        self.task = task
        self.pair = cutout_pair(project, task)
        self._found: dict[int, MaskAgreement | str] = {}

    @property
    def not_compared(self) -> str:
        """Why the report's images have no figures (no counterpart task), or ""."""
        if self.pair is not None:
            return ""
        if self.project.taxonomy(self.task).is_binary:
            return f"the project has no parsing task with classes to compare the {task_title(self.task)} masks with"
        return (f"the project has no cutout task the {task_title(self.task)} masks can be compared with (the "
                "garment or person cutout, with a parsing task of shipped classes)")  # fmt: skip

    def note(self, image_id: int, mask: np.ndarray | None) -> None:
        """Compare ``image_id``'s masks, ``mask`` being its latest saved mask of the report's
        task as the scoring read it; never raises (a file that cannot be read: its figure says
        why)."""
        if self.pair is not None and mask is not None:
            self._found[image_id] = self._compare(image_id, {self.task: mask})

    def take(self, known: Mapping[int, MaskAgreement | str]) -> None:
        """Use ``known`` (image id -> the figures of its latest masks, compared already: the
        Review table's; or why they were not compared, known without reading them: no mask
        saved, a comparison that failed) instead of reading those images' masks."""
        if self.pair is not None:
            self._found.update(known)

    def figures(self, image_ids: Iterable[int]) -> dict[int, MaskAgreement | str]:
        """Each image's figures or why it has none, comparing those not noted yet; empty
        without a counterpart task (:attr:`not_compared`)."""
        if self.pair is None:
            return {}
        out = {}
        for image_id in image_ids:
            if image_id not in self._found:
                self._found[image_id] = self._compare(image_id)
            out[image_id] = self._found[image_id]
        return out

    def _compare(self, image_id: int, read: Mapping[str, np.ndarray] | None = None) -> MaskAgreement | str:
        assert self.pair is not None
        return image_figures(self.project, image_id, self.pair, read)


@dataclass(frozen=True)
class OpenDisagreement:
    """What a photo's parsing mask and cutout, as the window holds them, disagree on
    (:func:`open_disagreement`): :attr:`agreement`'s figures and, per parsing class name, the
    pixels of that class outside the cutout (``outside_classes``) and the cutout's pixels under
    it (``inside_classes``), the largest first."""

    agreement: MaskAgreement
    outside_classes: tuple[tuple[str, int], ...]
    inside_classes: tuple[tuple[str, int], ...]


def _class_counts(parsing: np.ndarray, where: np.ndarray, names: list[str]) -> tuple[tuple[str, int], ...]:
    """``(name, pixels)`` of each parsing class under ``where``, the largest first."""
    counts = np.bincount(parsing[where].ravel(), minlength=len(names))
    found = [(names[k] if k < len(names) else f"#{k}", int(n)) for k, n in enumerate(counts) if n]
    return tuple(sorted(found, key=lambda item: -item[1]))


def open_disagreement(
    project: ProjectStore, masks: Mapping[str, np.ndarray], saving: Iterable[str]
) -> OpenDisagreement | None:
    """The first parsing mask of ``masks`` (task -> the photo's mask as the window holds it)
    that disagrees with its cutout beyond :data:`DISAGREEMENT_SHARE`, or None.

    A parsing task is compared with the first cutout its proposals are made to agree with
    (:func:`~fashion_annotator.segmentation.pipeline.agreeing_cutouts`) that ``masks`` holds,
    so a disagreement is one the operator's edits made: a parsing18 photo's proposals disagree
    with its cutout by design (by 4-78% on a hand tester's project) and would stop every Mark
    done once (the Review still compares them, :func:`compared_cutouts`); and only when
    ``saving`` (the tasks a Mark done writes: edited or never saved) names either of the two:
    masks saved already were checked, or passed, before. An empty cutout (not drawn: a project
    whose operators work on the parsing only), masks of two sizes, or a parsing class the table
    lacks are not compared.

    Parameters
    ----------
    project : ProjectStore
    masks : mapping of str to numpy.ndarray
    saving : iterable of str

    Returns
    -------
    OpenDisagreement or None
    """
    saving = set(saving)
    for parsing_task in masks:
        cutout_task = next((c for c in agreeing_cutouts(project, parsing_task) if c in masks), None)
        table = None if cutout_task is None else compatibility(parsing_task, cutout_task)
        if cutout_task is None or table is None or not {parsing_task, cutout_task} & saving:
            continue
        parsing, cutout = np.asarray(masks[parsing_task]), np.asarray(masks[cutout_task]) != 0
        if not cutout.any():
            continue
        try:
            found = check_masks(cutout, parsing, table, parsing_task, cutout_task)
        except ValueError:
            continue
        if found.disagrees:
            names = project.taxonomy(parsing_task).names
            return OpenDisagreement(
                found,
                _class_counts(parsing, ~table[0][parsing] & ~cutout, names),
                _class_counts(parsing, ~table[1][parsing] & cutout, names),
            )
    return None
