"""The Retrain dialog's count on a team project a desktop retrains from for the first time.

Every saved mask and its photo is copied from the server into the working folder before the
masks are sorted (18 s at 704 CCP masks on a fresh desktop). The dialog said only "Counting the
saved Garment cutout masks…" all that time, and closing it (or the window) froze the window
until every copy was made (19 s measured): the cancel was checked only once sorting began.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.postgres.connection import PgConnection
from fashion_annotator.dataset.store import create_project
from fashion_annotator.ui.testing import PHOTOS
from fashion_annotator.ui.train.selection_thread import MaskCount


@pytest.fixture
def fresh_desktop(pg_url: str, ccp_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A team project with three done garment masks, opened from a desktop that has no copies."""
    with create_project(pg_url, user="lead") as project:
        for stem in PHOTOS:
            record = project.add_image(ccp_dir / "images" / f"{stem}.jpg")
            mask = np.zeros(record.shape, np.uint8)
            mask[10:60, 20:90] = 1
            project.save_mask(record.id, "garment", mask, status="done")
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "other-desktop"))
    return pg_url


def test_count_says_it_copies_from_the_server(qtbot, fresh_desktop: str) -> None:
    count = MaskCount(fresh_desktop, "garment", "lead")
    texts: list[str] = []
    count.changed.connect(lambda: texts.append(count.text))
    count.start()
    qtbot.waitUntil(lambda: count.selection is not None, timeout=60_000)
    count.stop()
    copying = [t for t in texts if t.startswith("Copying the saved Garment cutout masks from the server…")]
    assert copying[0].endswith("0 / 3") and copying[-1].endswith("3 / 3"), "the last copy made: 3 / 3"
    assert len(count.selection.corrected) == 3


def test_close_while_copying_stops_the_copies(qtbot, fresh_desktop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    count = MaskCount(fresh_desktop, "garment", "lead")
    written: list[Path] = []
    real = PgConnection.keep_local

    def keep_local(self: PgConnection, path: Path, data: bytes) -> None:
        written.append(path)
        real(self, path, data)
        if count.worker is not None:
            count.worker.cancel()  # the dialog closed while the first image was copied

    monkeypatch.setattr(PgConnection, "keep_local", keep_local)
    count.start()
    assert count.worker is not None
    qtbot.waitUntil(count.worker.isFinished, timeout=60_000)
    count.stop()
    # the first image's mask and photo; none of the other two images' copies
    assert len(written) == 2
    assert count.selection is None
