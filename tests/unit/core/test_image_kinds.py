"""Files Pillow cannot open are refused with what they are and what to save them as."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest

from fashion_annotator.core.images import ImageLoadError, load_image, open_checked


def test_a_float_colour_tiff_is_refused_as_such_not_as_an_unknown_format(tmp_path: Path) -> None:
    """Found in a studio delivery audit: a 32-bit float RGB TIFF (an HDR or retouching export)
    was refused as "not a recognised image format (accepted: ... TIFF ...; corrupt file?)"."""
    path = tmp_path / "look 32bit.tif"
    assert cv2.imwrite(str(path), np.full((12, 8, 3), 0.5, np.float32))

    with pytest.raises(ImageLoadError) as info:
        load_image(path)

    assert info.value.path == path
    assert "TIFF" in info.value.reason and "32-bit float" in info.value.reason
    assert "16-bit RGB TIFF" in info.value.reason
    assert "not a recognised" not in info.value.reason


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_an_heic_photo_under_a_jpeg_name_is_named_heif(tmp_path: Path, brand: bytes) -> None:
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(b"\0\0\0\x18ftyp" + brand + b"\0\0\0\0mif1heic" + b"\0" * 64)

    with pytest.raises(ImageLoadError, match="HEIF/HEIC/AVIF photo .*save it as JPEG"):
        load_image(path)


def test_other_bytes_are_still_not_a_recognised_format() -> None:
    source = io.BytesIO(b"hello, not an image at all")
    source.seek(5)

    with pytest.raises(ImageLoadError, match="not a recognised image format"):
        open_checked(source, "<in-memory PNG>")
