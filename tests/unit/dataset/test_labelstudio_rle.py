"""Label Studio brush RLE: the numpy codec gives what the bit-by-bit one gave, on every input.

``decode_ls_rle`` read the RLE one bit at a time in Python (about 3 s for one 300x300 region
with unequal channels); it now walks the runs and reads their words with numpy. The bit-by-bit
decoder and the string-building encoder are kept here as the reference: every outcome (the
words, or the error's type and message; numpy's ``OverflowError`` for a word above a byte, which
stopped the whole import, is now a ``ValueError`` naming the value) must be the same, on valid
RLE written three ways (this program's encoder, label-studio-converter's, runs of every kind
with any header) and on cut-off and garbled input.
"""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.dataset.formats.labelstudio import decode_ls_rle, encode_ls_rle

SIZES = (3, 4, 8, 16)


def _reference_decode(rle: list[int], expected: int | None = None) -> np.ndarray:
    """The decoder as it was: one bit at a time."""
    try:
        data = np.asarray(rle, np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"brush RLE is not a list of bytes ({exc})") from exc
    if data.ndim != 1 or (data.size and not 0 <= data.min() <= data.max() <= 255):
        raise ValueError("brush RLE is not a list of bytes (0..255)")
    bits = np.unpackbits(data.astype(np.uint8))
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        if pos + n > bits.size:
            raise ValueError("brush RLE ends early")
        value = 0
        for bit in bits[pos : pos + n]:
            value = (value << 1) | int(bit)
        pos += n
        return value

    num = read(32)
    if expected is not None and num != expected:
        raise ValueError(f"brush RLE holds {num} values, the image needs {expected}")
    word = read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    out = np.zeros(num, np.uint8)
    i = 0
    while i < num:
        repeat = read(1)
        j = min(num, i + 1 + read(sizes[read(2)]))
        if repeat:
            out[i:j] = read(word)
        else:
            for k in range(i, j):
                out[k] = read(word)
        i = j
    return out


def _reference_encode(words: np.ndarray) -> list[int]:
    """The encoder as it was: one string of bits, run by run."""
    flat = np.asarray(words, np.uint8).ravel()
    parts = [f"{flat.size:032b}", f"{8 - 1:05b}", *(f"{s - 1:04b}" for s in SIZES)]
    if flat.size:
        starts = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1])
        lengths = np.diff(np.concatenate([starts, [flat.size]]))
        for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
            value = f"{int(flat[start]):08b}"
            while length > 0:
                chunk = min(length, 1 << 16)
                length -= chunk
                if chunk == 1:
                    parts.append("0" + "00" + "000" + value)
                    continue
                index = next(i for i, s in enumerate(SIZES) if chunk - 1 < (1 << s))
                parts.append(f"1{index:02b}{chunk - 1:0{SIZES[index]}b}{value}")
    text = "".join(parts)
    text += "0" * (-len(text) % 8)
    return np.packbits(np.frombuffer(text.encode("ascii"), np.uint8) - ord("0")).tolist()


def _converter_encode(words: np.ndarray) -> list[int]:
    """label-studio-converter's ``brush.encode_rle``, rewritten: a run of one word is a literal
    run; longer ones are repeat runs, split every 2^16 words (a last piece of one word is a repeat
    run with a 16-bit length); the bits are padded with 1 to 8 zeros (8 when they fill whole bytes)."""
    flat = np.asarray(words, np.uint8).ravel()
    text = f"{flat.size:032b}{8 - 1:05b}" + "".join(f"{s - 1:04b}" for s in SIZES)
    starts = (np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1]) if flat.size else np.zeros(0, int)).tolist()
    for start, end in zip(starts, [*starts[1:], flat.size], strict=False):
        length, value = end - start, f"{int(flat[start]):08b}"
        if length == 1:
            text += "0" + "00" + "000" + value
        elif length <= 256:
            index = 0 if length <= 8 else 1 if length <= 16 else 2
            text += f"1{index:02b}{length - 1:0{SIZES[index]}b}{value}"
        else:
            while length > 1 << 16:
                text += f"111{(1 << 16) - 1:016b}{value}"
                length -= 1 << 16
            text += f"111{length - 1:016b}{value}"
    text += "0" * (8 - len(text) % 8)
    return [int(text[k : k + 8], 2) for k in range(0, len(text), 8)]


