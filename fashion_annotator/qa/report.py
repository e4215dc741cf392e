"""QA reports: the score table as CSV, and a self-contained HTML report in one file.

The HTML report embeds everything (inline SVG histogram, base64 JPEG thumbnails, inline CSS),
so it can be mailed or archived as a single file and opened offline.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import counted, status_name
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.display import project_title
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.qa import overlay
from fashion_annotator.qa.decisions import (
    CATEGORIES,
    OPERATOR_REASONS,
    reason_category,
    reason_counts,
    reason_label,
)
from fashion_annotator.qa.mask_agreement import DISAGREEMENT_SHARE, MaskAgreement, ReportAgreements
from fashion_annotator.qa.scores import ImageScore, metric_name, reference_mask, worst_first
from fashion_annotator.qa.stats import (
    DEFAULT_K,
    Stats,
    axis_ticks,
    display_range,
    histogram,
    mad_text,
    outlier_mask,
    score_digits,
    summarize,
    threshold_digits,
)
from fashion_annotator.qa.throughput import throughput

__all__ = ["CSV_COLUMNS", "ReportCancelled", "build_html", "histogram_svg", "thumbnail_data_uri", "write_csv",
           "write_html"]  # fmt: skip

CSV_COLUMNS = (
    "image_id", "name", "task", "metric", "score", "pixel_accuracy", "reference", "outlier",
    "status", "operator", "seconds", "actions", "versions", "decision", "reason", "reason_text",
    "problem", "reason_detail", "unscored", "disagreement", "disagrees",
)  # fmt: skip
"""The CSV's columns: ``reason`` is the category the analysis counts (an operator's kind of
bad ground truth is ``bad_ground_truth``), ``reason_detail`` the reason chosen when it is one
of those kinds (``missed_area``), else blank; ``unscored`` why a row whose files read has no
score (:attr:`~fashion_annotator.qa.scores.ImageScore.unscored`: no proposal shown before the
mask, or only later ones), else blank (``problem`` says why a file cannot be read);
``disagreement`` the share of the cutout on which the image's saved cutout and parsing masks
disagree (:class:`~fashion_annotator.qa.mask_agreement.MaskAgreement`), ``disagrees`` 1 when it
is over :data:`~fashion_annotator.qa.mask_agreement.DISAGREEMENT_SHARE` (the Review table's
flag), else 0; both blank when the two were not compared (the project has no such pair of
tasks, or the image lacks one of the masks)."""


class ReportCancelled(Exception):
    """Raised by :func:`build_html` when its ``stop`` event was set: the reviewer cancelled the
    report; nothing is written."""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_text(value: object) -> str:
    """A text cell that spreadsheets show as text: a leading ``= + - @`` (or tab, CR) would
    make Excel or LibreOffice run it as a formula (``=HYPERLINK(...)``), so it gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _fmt(value: float, digits: int = 4) -> str:
    return "" if not math.isfinite(value) else f"{value:.{digits}f}"


def write_csv(
    scores: Sequence[ImageScore], path: str | Path, metric: str, k: float = DEFAULT_K,
    agreements: ReportAgreements | None = None,
) -> Path:  # fmt: skip
    """Write one row per image (columns :data:`CSV_COLUMNS`), worst first; returns the path.

    An unscored row's score, pixel accuracy and outlier flag are blank (not 0: never judged),
    its ``unscored`` (or ``problem``) cell says why. ``agreements`` fills ``disagreement`` and
    ``disagrees`` (blank without it)."""
    path = Path(path)
    rows = worst_first(scores)
    out = outlier_mask([r.score for r in rows], k)
    figures = {} if agreements is None else agreements.figures(r.image_id for r in rows)
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for row, is_out in zip(rows, out, strict=True):
                writer.writerow([
                    row.image_id, csv_text(row.name), csv_text(row.task), csv_text(metric),
                    _fmt(row.score), _fmt(row.pixel_accuracy), csv_text(row.reference or ""),
                    int(is_out) if math.isfinite(row.score) else "", csv_text(row.status), csv_text(row.operator),
                    f"{row.seconds:.1f}" if row.effort_logged else "", row.actions if row.effort_logged else "",
                    row.versions, csv_text(row.decision or ""),
                    csv_text(_category(row.reason)), csv_text(row.reason_text), csv_text(row.problem),
                    csv_text(row.reason if row.reason in OPERATOR_REASONS else ""), csv_text(row.unscored),
                    *_disagreement_cells(figures.get(row.image_id)),
                ])  # fmt: skip
    except OSError as exc:
        raise OSError(f"{path}: cannot write the CSV: {exc.strerror or exc}") from exc
    return path


