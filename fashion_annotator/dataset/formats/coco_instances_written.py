"""Which of an image's saved instances the ``coco-instances`` export writes, and what its
summary says of the rest.

Split from :mod:`~fashion_annotator.dataset.formats.coco_instances` (see its module docstring
for the format). The export writes annotations, never the model's untouched output: an image
whose instances only the model saved (the image opened, never saved by an operator) is left out
and named, as the mask exports leave out an image without a saved mask. And it writes only the
instance pixels that the image's latest saved parsing mask gives the instance's class: a parsing
mask saved after the instances (an import, a version restored, a save from a window that did not
bring the instances in line) may have taken pixels from them; an instance left with none is not
written, and the summary names it.
"""

from __future__ import annotations

from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import InstanceSet, accessory_ground, inconsistent_mask
from fashion_annotator.instances.schema import InstanceTaxonomy

#: How many image names a summary line lists before "and N more".
SHOWN_NAMES = 10


def only_proposed(project: Project, record: ImageRecord) -> bool:
    """Whether the image's instances are the model's proposal that no operator saved: the
    image was never saved by an operator (status ``new``) and its latest instance version is
    the model's (the rule of the Review tab's instance table,
    :func:`~fashion_annotator.instances.qa.instance_qa_row`)."""
    versions = project.instance_versions(record.id)
    return record.status == "new" and bool(versions) and versions[-1].source == "model"


def clip_to_parsing(
    project: Project, record: ImageRecord, iset: InstanceSet, taxonomy: InstanceTaxonomy, clipped: list[str]
) -> set[int]:
    """Take from ``iset`` (in place) the instance pixels the image's latest saved parsing mask
    gives another class (:func:`~fashion_annotator.instances.model.inconsistent_mask`, an
    accessory keeping its ground); nothing when the image has no saved parsing mask.

    Parameters
    ----------
    project : Project
    record : ImageRecord
        The image ``iset`` belongs to.
    iset : InstanceSet
        Its latest saved instances; its map is changed.
    taxonomy : InstanceTaxonomy
        The instance taxonomy of ``iset``.
    clipped : list of str
        Receives one summary line (the image, the pixels taken, the instances left with none)
        when pixels were taken.

    Returns
    -------
    set of int
        The ids of the instances left with no pixel (not to be written).

    Raises
    ------
    ProjectError
        The saved parsing mask cannot be read.
    """
    task = iset.parsing_task
    parsing = project.load_mask(record.id, task) if task in project.tasks else None
    if parsing is None:
        return set()
    had = {k for k, n in iset.areas().items() if n}
    bad = inconsistent_mask(iset, parsing, accessory_ground(project.taxonomy(task), taxonomy))
    taken = int(bad.sum())
    if not taken:
        return set()
    iset.map[bad] = 0
    emptied = {k for k, n in iset.areas().items() if k in had and not n}
    line = f"  {record.name}: {counted(taken, 'pixel')}"
    if emptied:
        gone = ", ".join(f"{k}. {iset.instances[k].category or '?'}" for k in sorted(emptied))
        line += f"; left with none, not written: {gone}"
    clipped.append(line)
    return emptied


def _names(names: list[str]) -> str:
    """``names`` joined, the first :data:`SHOWN_NAMES` of them and how many more."""
    shown = ", ".join(names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def export_notes(proposed_only: list[str], clipped: list[str], task: str | None) -> list[str]:
    """The summary lines of the images left out as the model's proposal (their names) and of
    the images whose instances lost pixels to the saved ``task`` mask (:func:`clip_to_parsing`'s
    lines)."""
    lines = []
    if proposed_only:
        its, image = ("its", "the image") if len(proposed_only) == 1 else ("their", "each image")
        lines.append(
            f"{counted(len(proposed_only), 'image')} left out: {its} instances are the model's proposal, never "
            f"saved by an operator ({_names(proposed_only)}); check them in Annotate's Instances panel and "
            f"save, or mark {image} done"
        )
    if clipped:
        lines.append(
            f"{counted(len(clipped), 'image')}: instance pixels that the saved {task or 'parsing'} mask gives "
            "another class were not written (the mask was saved after the instances; open the image in "
            "Annotate to bring its instances in line):"
        )
        lines.extend(clipped)
    return lines
