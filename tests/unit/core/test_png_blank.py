"""``png_all_background``: a label PNG's blankness told from its scanlines, as a decode tells it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.label_images import decode_mask_png, encode_mask_png, png_all_background


def _palette(n: int) -> np.ndarray:
    return np.arange(3 * n, dtype=np.uint8).reshape(n, 3)


@pytest.mark.parametrize("classes", [2, 4, 8, 16, 40, None])  # 1, 2, 4, 8-bit indexed; grey
def test_it_agrees_with_a_decode_on_blank_and_painted_masks(classes):
    rng = np.random.default_rng(classes or 0)
    for height, width in ((1, 1), (3, 7), (97, 61), (400, 300)):
        blank = np.zeros((height, width), np.uint8)
        cases = [blank]
        for y, x in ((0, 0), (height - 1, width - 1), (height // 2, width // 3)):
            one = blank.copy()
            one[y, x] = 1  # a single pixel anywhere: the first, the last, one in between
            cases.append(one)
        cases.append(rng.integers(0, classes or 7, (height, width), dtype=np.uint8))
        for mask in cases:
            data = encode_mask_png(mask, None if classes is None else _palette(classes))
            assert png_all_background(data) is (not decode_mask_png(data).any()), (height, width)


def test_filtered_rows_of_a_grey_png_are_read_past_their_filter_bytes():
    # PIL chooses a filter per row of a grey image: a blank row's filter byte may be non-zero.
    ramp = np.zeros((300, 200), np.uint8)
    ramp[150:] = np.arange(200, dtype=np.uint8)  # rows a Sub filter suits, under blank ones
    for mask in (ramp, np.zeros_like(ramp)):
        for level in (0, 1, 9):  # stored, fastest and smallest: one IDAT or many
            buf = io.BytesIO()
            Image.fromarray(mask).save(buf, format="PNG", compress_level=level)
            assert png_all_background(buf.getvalue()) is (not mask.any())


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (Image.new("RGB", (8, 8)), None),  # colours, not label ids: decoded
        (Image.new("LA", (8, 8)), None),
        (Image.new("I;16", (8, 8)), True),  # 16-bit grey ids: all zero
        (Image.fromarray(np.eye(8, dtype=np.uint16) * 300), False),
    ],
)
def test_other_pngs_are_left_to_the_decode_or_read_exactly(image, expected):
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    assert png_all_background(buf.getvalue()) is expected


def test_interlaced_damaged_or_foreign_data_is_left_to_the_decode():
    data = encode_mask_png(np.zeros((40, 40), np.uint8))
    interlaced = bytearray(data)
    interlaced[28] = 1  # IHDR's interlace method: Adam7 rows are not scanlines of the image
    assert png_all_background(bytes(interlaced)) is None
    assert png_all_background(data[: len(data) // 2]) is None  # cut short: no IEND
    assert png_all_background(b"GIF89a" + data[6:]) is None
    assert png_all_background(b"") is None
    broken = bytearray(data)
    broken[data.index(b"IDAT") + 6] ^= 0xFF  # inside the zlib stream
    assert png_all_background(bytes(broken)) is not True  # the store's hash check refuses it first