def _disagreement_cells(found: MaskAgreement | str | None) -> tuple[str, str]:
    """The CSV's ``disagreement`` and ``disagrees`` of one image (blank when not compared)."""
    if not isinstance(found, MaskAgreement):
        return "", ""
    return _fmt(found.share), str(int(found.disagrees))


def _disagreement_cell(found: MaskAgreement | str | None) -> str:
    """The HTML table's Disagreement cell: the share (its figures in the tooltip), or why the
    masks were not compared; empty without a cutout and parsing pair."""
    if found is None:
        return "<td></td>"
    if isinstance(found, str):
        return f'<td class="l">not compared: {html.escape(found)}</td>'
    flag = f" (over {DISAGREEMENT_SHARE:.0%})" if found.disagrees else ""
    return f'<td title="{html.escape(found.describe())}">{found.share_text}{flag}</td>'


def _agreement_line(agreements: ReportAgreements, figures: dict[int, MaskAgreement | str]) -> str:
    """The summary's count of the images whose cutout and parsing masks disagree."""
    if agreements.pair is None:
        return f'<p id="agreement">Cutout and parsing masks: not compared ({html.escape(agreements.not_compared)}).</p>'
    parsing, cutout = (task_title(t) for t in agreements.pair)
    compared = [f for f in figures.values() if isinstance(f, MaskAgreement)]
    disagree = sum(f.disagrees for f in compared)
    missing = len(figures) - len(compared)
    rest = f"; {counted(missing, 'image')} not compared (the Disagreement column says why)" if missing else ""
    names = html.escape(f"{cutout} and {parsing} masks")
    return (f'<p id="agreement">{names}: {disagree} of {counted(len(compared), "image")} compared '
            f"disagree on more than {DISAGREEMENT_SHARE:.0%} of the cutout{rest}.</p>")  # fmt: skip


def _category(reason: str | None) -> str:
    """The reject category of a row's ``reason`` (blank without one)."""
    return reason_category(reason) if reason else ""


def _reason_text(reason: str | None) -> str:
    """A reason as the report names it: ``"Missed area — Bad ground truth"`` for an operator's
    kind of bad ground truth (its category after a dash: the label may hold parentheses of its
    own), else its label."""
    if reason in OPERATOR_REASONS:
        return f"{reason_label(reason)} — {CATEGORIES[reason_category(reason)]}"
    return reason_label(reason)


def _problem_text(row: ImageScore) -> str:
    """A row's problem as the report names it: led by the image's name, once."""
    return row.problem if row.problem.startswith(row.name) else f"{row.name}: {row.problem}"


def _not_scored(rows: Sequence[ImageScore]) -> str:
    """The "Not scored" section: each listed image without a score and why (no proposal shown
    before its mask, only later ones, or a file that cannot be read); "" when every row has
    a score."""
    esc = html.escape
    missing = [r for r in rows if not math.isfinite(r.score)]
    if not missing:
        return ""
    cells = "".join(
        f'<tr><td class="l">{esc(r.name)}</td><td class="l">'
        f"{esc(r.unscored or r.problem.removeprefix(f'{r.name}: ') or 'no score')}</td></tr>"
        for r in missing
    )
    return (f"<h2>Not scored</h2>\n<p>{counted(len(missing), 'image')} with a saved mask and no "
            f"score, and why.</p>\n"
            f'<table id="unscored"><tr><th class="l">Image</th><th class="l">Reason</th></tr>'
            f"{cells}</table>\n")  # fmt: skip


