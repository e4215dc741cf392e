"""A CVAT mask whose run lengths include a negative one says so.

``rle="-5, 10"`` over a 1x5 box was refused as "mask rle covers 5 pixels, its box 1x5 has 5":
the sum fits, the message contradicted itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.formats.cvat import decode_cvat_rle
from fashion_annotator.dataset.store import Project


def test_a_negative_run_length_is_named() -> None:
    with pytest.raises(ValueError, match=r"^mask rle has a negative count \(-5\): run lengths are 0 or more$"):
        decode_cvat_rle([-5, 10], 1, 5)


def test_a_cvat_image_with_a_negative_run_length_is_refused_by_name(
    project: Project, tmp_path: Path, write_photo
) -> None:
    write_photo(tmp_path / "images" / "look.png", (24, 32))
    (tmp_path / "annotations.xml").write_text(
        '<annotations><image id="0" name="look.png" width="32" height="24"><mask label="top" rle="-5, 10" '
        'left="0" top="0" width="1" height="5"/></image></annotations>'
    )
    summary = import_source(project, tmp_path, "cvat")
    ((where, problem),) = summary.errors
    assert where.endswith("image 'look.png'") and "negative count (-5)" in problem
