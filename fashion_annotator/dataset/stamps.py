"""The time a folder project stamps on a new mask or proposal version: never before one it holds.

A folder project stamps versions with its desktop's clock, and which proposal a saved mask
started from is told by those times (:func:`~fashion_annotator.dataset.records.started_from`:
the latest proposal recorded at or before the first save). A clock stepped back between the
two (a laptop minutes ahead corrected by NTP once it reached the network) stamped the operator's
save before the proposal it accepted: QA found no proposal to score it against and a retrain
took the model's own proposal for a correction. :func:`version_stamp` keeps each image's
versions in the order they were written, whatever the clock does.
"""

from __future__ import annotations

import sqlite3
import time

STEP_S = 0.001
"""Seconds a version is stamped after the image's latest when the clock reads no later."""


def version_stamp(conn: sqlite3.Connection, image_id: int, now: float | None = None) -> float:
    """The ``created`` of a mask or proposal version of ``image_id`` written now, inside the
    caller's write transaction.

    Parameters
    ----------
    conn : sqlite3.Connection
        The index, in the write transaction that inserts the version.
    image_id : int
        The image the version belongs to.
    now : float, optional
        This desktop's time, seconds since the epoch (``time.time()`` when None).

    Returns
    -------
    float
        ``now``, or :data:`STEP_S` after the latest ``created`` of the image's mask versions
        and proposals (every task) when that is not before ``now``.
    """
    now = time.time() if now is None else now
    row = conn.execute(
        "SELECT MAX(created) FROM (SELECT MAX(created) AS created FROM mask_versions"
        " WHERE image_id = ? UNION ALL SELECT MAX(created) FROM proposals WHERE image_id = ?)",
        (int(image_id), int(image_id)),
    ).fetchone()
    latest = None if row is None else row[0]
    return now if latest is None or now > float(latest) else float(latest) + STEP_S
