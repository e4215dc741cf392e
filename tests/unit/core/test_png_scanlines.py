"""Label PNGs read by scanline: blankness and sameness told as a decode tells them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.core.label_images import decode_mask_png, encode_mask_png
from fashion_annotator.core.png_scanlines import png_all_background, png_same_pixels


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


@pytest.mark.parametrize("classes", [2, 8, 16, 40])
def test_sameness_agrees_with_a_decode(classes):
    rng = np.random.default_rng(classes)
    for height, width in ((1, 1), (5, 3), (300, 200)):
        base = rng.integers(0, classes, (height, width), dtype=np.uint8)
        cases = [base.copy()]
        for y, x in ((0, 0), (height - 1, width - 1), (height // 2, width // 2)):
            other = base.copy()
            other[y, x] = (other[y, x] + 1) % classes
            cases.append(other)
        first = encode_mask_png(base, _palette(classes))
        for other in cases:
            second = encode_mask_png(other, _palette(classes)[::-1].copy())  # other colours, same ids
            same = png_same_pixels(first, second)
            truth = np.array_equal(decode_mask_png(first), decode_mask_png(second))
            assert same is truth or same is None, (height, width)  # None: decode to tell
            assert same is not None or not truth, "alike rows are told alike"


def test_sameness_it_cannot_tell_is_left_to_the_decode():
    mask = np.zeros((300, 200), np.uint8)
    mask[100:200, 50:150] = 1
    indexed = encode_mask_png(mask, _palette(8))
    assert png_same_pixels(indexed, indexed) is True
    assert png_same_pixels(indexed, encode_mask_png(mask[:299], _palette(8))) is None  # other size
    assert png_same_pixels(indexed, encode_mask_png(mask, _palette(40))) is None  # 4-bit against 8-bit
    assert png_same_pixels(indexed, indexed[: len(indexed) - 20]) is None  # cut short
    grey = np.zeros((300, 200), np.uint8)
    grey[150:] = np.arange(200, dtype=np.uint8)  # PIL filters these rows
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, format="PNG")
    other = grey.copy()
    other[-1, -1] ^= 1
    buf2 = io.BytesIO()
    Image.fromarray(other).save(buf2, format="PNG")
    assert png_same_pixels(buf.getvalue(), buf2.getvalue()) in (None, False)
    assert png_same_pixels(buf.getvalue(), buf2.getvalue()) is not True


def test_a_correction_of_a_real_mask_is_told_without_a_decode():
    """The case a retrain meets: an operator's fix of a proposal (a CCP garment mask at
    1152x1728 with an edge moved over 60 rows) differs from it under the same filter at its
    first changed row (when the encoder filtered that row alike on both sides)."""
    import cv2

    from fashion_annotator.core.label_images import load_mask

    masks = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "ccp_small" / "masks").glob("*.png"))
    told = 0
    for path in masks[:6]:
        garment = (load_mask(path) > 0).astype(np.uint8)
        proposal = cv2.resize(garment, (1152, 1728), interpolation=cv2.INTER_NEAREST)
        fixed = proposal.copy()
        fixed[900:960] = cv2.dilate(proposal, np.ones((9, 9), np.uint8))[900:960]
        answer = png_same_pixels(encode_mask_png(fixed, _palette(2)), encode_mask_png(proposal, _palette(2)))
        assert answer is not True
        told += answer is False
    assert len(masks) >= 6 and told >= 2, "three of these six were told without a decode when written"


def test_a_header_claiming_a_bomb_is_left_to_the_decode_not_inflated(monkeypatch):
    import struct
    import zlib

    from fashion_annotator.core import png_scanlines

    width = height = 20_000  # 400 megapixels of zeros: 400 MB inflated, 400 kB in the file
    rows = b"".join([b"\0" * (width + 1)] * 100)
    stream = zlib.compressobj(9)
    body = b"".join(stream.compress(rows) for _ in range(height // 100)) + stream.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))  # fmt: skip
    inflated: list[int] = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self) -> None:
            self._inner = real()

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = self._inner.decompress(data, max_length)
            inflated.append(len(out))
            return out

        def __getattr__(self, name: str):
            return getattr(self._inner, name)

    monkeypatch.setattr(png_scanlines.zlib, "decompressobj", Counting)
    assert png_all_background(bomb) is None
    assert png_same_pixels(bomb, bomb + b"\0") is None
    assert sum(inflated) == 0, "past the decode's pixel limit: nothing is inflated"


def _chunk(kind: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filtered(raw: np.ndarray, kinds: list[int], bpp: int) -> bytes:
    """Rows of raw bytes filtered as a PNG encoder does, one filter type per row."""
    out = []
    prior = np.zeros(raw.shape[1], np.int32)
    for row, kind in zip(raw.astype(np.int32), kinds, strict=True):
        left = np.concatenate([np.zeros(bpp, np.int32), row[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prior[:-bpp]])
        p = left + prior - upleft
        pa, pb, pc = abs(p - left), abs(p - prior), abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prior, upleft))
        predicted = [0 * row, left, prior, (left + prior) // 2, paeth][kind]
        out.append(bytes([kind]) + ((row - predicted) & 0xFF).astype(np.uint8).tobytes())
        prior = row
    return b"".join(out)


def _crafted_png(raw: np.ndarray, width: int, depth: int, colour: int, rng, extra: bytes = b"") -> bytes:
    """A PNG of these raw rows: random filters, the stream split over IDATs (some empty)."""
    import struct
    import zlib

    stream = zlib.compress(_filtered(raw, rng.integers(0, 5, raw.shape[0]).tolist(), max(1, depth // 8)))
    cuts = sorted(rng.integers(0, len(stream) + 1, 3).tolist())
    pieces = [stream[i:j] for i, j in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    header = struct.pack(">IIBBBBB", width, raw.shape[0], depth, colour, 0, 0, 0)
    palette = _chunk(b"PLTE", bytes(range(48))) if colour == 3 else b""
    idats = b"".join(_chunk(b"IDAT", piece) for piece in pieces)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra + palette + idats + _chunk(b"IEND", b"") + b"junk"


@pytest.mark.parametrize(("depth", "colour"), [(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (1, 3), (2, 3), (4, 3), (8, 3)])
def test_crafted_pngs_with_padding_bits_filters_and_split_streams_agree_with_a_decode(depth, colour):
    rng = np.random.default_rng(depth * 10 + colour)
    for width in (1, 3, 5, 8, 13):
        stride = (width * depth + 7) // 8
        unused = 8 * stride - width * depth
        for height in (1, 2, 9):
            for painted in (None, (0, 0), (height - 1, width - 1), (height // 2, width - 1)):
                pixels = np.zeros((height, width), np.uint16)
                if painted is not None:
                    pixels[painted] = 1
                if depth < 8:
                    bits = np.unpackbits(pixels.astype(np.uint8)[:, :, None], axis=2)[:, :, 8 - depth :]
                    bits = bits.reshape(height, -1)
                    garbage = rng.integers(0, 2, (height, unused), dtype=np.uint8)  # unspecified bits
                    raw = np.packbits(np.concatenate([bits, garbage], axis=1), axis=1)
                elif depth == 8:
                    raw = pixels.astype(np.uint8)
                else:
                    raw = pixels.astype(">u2").view(np.uint8).reshape(height, -1)
                data = _crafted_png(raw, width, depth, colour, rng)
                blank = not decode_mask_png(data).any()
                assert png_all_background(data) is blank, (width, height, painted)
                if unused:  # only the padding bits differ: the same pixels
                    other = raw.copy()
                    other[:, -1] ^= (1 << unused) - 1
                    seed = int(rng.integers(1 << 30))
                    data = _crafted_png(raw, width, depth, colour, np.random.default_rng(seed))
                    other_data = _crafted_png(other, width, depth, colour, np.random.default_rng(seed))
                    same = png_same_pixels(data, other_data)
                    assert same is not False, (width, height, painted)


@pytest.mark.parametrize("depth", [2, 4])
def test_grey_of_2_or_4_bits_is_not_the_same_as_indices_of_its_bits(depth):
    raw = np.full((4, 1), 0x40, np.uint8)  # the first sample 1 (grey: 85 or 17 as decoded)
    grey, indexed = (_crafted_png(raw, 8 // depth, depth, colour, np.random.default_rng(depth)) for colour in (0, 3))
    assert not np.array_equal(decode_mask_png(grey), decode_mask_png(indexed))
    assert png_same_pixels(grey, indexed) is None


@pytest.mark.parametrize("kind", [b"eXIf", b"iTXt"])
def test_a_mask_an_orientation_turns_is_left_to_the_decode(kind):
    exif = Image.Exif()
    exif[0x0112] = 3  # turned half a circle
    xmp = b'XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta><rdf:Description tiff:Orientation="3"/></x:xmpmeta>'
    extra = _chunk(kind, exif.tobytes() if kind == b"eXIf" else xmp)
    raw = np.array([[1, 0, 0]], np.uint8)
    turned = _crafted_png(raw, 3, 8, 0, np.random.default_rng(0), extra)
    plain = _crafted_png(raw, 3, 8, 0, np.random.default_rng(0))  # the same filters
    assert not np.array_equal(decode_mask_png(turned), decode_mask_png(plain))
    assert png_same_pixels(turned, plain) is None