def _random_stream(rng: np.random.Generator) -> list[int]:
    """An RLE with a random header (word size 1..32, any run-length field sizes) and runs of every
    kind (literal runs of several words, repeats, a last run longer than the words left, words
    above a byte); then junk bits, and sometimes cut off anywhere."""
    word = int(rng.integers(1, 33)) if rng.random() < 0.5 else 8
    sizes = [int(s) for s in rng.integers(1, 17, 4)] if rng.random() < 0.5 else list(SIZES)
    num = int(rng.integers(0, 70))
    bits = [f"{num:032b}{word - 1:05b}", *(f"{s - 1:04b}" for s in sizes)]
    top = (1 << word) - 1 if rng.random() < 0.2 else min(255, (1 << word) - 1)
    i = 0
    while i < num:
        index = int(rng.integers(0, 4))
        repeat = bool(rng.random() < 0.5)
        length = int(rng.integers(0, (1 << sizes[index]) if repeat else min(1 << sizes[index], 12)))
        bits.append(f"{int(repeat)}{index:02b}{length:0{sizes[index]}b}")
        count = 1 if repeat else min(length + 1, num - i)
        bits += [f"{int(v):0{word}b}" for v in rng.integers(0, top + 1, count, dtype=np.int64)]
        i += length + 1
    bits += ["".join(rng.choice(["0", "1"], int(rng.integers(0, 17))))]
    text = "".join(bits)
    if rng.random() < 0.3:
        text = text[: int(rng.integers(0, len(text) + 1))]
    text += "".join(rng.choice(["0", "1"], -len(text) % 8))
    return [int(text[k : k + 8], 2) for k in range(0, len(text), 8)]


def _outcome(decode, rle: object, expected: int | None = None) -> tuple:
    """What decoding ``rle`` gives: the words' dtype and bytes, or the error's type and text."""
    try:
        words = decode(rle, expected)
    except Exception as exc:  # noqa: BLE001 - comparing whatever either decoder raises
        return type(exc).__name__, str(exc)
    return "words", words.dtype.str, words.shape, words.tobytes()


def _same(rle: object, expected: int | None = None) -> tuple:
    """Decode ``rle`` both ways; the same outcome, but for a word above a byte: numpy's
    ``OverflowError`` there (which stopped the whole import) is now a ``ValueError`` naming it."""
    got, want = _outcome(decode_ls_rle, rle, expected), _outcome(_reference_decode, rle, expected)
    shown = rle if not isinstance(rle, list) or len(rle) < 40 else f"{len(rle)} bytes"
    if want[0] == "OverflowError":  # "Python integer 300 out of bounds for uint8"
        above = want[1].split()[2]
        assert got[0] == "ValueError" and got[1].startswith(f"brush RLE holds a value of {above} in its "), (shown, got)
    else:
        assert got == want, (shown, got[:2], want[:2])
    return want


def _masks(rng: np.random.Generator) -> list[np.ndarray]:
    """RGBA brush canvases: 1x1, all zero, all 255, random sizes, unequal channels, soft edges."""
    out = [np.zeros((1, 1, 4), np.uint8), np.full((1, 1, 4), 255, np.uint8), np.array([[[9, 0, 0, 255]]], np.uint8)]
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 24, 2))
        region = rng.random((h, w)) < rng.random()
        kind = rng.integers(0, 4)
        if kind == 0:  # what this program exports: all four channels 0 or 255
            canvas = np.repeat((region * 255).astype(np.uint8)[..., None], 4, axis=2)
        elif kind == 1:  # a label colour with alpha, as Label Studio paints it
            canvas = np.where(region[..., None], np.array([255, 0, 128, 255], np.uint8), 0).astype(np.uint8)
        elif kind == 2:  # any words
            canvas = rng.integers(0, 256, (h, w, 4)).astype(np.uint8)
        else:  # few values: runs of every length
            canvas = rng.choice(np.array([0, 90, 255], np.uint8), (h, w, 4))
        out.append(canvas)
    out += [np.zeros((0, 0, 4), np.uint8), np.zeros((40, 60, 4), np.uint8), np.full((40, 60, 4), 255, np.uint8)]
    return out


