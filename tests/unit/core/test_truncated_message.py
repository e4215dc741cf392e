"""A photo cut short (an interrupted copy) is named with a plain cause and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.core.images import ImageLoadError, load_image, open_image_file

FIXTURE = Path(__file__).parents[2] / "fixtures" / "ccp_small" / "images"


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_real_jpeg_says_cut_short_not_pillows_words(
    tmp_path: Path, keep: float
) -> None:
    source = sorted(FIXTURE.glob("*.jpg"))[0]
    data = source.read_bytes()
    path = tmp_path / "look.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.path == path
    assert info.value.reason == "the file is cut short (truncated); re-export or copy it again"
    assert str(info.value) == f"{path}: {info.value.reason}"
    assert "bytes not processed" not in str(info.value)
    with pytest.raises(ImageLoadError, match="cut short"):
        open_image_file(path)
