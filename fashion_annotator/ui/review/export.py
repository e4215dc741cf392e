"""The Review tab's CSV and HTML exports (Review > Export CSV..., HTML report...).

An export clicked while the tab still compares the cutout and parsing masks in its thread
(:mod:`.mask_checks`) waits for it, the window answering, and takes its figures: it compared
every image again on the GUI thread, 12-26 s of a frozen window at 704 masks (a scale test).
The HTML report's overlays (the worst images' photos and masks) are read in a thread
(:mod:`.report_thread`).
A comparison that failed (the project's server gone) leaves the figures of its images blank,
said in the file and in the status line: the export waited until cancelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.display import project_title
from fashion_annotator.dataset.postgres.url import is_postgres_url
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.report import ReportCancelled, write_csv, write_html
from fashion_annotator.runtime.paths import check_output_outside
from fashion_annotator.ui.review.report_thread import build_report

if TYPE_CHECKING:
    from fashion_annotator.ui.review.view import ReviewView

__all__ = ["default_export_path", "export_review"]


def default_export_path(view: ReviewView, kind: str) -> Path:
    """Where the export dialog starts: beside a folder project (never inside it: a file dialog
    that reads ``project.sqlite`` to show its type, in this process, drops SQLite's locks on
    it), in the home folder for a server project's local working folder."""
    name = f"{project_title(view.project.root)}-{view.task}-qa.{kind}"
    folder = Path.home() if is_postgres_url(str(view.project.location)) else view.project.root.parent
    return folder / name


def export_review(view: ReviewView, kind: str, path: str) -> bool:
    """Write ``view``'s table as CSV (``kind="csv"``) or the HTML report (``"html"``) at
    ``path``, once the cutout and parsing comparison running ends
    (:meth:`~.mask_checks.MaskChecks.wait`); False, with a warning, when it could not (a path
    inside the project is refused, as on the command line), or cancelled while it waited or
    while the HTML report was built ("Report cancelled" in the ``exported`` line; the file at
    ``path`` is left as it was: the report is written whole at its end). The ``exported`` line
    says which images' disagreement figures could not be computed (the comparison failed)."""
    try:
        check_output_outside(Path(path), view.project.root, "project")
        if not view.mask_checks.wait(view, f"The {kind.upper()} export waits for the mask comparison."):
            return False  # cancelled: nothing written
        rows = view.model.rows()
        agreements = view.mask_checks.report_agreements(rows)
        failed = view.mask_checks.failures(rows)
        if kind == "csv":
            write_csv(rows, path, view.metric_title, view.k, agreements)
        else:  # the worst images' photos and masks read in a thread, the window answering
            write_html(path, build_report(view, view.project, view.task, rows, view.k, agreements))
    except ReportCancelled:
        view.exported.emit(f"Report cancelled: nothing written to {path}")
        return False
    except (OSError, ValueError, ProjectError) as exc:  # ProjectError: unreadable mask
        QMessageBox.warning(view, "Export failed", str(exc))
        return False
    written = f"{kind.upper()} of {counted(len(rows), 'image')} written to {path}"
    if failed:
        written += (f"; the cutout and parsing disagreement of {counted(len(failed), 'image')} could not be "
                    f"computed ({next(iter(failed.values()))}): left blank")  # fmt: skip
    view.exported.emit(written)
    return True