def test_encoding_and_round_trip_match_the_bit_by_bit_codec() -> None:
    rng = np.random.default_rng(7)
    for canvas in _masks(rng):
        rle = encode_ls_rle(canvas)
        assert rle == _reference_encode(canvas)
        for written in (rle, _converter_encode(canvas)):
            got = _same(written, canvas.size)
            assert got[-1] == canvas.tobytes()
            _same(written)
            _same(written, canvas.size + 1)


def test_runs_longer_than_the_length_field_are_split_and_read_back() -> None:
    """300x300 RGBA all 255 is 360,000 equal words: six runs of at most 2^16 words; a last piece of
    one word is written as a literal run by this program, a repeat run by the converter."""
    for words in (np.full(360_000, 255, np.uint8), np.full((1 << 16) + 1, 7, np.uint8),
                  np.r_[np.zeros(1 << 17, np.uint8), np.ones(3 * (1 << 16) + 1, np.uint8)]):  # fmt: skip
        rle = encode_ls_rle(words)
        assert rle == _reference_encode(words)
        for written in (rle, _converter_encode(words)):
            assert _same(written, words.size)[-1] == words.tobytes()


def test_any_header_and_any_run_decode_as_before() -> None:
    """Word sizes 1..32, any run-length field sizes, literal runs of several words, a last run
    claiming more words than are left, words above a byte, junk after the runs, cut-off input."""
    rng = np.random.default_rng(11)
    outcomes = set()  # the reference's: words, ValueError, OverflowError
    for _ in range(400):
        rle = _random_stream(rng)
        outcomes.add(_same(rle)[0])
        if len(rle) >= 4:
            num = int.from_bytes(bytes(rle[:4]), "big")
            _same(rle, num)
            _same(rle, num + 1)
    assert outcomes == {"words", "ValueError", "OverflowError"}


def _packed(text: str) -> list[int]:
    """Bits written as text -> bytes (padded with zeros)."""
    text += "0" * (-len(text) % 8)
    return [int(text[k : k + 8], 2) for k in range(0, len(text), 8)]


# 5 words of 16 bits: a literal run of one word (0), then a repeat run whose 16-bit length is cut
# off: the 16 bits after the first run must not be read as the first run's second word (0xFFFF)
LITERAL_THEN_CUT = _packed(f"{5:032b}{15:05b}0010001101111111" + "0" + "10" + "00000000" + "0" * 16 + "1" * 16)


@pytest.mark.parametrize(
    "rle",
    [
        [], [0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0, 56, 0], [0, 0, 0, 0, 56, 0, 0],
        [0, 0, 0, 1, 56, 0, 0, 0], [256], [-1], [1.5, 2.0], [[1, 2]], {"a": 1}, "abc", 5, None,
        [0, 0, 1, 0, 56, 0, 0, 255, 255, 255], LITERAL_THEN_CUT,
    ],
)  # fmt: skip
def test_short_and_garbled_input_is_refused_as_before(rle: object) -> None:
    """Cut-off headers, runs past the end and values that are no bytes: the same error, word for word."""
    got = _same(rle)
    _same(rle, 1)
    assert got[0] != "words" or got[2] == (0,)


def test_a_wrong_word_count_is_refused_before_the_runs_are_read() -> None:
    rle = encode_ls_rle(np.zeros(12, np.uint8))
    with pytest.raises(ValueError, match=r"^brush RLE holds 12 values, the image needs 16$"):
        decode_ls_rle(rle, 16)
    with pytest.raises(ValueError, match=r"^brush RLE ends early$"):
        decode_ls_rle(rle[:-2], 12)