def _reason_rows(project: ProjectStore, task: str) -> str:
    """The Reject reasons table's rows: each category, and under Bad ground truth the
    operator's kinds it counts; per reason the rejections made (every reject the decision
    history holds, those fixed or approved since included) and those still open (the mask's
    current decision is that reject: :func:`~fashion_annotator.qa.decisions.current_decision`)."""
    made = reason_counts(project, task, latest_only=False)
    made_kinds = reason_counts(project, task, latest_only=False, grouped=False)
    still = reason_counts(project, task)
    still_kinds = reason_counts(project, task, grouped=False)

    def row(label: str, made_n: int, open_n: int, part: bool = False) -> str:
        attrs = ' class="part"' if part else ""
        return (f'<tr{attrs}><td class="l">{html.escape(label)}</td><td>{made_n}</td>'
                f"<td>{open_n}</td></tr>")  # fmt: skip

    rows = []
    for key, label in CATEGORIES.items():
        rows.append(row(label, made.get(key, 0), still.get(key, 0)))
        if key == "bad_ground_truth":
            rows.extend(
                row(f"\u00a0\u00a0of which {part}", made_kinds.get(kind, 0), still_kinds.get(kind, 0), part=True)
                for kind, part in OPERATOR_REASONS.items()
            )
    return "".join(rows)


def histogram_svg(
    values: Sequence[float], threshold: float, metric: str = "Dice", bins: int = 20,
    width: int = 520, height: int = 200,
) -> str:  # fmt: skip
    """An inline SVG bar chart of the scores with the outlier threshold drawn red.

    The axis spans :func:`~fashion_annotator.qa.stats.display_range` (lowest score to 1).
    """
    lo, hi = display_range(values, threshold)
    counts, edges = histogram(values, bins, lo, hi)
    left, right, top, bottom = 40, 20, 10, 30  # right: room for the last tick label
    pw, ph = width - left - right, height - top - bottom
    peak = max(int(counts.max()), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(metric)} histogram">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>',
    ]
    bar_w = pw / bins
    step = (edges[-1] - edges[0]) / bins
    digits = max(2, math.ceil(-math.log10(step))) if step > 0 else 2  # bins 0.0075 wide: 3 decimals
    for i, count in enumerate(counts):
        h = ph * count / peak
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + ph - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="#4682b4"><title>{edges[i]:.{digits}f}-{edges[i + 1]:.{digits}f}: '
            f"{count}</title></rect>"
        )
    for tick, text in axis_ticks(lo, hi, 6):
        x = left + (tick - lo) / (hi - lo) * pw if hi > lo else left
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="11" '
                     f'text-anchor="middle">{text}</text>')  # fmt: skip
    parts.append(f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">'
                 f"{peak}</text>")  # fmt: skip
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{height - 1}" font-size="11" '
                 f'text-anchor="middle">{html.escape(metric)}</text>')  # fmt: skip
    if math.isfinite(threshold):
        x = left + min(max((threshold - lo) / (hi - lo), 0.0), 1.0) * pw
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#d62728" '
            f'stroke-width="2" stroke-dasharray="5,3"><title>outlier threshold '
            f"{threshold:.{threshold_digits(values, threshold)}f}</title></line>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def thumbnail_data_uri(rgb: np.ndarray, max_side: int = 240, quality: int = 70) -> str:
    """A ``data:image/jpeg;base64,...`` URI of the photo shrunk to fit ``max_side`` pixels."""
    im = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
tr.outlier td{background:#fde8e8}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;padding:6px;font-size:12px;width:250px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
"""


def _stats_row(label: str, s: Stats) -> str:
    return (f'<tr><td class="l">{label}</td><td>{s.n}</td><td>{_fmt(s.mean)}</td>'
            f"<td>{_fmt(s.median)}</td><td>{_fmt(s.std)}</td></tr>")  # fmt: skip


def _legend() -> str:
    items = "".join(
        f'<span style="background:rgb{rgb}"></span>{html.escape(text)}'
        for _, text, rgb in overlay.CATEGORIES.values()
    )
    return f'<p class="legend">{items}</p>'


def _decision_word(row: ImageScore) -> str:
    """The Decision column's word: ``approved``, ``rejected`` or "" (the Review table's)."""
    return {"approve": "approved", "reject": "rejected"}.get(row.decision or "", row.decision or "")


def _decision_line(row: ImageScore) -> str:
    """A card's line on the decision, HTML-escaped: "Rejected: Low contrast. Why: sleeve edge"."""
    if row.decision == "reject":
        why = f". Why: {row.reason_text}" if row.reason_text else ""
        return f"<br>Rejected: {html.escape(_reason_text(row.reason) + why)}"
    return "<br>Approved" if row.decision == "approve" else ""


