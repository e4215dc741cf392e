"""Click logs beside mask versions: round trip, missing keys and bad files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.dataset.click_logs import (
    click_log_path,
    iter_click_logs,
    read_click_log,
    write_click_log,
)


def test_round_trip_beside_the_mask_png(tmp_path: Path) -> None:
    png = tmp_path / "masks" / "3" / "garment" / "v2.png"
    png.parent.mkdir(parents=True)
    png.write_bytes(b"")
    clicks = [{"kind": "box", "y": 10.0, "x": 5.5, "positive": True, "label": 1},
              {"kind": "click", "y": 12.0, "x": 7.0, "positive": False, "label": 1}]
    path = write_click_log(png, clicks)
    assert path == png.parent / "v2.clicks.json" == click_log_path(png)
    assert read_click_log(png) == clicks
    other = png.parent / "v1.png"
    assert read_click_log(other) == []
    assert list(iter_click_logs([other, png])) == [(png, clicks)]


def test_bad_logs_are_named(tmp_path: Path) -> None:
    png = tmp_path / "v1.png"
    with pytest.raises(ValueError, match="missing"):
        write_click_log(png, [{"kind": "click", "y": 1}])
    click_log_path(png).write_text("{not json")
    with pytest.raises(ValueError, match="v1.clicks.json"):
        read_click_log(png)
