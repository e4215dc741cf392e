"""What the window says when the project's store does not answer (a team project's server
stopped, a folder project's index locked): why, and which photo, by the name it holds in memory.

A QA hand test with the server stopped: Mark done, the Review tab's buttons and Quit raised
ProjectError out of their slots (the crash dialog), and the messages named photos by their
internal id ("Could not save image 7" for 0008.jpg).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fashion_annotator.dataset.display import display_name
from fashion_annotator.dataset.leases import holder_tip
from fashion_annotator.dataset.postgres.url import is_postgres_url
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.decisions import rejection_note
from fashion_annotator.ui.annotate.banner import image_notes


def no_answer(project: Any, exc: BaseException) -> str:
    """Why ``project`` could not be read or written, for a message: "the project's server does
    not answer (EXC)" on a server project; on a folder project the error itself (the index
    locked, read-only).

    Examples
    --------
    >>> class Folder:
    ...     location = "/studio/autumn"
    >>> no_answer(Folder(), OSError("database is locked"))
    'database is locked'
    """
    if is_postgres_url(str(getattr(project, "location", ""))):
        return f"the project's server does not answer ({exc})"
    return str(exc)


def known_name(window: Any, image_id: int) -> str | None:
    """The name of ``image_id`` as shown to people (:func:`.display_name`), from the records
    ``window`` (a MainWindow) holds in memory: the open image's, read when it opened, else the
    image list's; None when it holds neither (the store must be asked)."""
    records = [getattr(window, "open_record", None), *window.queue.model.records()]
    for record in records:
        if record is not None and record.id == image_id:
            return display_name(record.name, Path(window.project.root))
    return None


def rejection_tip(project: Any, image_id: int) -> str | None:
    """The image list's tooltip note of a rejected image (:func:`.rejection_note`); while the
    store does not answer, a line saying so (the tooltip raised out of the list's paint)."""
    try:
        return rejection_note(project, image_id)
    except ProjectError as exc:
        return f"Why it was rejected could not be read: {no_answer(project, exc)}"


def show_notes(banner: Any, project: Any, opened: Any) -> None:
    """Show the notes of the image ``opened`` in ``banner`` (:func:`.image_notes`: its lease,
    QA's reject reason); while the store does not answer the banner stays as it is (the line
    just said why: back from the Review tab with the server away, this raised out of the
    signal). A colleague holding the image is named by their user name; the computer and the
    process id are in the banner's tooltip."""
    try:
        notes = image_notes(project, opened)
    except ProjectError:
        return
    banner.show_lines(notes)
    holder = (opened.lost_to or opened.lease_holder) if opened.read_only else None
    banner.setToolTip(holder_tip(holder) if holder else "")