def _cards(project: ProjectStore, rows: Sequence[ImageScore], metric: str, predictor: Any,
           threshold: float, stop: threading.Event | None = None) -> str:  # fmt: skip
    """The overlays of ``rows`` (each one's photo and masks read); raises
    :class:`ReportCancelled` before the next image once ``stop`` is set."""
    cards = []
    for row in rows:
        if stop is not None and stop.is_set():
            raise ReportCancelled
        try:
            changed = referenced_photo_changed(project.image(row.image_id), Path(project.root))
            if changed:  # another file than the photo (a link out of images/): never pictured
                raise ProjectError(changed)
            rgb = project.load_photo(row.image_id).rgb
            saved = project.load_mask(row.image_id, row.task)
            ref = reference_mask(project, row, predictor, rgb)
        except (ValueError, OSError, ProjectError) as exc:  # one missing photo spoilt the report
            problem = str(exc).removeprefix(f"{row.name}: ")
            cards.append(f'<div class="card"><b>{html.escape(row.name)}</b><br>no picture: '
                         f"{html.escape(problem)}</div>")  # fmt: skip
            continue
        if ref is None or saved is None:
            continue
        picture = overlay.blend(rgb, overlay.agreement_labels(saved, ref))
        cards.append(
            f'<div class="card"><img alt="{html.escape(row.name)}" '
            f'src="{thumbnail_data_uri(picture)}"><br><b>{html.escape(row.name)}</b> '
            f"{metric} {_fmt(row.score, score_digits(row.score, threshold))}<br>{html.escape(row.operator)}, "
            f"{row.effort_text}, {html.escape(status_name(row.status))}"
            f"{_decision_line(row)}</div>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def build_html(
    project: ProjectStore,
    task: str,
    scores: Sequence[ImageScore],
    *,
    worst: int = 20,
    k: float = DEFAULT_K,
    predictor: Any = None,
    agreements: ReportAgreements | None = None,
    stop: threading.Event | None = None,
) -> str:
    """Render the report of ``task`` as one HTML document (a string).

    Sections: summary statistics with and without outliers (and the rule, and how many images'
    cutout and parsing masks disagree), the histogram, reject reason counts, throughput per
    operator, overlays of the ``worst`` lowest-scoring images, the images not scored and why
    (when there are any), and the full table worst first. ``agreements``: the figures of the
    masks the scoring read (:class:`~fashion_annotator.qa.mask_agreement.ReportAgreements`),
    else both masks of each image are read here. ``stop``: once set (the reviewer's Cancel),
    :class:`ReportCancelled` is raised before the next image is pictured.
    """
    metric = metric_name(project.taxonomy(task))
    rows = worst_first(scores)
    agreements = ReportAgreements(project, task) if agreements is None else agreements
    figures = agreements.figures(r.image_id for r in rows)
    values = [r.score for r in rows]
    summary = summarize(values, k)
    out = outlier_mask(values, k)
    esc = html.escape
    reason_rows = _reason_rows(project, task)
    tp_rows = "".join(
        f'<tr><td class="l">{esc(t.operator)}</td><td class="l">{esc(t.task)}</td>'
        f"<td>{t.images}</td><td>{t.latest}</td><td>{t.hours:.2f}</td><td>{_fmt(t.images_per_hour, 1)}</td>"
        f"<td>{_fmt(t.actions_per_image, 1)}</td></tr>"
        for t in throughput(project, [task])
    )
    table_rows = "".join(
        f'<tr class="{"outlier" if o else ""}"><td>{r.image_id}</td><td class="l">{esc(r.name)}'
        f"</td><td>{_fmt(r.score, score_digits(r.score, summary.threshold, 4))}</td>"
        f"<td>{_fmt(r.pixel_accuracy)}</td>"
        f'<td class="l">{esc(r.operator)}</td><td>{f"{r.seconds:.0f}" if r.effort_logged else ""}</td>'
        f"<td>{r.actions if r.effort_logged else ''}</td>"
        f'<td class="l">{esc(status_name(r.status))}</td><td class="l">{esc(_decision_word(r))}</td>'
        f'<td class="l">{esc(_reason_text(r.reason))}</td><td class="l">{esc(r.reason_text)}</td>'
        f"{_disagreement_cell(figures.get(r.image_id))}</tr>"
        for r, o in zip(rows, out, strict=True)
    )
    predictor_used = predictor if any(r.reference == "model" for r in rows) else None
    worst_rows = [r for r in rows if math.isfinite(r.score)][:worst]
    cards = _cards(project, worst_rows, metric, predictor_used, summary.threshold, stop)
    # the photo folder's name, not "annotations" (a project made inside a folder of photos),
    # and the task's title, as the window shows them
    title = f"QA report: {project_title(Path(project.root))}, {task_title(task)}"
    against = (
        f"the current model's proposal ({getattr(predictor, 'model_version', None) or 'its version unknown'})"
        if predictor_used is not None
        else "the version QA last rejected (an image never rejected is not scored)"
        if any(r.reference == "rejected" for r in rows)
        else "the proposal the operator was shown when the image was opened"
    )  # fmt: skip
    rule = (
        f"<p>Outlier rule: {esc(metric)} &lt; median &minus; {summary.k:g} &times; MAD = "
        f"{_fmt(summary.all.median, 3)} &minus; {summary.k:g} &times; {esc(mad_text(summary))} = "
        f"<b>{_fmt(summary.threshold, summary.digits)}</b>; {counted(summary.outliers, 'outlier')}.</p>"
        if summary.all.n else
        "<p>Outlier rule: no saved mask scored yet (a mask is scored against the proposal shown "
        "before it was saved; without one, re-score with the current model).</p>"
    )  # fmt: skip
    damaged = [r for r in rows if r.problem]
    n_unscored = sum(not math.isfinite(v) for v in values) - len(damaged)
    unscored = "".join((
        f"; {n_unscored} without a proposal to compare with are listed but not scored" if n_unscored else "",
        f"; {counted(len(damaged), 'image')} not scored because a file cannot be read: "
        + "; ".join(esc(_problem_text(r)) for r in damaged) if damaged else "",
        " (see Not scored)" if n_unscored or damaged else "",
    ))  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{esc(title)}</h1>
