"""The image and mask loader on synthetic files of every awkward kind, plus real CCP files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from fashion_annotator.core import images
from fashion_annotator.core.images import ImageData, ImageLoadError, load_image
from fashion_annotator.core.label_images import decode_mask_png, encode_mask_png, load_mask

RNG = np.random.default_rng(0)


def _asymmetric_rgb(h: int = 6, w: int = 10) -> np.ndarray:
    """Every pixel distinct, so any wrong flip or rotation shows."""
    return RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _png_with_orientation(path: Path, arr: np.ndarray, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(arr).save(path, format="PNG", exif=exif.tobytes())


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A tiny PNG whose IHDR claims ``width`` x ``height`` 8-bit gray pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    path.write_bytes(data)


@pytest.mark.parametrize(("orientation", "k"), [(1, 0), (3, 2), (6, -1), (8, 1)])
def test_exif_orientation_applied_exactly(tmp_path: Path, orientation: int, k: int) -> None:
    arr = _asymmetric_rgb()
    path = tmp_path / f"o{orientation}.png"
    _png_with_orientation(path, arr, orientation)
    data = load_image(path)
    assert isinstance(data, ImageData)
    np.testing.assert_array_equal(data.rgb, np.rot90(arr, k=k))
    with Image.open(path) as im:
        oracle = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(data.rgb, oracle)
    assert data.alpha is None
    assert data.path == path


@pytest.mark.parametrize("orientation", [2, 4, 5, 7])
def test_exif_mirror_orientations_match_pillow(tmp_path: Path, orientation: int) -> None:
    arr = _asymmetric_rgb()
    path = tmp_path / "m.png"
    _png_with_orientation(path, arr, orientation)
    with Image.open(path) as im:
        oracle = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(load_image(path).rgb, oracle)


def test_exif_rotated_jpeg_and_mask_rotate_together(tmp_path: Path) -> None:
    # Left half red, right half blue, 40 rows x 80 columns; orientation 6 = rotate 90 CW.
    arr = np.zeros((40, 80, 3), np.uint8)
    arr[:, :40] = (255, 0, 0)
    arr[:, 40:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "photo.jpg"
    Image.fromarray(arr).save(photo, quality=95, exif=exif.tobytes())
    mask_arr = np.zeros((40, 80), np.uint8)
    mask_arr[:, 40:] = 1
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask_arr).save(mask_path, exif=exif.tobytes())

    data = load_image(photo)
    assert data.rgb.shape == (80, 40, 3)
    # After a clockwise quarter turn the left (red) half is on top.
    assert data.rgb[5, 20, 0] > 200 and data.rgb[5, 20, 2] < 50
    assert data.rgb[75, 20, 2] > 200 and data.rgb[75, 20, 0] < 50
    mask = load_mask(mask_path, shape=data.shape)
    np.testing.assert_array_equal(mask, np.rot90(mask_arr, k=-1))


def test_cmyk_jpeg_converted_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[..., 0] = 255  # pure cyan
    Image.frombytes("CMYK", (16, 16), cmyk.tobytes()).save(path, quality=100)
    with Image.open(path) as im:
        assert im.mode == "CMYK"
    rgb = load_image(path).rgb
    assert rgb.shape == (16, 16, 3) and rgb.dtype == np.uint8
    np.testing.assert_allclose(rgb.reshape(-1, 3).mean(0), [0, 255, 255], atol=4)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_scaled_not_clipped(tmp_path: Path, fmt: str) -> None:
    values = np.array([[0, 255, 256, 4096], [32768, 40000, 65280, 65535]], np.uint16)
    path = tmp_path / f"deep.{fmt.lower()}"
    Image.fromarray(values).save(path, format=fmt)
    with Image.open(path) as im:
        assert im.mode.startswith("I")
    data = load_image(path)
    expected = (values >> 8).astype(np.uint8)
    assert data.rgb.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(data.rgb[..., c], expected)


def test_grayscale_and_bilevel(tmp_path: Path) -> None:
    gray = RNG.integers(0, 256, size=(5, 7), dtype=np.uint8)
    path = tmp_path / "gray.png"
    Image.fromarray(gray).save(path)
    rgb = load_image(path).rgb
    assert rgb.shape == (5, 7, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], gray)
    bilevel = tmp_path / "bw.png"
    Image.fromarray(gray > 127).save(bilevel)
    rgb = load_image(bilevel).rgb
    np.testing.assert_array_equal(rgb[..., 0], np.where(gray > 127, 255, 0))


def test_palette_image_gives_colours_and_transparency_alpha(tmp_path: Path) -> None:
    idx = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    pal = np.array([[10, 20, 30], [200, 0, 0], [0, 250, 5]], np.uint8)
    im = Image.frombytes("P", (3, 2), idx.tobytes())
    im.putpalette(pal.tobytes())
    path = tmp_path / "pal.png"
    im.save(path)
    data = load_image(path)
    np.testing.assert_array_equal(data.rgb, pal[idx])
    assert data.alpha is None
    transparent = tmp_path / "pal_t.png"
    im.save(transparent, transparency=1)
    data = load_image(transparent)
    np.testing.assert_array_equal(data.alpha, np.where(idx == 1, 0, 255))
    np.testing.assert_array_equal(data.rgb[idx != 1], pal[idx][idx != 1])


def test_rgba_alpha_kept(tmp_path: Path) -> None:
    rgba = RNG.integers(0, 256, size=(4, 6, 4), dtype=np.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba).save(path)
    data = load_image(path)
    np.testing.assert_array_equal(data.rgb, rgba[..., :3])
    np.testing.assert_array_equal(data.alpha, rgba[..., 3])
    assert data.alpha.shape == (4, 6) and data.alpha.dtype == np.uint8


def test_non_ascii_path(tmp_path: Path) -> None:
    folder = tmp_path / "дата"
    folder.mkdir()
    path = folder / "été_服.png"
    arr = _asymmetric_rgb()
    Image.fromarray(arr).save(path)
    np.testing.assert_array_equal(load_image(path).rgb, arr)
    np.testing.assert_array_equal(load_image(str(path)).rgb, arr)
    Image.fromarray(arr[..., 0]).save(folder / "маска.png")
    np.testing.assert_array_equal(load_mask(folder / "маска.png"), arr[..., 0])


def _assert_refused(path: Path, *words: str) -> ImageLoadError:
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    err = info.value
    assert err.path == path
    assert str(path) in str(err) and err.reason in str(err)
    for word in words:
        assert word in err.reason.lower(), err.reason
    with pytest.raises(ImageLoadError):
        load_mask(path)
    return err


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    _assert_refused(path, "empty")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _assert_refused(tmp_path / "nope.png", "does not exist")
    _assert_refused(tmp_path, "not a regular file")


def test_garbage_bytes(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jpg"
    path.write_bytes(RNG.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    _assert_refused(path, "not a recognised image")


@pytest.mark.parametrize(("fmt", "keep"), [("JPEG", 0.5), ("PNG", 0.5), ("JPEG", 0.05)])
def test_truncated_files(tmp_path: Path, fmt: str, keep: float) -> None:
    buf = io.BytesIO()
    Image.fromarray(RNG.integers(0, 256, size=(128, 128, 3), dtype=np.uint8)).save(buf, format=fmt)
    data = buf.getvalue()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: int(len(data) * keep)])
    err = _assert_refused(path)
    assert any(w in err.reason.lower() for w in ("truncated", "corrupt", "broken")), err.reason


def test_bomb_with_monkeypatched_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(path)
    monkeypatch.setattr(images, "MAX_PIXELS", 9_999)
    _assert_refused(path, "decompression bomb", "10000")
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)
    assert load_image(path).rgb.shape == (100, 100, 3)


@pytest.mark.parametrize("side", [11_000, 13_000, 20_000])
def test_bomb_real_header(tmp_path: Path, side: int) -> None:
    """121 and 169 Mpx are above our limit but below Pillow's hard one (its warning must not
    leak); 400 Mpx trips Pillow's own DecompressionBombError, which was said in its words and
    with its limit (178,956,970 pixels): every one is said with ours now (found by a tester)."""
    path = tmp_path / "bomb.png"
    _png_header_only(path, side, side)
    assert path.stat().st_size < 1000
    said = (f"decompression bomb refused: {side}x{side} = {side * side} pixels exceeds the limit "
            f"of {images.MAX_PIXELS}")  # fmt: skip
    assert _assert_refused(path).reason == said
    with pytest.raises(ImageLoadError) as info:  # bytes, as a server project's photo is read
        images.open_checked(io.BytesIO(path.read_bytes()), "look.png")
    assert info.value.reason == said


def test_default_limit() -> None:
    assert images.MAX_PIXELS == 120_000_000


def test_mask_palette_indices_kept(tmp_path: Path) -> None:
    ids = RNG.integers(0, 7, size=(9, 11), dtype=np.uint8)
    im = Image.frombytes("P", (11, 9), ids.tobytes())
    im.putpalette(bytes(range(7 * 3)))
    path = tmp_path / "pal_mask.png"
    im.save(path)
    mask = load_mask(path, shape=(9, 11))
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, ids)


def test_mask_shape_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "m.png"
    Image.fromarray(np.zeros((10, 20), np.uint8)).save(path)
    with pytest.raises(ImageLoadError) as info:
        load_mask(path, shape=(20, 10))
    assert info.value.path == path
    assert "20x10" in info.value.reason and "10x20" in info.value.reason
    assert "differs" in str(info.value)


def test_mask_colour_refused_gray_rgb_accepted(tmp_path: Path) -> None:
    path = tmp_path / "colour.png"
    Image.fromarray(_asymmetric_rgb()).save(path)
    with pytest.raises(ImageLoadError, match="colour"):
        load_mask(path)
    gray = RNG.integers(0, 5, size=(4, 4), dtype=np.uint8)
    path = tmp_path / "gray_rgb.png"
    Image.fromarray(np.repeat(gray[..., None], 3, axis=2)).save(path)
    np.testing.assert_array_equal(load_mask(path), gray)


def test_mask_sixteen_bit(tmp_path: Path) -> None:
    small = np.array([[0, 3], [58, 255]], np.uint16)
    path = tmp_path / "ids16.png"
    Image.fromarray(small).save(path)
    np.testing.assert_array_equal(load_mask(path), small.astype(np.uint8))
    Image.fromarray(small * 300).save(path)
    with pytest.raises(ImageLoadError, match="0..255"):
        load_mask(path)


@pytest.mark.parametrize("with_palette", [False, True])
def test_encode_decode_roundtrip(with_palette: bool) -> None:
    mask = RNG.integers(0, 18, size=(33, 21), dtype=np.uint8)
    palette = RNG.integers(0, 256, size=(18, 3), dtype=np.uint8) if with_palette else None
    data = encode_mask_png(mask, palette)
    assert data.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == ("P" if with_palette else "L")
        if with_palette:
            pal = np.frombuffer(im.palette.tobytes(), np.uint8).reshape(-1, 3)
            np.testing.assert_array_equal(pal[:18], palette)
    np.testing.assert_array_equal(decode_mask_png(data), mask)


def test_encode_pads_short_palette() -> None:
    mask = np.array([[0, 1, 5]], np.uint8)
    data = encode_mask_png(mask, np.array([[0, 0, 0], [255, 0, 0]], np.uint8))
    np.testing.assert_array_equal(decode_mask_png(data), mask)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((3, 3), np.int32), np.zeros((3, 3, 3), np.uint8), np.zeros((0, 4), np.uint8)],
)
def test_encode_rejects_bad_masks(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="mask"):
        encode_mask_png(bad, None)


def test_encode_rejects_bad_palette() -> None:
    with pytest.raises(ValueError, match="palette"):
        encode_mask_png(np.zeros((2, 2), np.uint8), np.zeros((3, 4), np.uint8))


def test_decode_refuses_garbage() -> None:
    with pytest.raises(ImageLoadError, match="in-memory"):
        decode_mask_png(b"")
    with pytest.raises(ImageLoadError, match="in-memory"):
        decode_mask_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageLoadError) as info:
        decode_mask_png(b"junk" * 10, source=Path("masks/7/v2.png"))
    assert info.value.path == Path("masks/7/v2.png")
    assert "masks/7/v2.png" in str(info.value)


def test_real_ccp_photo_and_mask(ccp_dir: Path, ccp_splits: dict[str, list[str]]) -> None:
    stem = ccp_splits["val"][0]
    photo = load_image(ccp_dir / "images" / f"{stem}.jpg")
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape[2] == 3
    assert photo.rgb.shape[1] == 550 and 780 <= photo.rgb.shape[0] <= 880
    assert photo.alpha is None
    assert photo.rgb.std() > 10  # a real photo, not a flat fill
    mask = load_mask(ccp_dir / "masks" / f"{stem}.png", shape=photo.shape)
    assert mask.shape == photo.shape and mask.dtype == np.uint8
    assert 0 in mask and int(mask.max()) <= 58
    assert len(np.unique(mask)) >= 3


@pytest.mark.parametrize(("fmt", "suffix"), [("TIFF", ".tif"), ("WEBP", ".webp"), ("JPEG", ".jpg"), ("PNG", ".png")])
def test_copy_upright_writes_the_photo_as_load_image_shows_it(tmp_path: Path, fmt: str, suffix: str) -> None:
    """A TIFF turns itself upright while Pillow loads it: it used to be turned a second time;
    a lossless WebP came out lossy."""
    rng = np.random.default_rng(0)
    stored = np.repeat(np.repeat(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8), 4, 0), 4, 1)
    src, dst = tmp_path / f"src{suffix}", tmp_path / f"dst{suffix}"
    exif = Image.Exif()
    exif[0x0112] = 6
    options = {"lossless": True} if fmt == "WEBP" else {"quality": 98} if fmt == "JPEG" else {}
    Image.fromarray(stored).save(src, format=fmt, exif=exif.tobytes(), **options)
    shown = load_image(src).rgb
    assert shown.shape == (80, 48, 3)  # stored 48 x 80, shown turned a quarter
    assert images.copy_upright(src, dst)
    with Image.open(dst) as out:
        assert out.getexif().get(0x0112, 1) == 1
        pixels = np.asarray(out.convert("RGB")).astype(int)
    assert pixels.shape == shown.shape
    if fmt == "JPEG":
        assert np.abs(pixels - shown).mean() <= 3
    else:
        np.testing.assert_array_equal(pixels, shown)
