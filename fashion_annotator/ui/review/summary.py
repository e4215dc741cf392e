"""Rich-text panels of the review view: summary statistics and throughput per operator."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from fashion_annotator.core.wording import counted
from fashion_annotator.qa.scores import ImageScore
from fashion_annotator.qa.stats import Summary, mad_text
from fashion_annotator.qa.throughput import Throughput

__all__ = ["fmt", "summary_html", "throughput_html", "unscored_html"]


def fmt(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, or "-" when it is NaN or infinite."""
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def summary_html(s: Summary, metric: str, rejected: bool = False) -> str:
    """Mean, median and std with and without outliers, and the outlier rule, as a table;
    ``rejected``: the scores are against the version QA rejected (what an empty table says)."""
    empty = ("<p>No fixed reject to compare: no saved mask has a version QA rejected and a "
             "version saved since.</p>" if rejected else
             "<p>Nothing to review yet: no saved mask scored (scored against the proposal shown "
             "before it was saved; without one, Re-score with current model).</p>")  # fmt: skip
    rows = "".join(
        f"<tr><td>{label}</td><td align=right>{st.n}</td><td align=right>{fmt(st.mean)}</td>"
        f"<td align=right>{fmt(st.median)}</td><td align=right>{fmt(st.std)}</td></tr>"
        for label, st in (("all", s.all), ("without outliers", s.inliers))
    )
    return (
        f"<table cellspacing=0 cellpadding=3><tr><th align=left>{metric}</th><th>n</th>"
        f"<th>mean</th><th>median</th><th>std</th></tr>{rows}</table>"
        + (f"<p>Outliers: <b>{s.outliers}</b> below median - {s.k:g} x MAD = "
           f"<b>{fmt(s.threshold, s.digits)}</b>; MAD {mad_text(s)}</p>" if s.all.n else empty)
    )  # fmt: skip


def unscored_html(rows: Sequence[ImageScore]) -> str:
    """What the statistics leave out of the table's ``rows``, as lines to add to the summary:
    the rows without a proposal to compare with (the table lists them with "-", the counts above
    did not say why they are fewer) and those whose files cannot be read ("" when none)."""
    bare = sum(not math.isfinite(r.score) and not r.problem for r in rows)
    unreadable = [r for r in rows if r.problem]
    what = ("never rejected or not saved since the reject" if any(r.reference == "rejected" for r in rows)
            else "without a proposal to compare with")  # fmt: skip
    text = f"<br>{counted(bare, 'image')} {what}: listed, not scored" if bare else ""
    if unreadable:
        text += (f"<br><b>{counted(len(unreadable), 'image')} not scored</b> "
                 f"(e.g. {html.escape(unreadable[0].problem)})")  # fmt: skip
    return text


def throughput_html(rows: Sequence[Throughput]) -> str:
    """Per operator: the images worked on (an image reworked by a colleague counts for both),
    those whose latest version is theirs (each image once), images worked on per hour and
    actions per image, as a table and a line that says which column adds up to the images."""
    if not rows:
        return "<p>No operator time logged yet.</p>"
    body = "".join(
        f"<tr><td>{html.escape(t.operator)}</td><td align=right>{t.images}</td>"
        f"<td align=right>{t.latest}</td>"
        f"<td align=right>{fmt(t.images_per_hour, 1)}</td>"
        f"<td align=right>{fmt(t.actions_per_image, 1)}</td></tr>"
        for t in rows
    )
    return (
        "<table cellspacing=0 cellpadding=3><tr><th align=left>Operator</th><th>worked on</th>"
        f"<th>latest theirs</th><th>images/h</th><th>actions/image</th></tr>{body}</table>"
        "<p>Worked on: a reworked image counts for each operator who saved it; latest theirs: "
        "each image once, for whoever saved its latest version.</p>"
    )