<p>Generated {time.strftime("%Y-%m-%d %H:%M")} from {counted(len(rows), "image")} with a saved mask{unscored}.
{esc(metric)} of each saved mask against {esc(against)}.</p>
<h2>Summary</h2>
<table id="summary"><tr><th class="l"></th><th>n</th><th>mean</th><th>median</th><th>std</th></tr>
{_stats_row(f"All images ({metric})", summary.all)}
{_stats_row("Without outliers", summary.inliers)}</table>
{rule}
{_agreement_line(agreements, figures)}
<h2>Histogram</h2>
{histogram_svg(values, summary.threshold, metric)}
<h2>Reject reasons</h2>
<p>Rejections made: every reject recorded, those fixed or approved since included (a mask
rejected twice counts twice). Still open: masks whose latest version is rejected.</p>
<table id="reasons"><tr><th class="l">Reason</th><th>Rejections made</th><th>Still open</th></tr>{reason_rows}</table>
<h2>Throughput</h2>
<p>Images worked on: images the operator saved a version of (an image reworked by a colleague
counts for both, so the column adds up to more than the images). Latest version theirs: images
whose latest version the operator saved (each image once). Images/hour: images worked on per hour.</p>
<table id="throughput"><tr><th class="l">Operator</th><th class="l">Task</th><th>Images worked on</th>
<th>Latest version theirs</th><th>Hours</th><th>Images/hour</th><th>Actions/image</th></tr>{tp_rows}</table>
<h2>Worst {counted(len(worst_rows), 'image')}</h2>
{_legend()}
{cards}
{_not_scored(rows)}<h2>All images</h2>
<table id="scores"><tr><th>id</th><th class="l">Image</th><th>{metric}</th><th>Pixel acc.</th>
<th class="l">Operator</th><th>Seconds</th><th>Actions</th><th class="l">Status</th>
<th class="l">Decision</th><th class="l">Reason</th><th class="l">Why</th><th>Disagreement</th></tr>
{table_rows}</table>
</body></html>
"""


def write_html(path: str | Path, document: str) -> Path:
    """Write the report; errors name the file."""
    path = Path(path)
    try:
        atomic_write_text(path, document)
    except OSError as exc:
        raise OSError(f"{path}: cannot write the report: {exc.strerror or exc}") from exc
    return path
