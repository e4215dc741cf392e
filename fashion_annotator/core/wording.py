"""How counts read in messages to people (numpy-free, Qt-free)."""

from __future__ import annotations

#: Image status -> the name people read: the queue, the Review tab and the QA report.
STATUS_NAMES: dict[str, str] = {
    "new": "To do",
    "in_progress": "In progress",
    "done": "Done",
    "approved": "Approved",
    "rejected": "Rejected",
}


def status_name(status: str) -> str:
    """The display name of an image status (an unknown key made readable).

    Examples
    --------
    >>> status_name("in_progress"), status_name("on_hold")
    ('In progress', 'On hold')
    """
    return STATUS_NAMES.get(status, status.replace("_", " ").capitalize())


def counted(n: int, noun: str) -> str:
    """A count and its regular noun in the right number.

    Examples
    --------
    >>> counted(1, "mask"), counted(3, "mask"), counted(0, "image")
    ('1 mask', '3 masks', '0 images')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def model_label(meta_version: object, registry_version: int | None) -> str:
    """How a proposal model is named to people: its project version, else "shipped", and the
    version its file carries (the training run's date), so the status bar, the promotion message
    and the Review tab name one model one way.

    Examples
    --------
    >>> model_label("20261205-054523", 2), model_label("20261204-134250", None)
    ('v2 (20261205-054523)', 'shipped (20261204-134250)')
    """
    inner = "unknown" if meta_version is None or str(meta_version) == "" else str(meta_version)
    return f"v{registry_version} ({inner})" if registry_version is not None else f"shipped ({inner})"


def unmasked_filter_text(title: str) -> str:
    """The image list's filter of the images marked done without a mask of the task ``title``
    (a task added after they were done), as the window shows it and the command line names it.

    Examples
    --------
    >>> unmasked_filter_text("Garment parts")
    'Done, no mask of Garment parts'
    """
    return f"Done, no mask of {title}"


def named(name: str, problem: str) -> str:
    """``name: problem``, the name said once where ``problem`` starts with it already (a photo
    referenced in place is named by its path, and so is an error about its file).

    Examples
    --------
    >>> named("look.jpg", "no mask"), named("/p/look.jpg", "/p/look.jpg: file does not exist")
    ('look.jpg: no mask', '/p/look.jpg: file does not exist')
    """
    return problem if problem.startswith(f"{name}: ") else f"{name}: {problem}"


#: Export format -> what it writes, in words a studio reads ("plain" alone said nothing): the
#: File > Export dialog and ``export --help`` show it.
EXPORT_WRITES: dict[str, str] = {
    "plain": "the photos (images/) and one PNG per photo whose pixel values are the label numbers "
             "(masks/), with labels.json naming them",
    "coco": "annotations.json (COCO: one entry per label of each photo) and the photos (images/)",
    "cutout": "one PNG per photo: the garment on a transparent background",
    "labelme": "one LabelMe .json beside each photo",
    "cvat": "annotations.xml for CVAT and the photos (images/)",
    "voc": "Pascal VOC folders: JPEGImages/, SegmentationClass/ colour PNGs, labelmap.txt",
    "labelstudio": "tasks.json and label_config.xml for Label Studio, and the photos (images/)",
    "yolo": "YOLO segmentation: data.yaml, images/ and one labels/*.txt of polygons per photo",
    "coco-instances": "annotations.json (COCO) with one entry per garment instance and its attributes",
}
