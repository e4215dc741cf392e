"""Synthetic ICC v2 profiles for tests, written byte by byte (nothing downloaded, no system files).

- :func:`rgb_profile`: a matrix/TRC RGB display profile; :data:`ADOBE_RGB` gives the Adobe RGB
  (1998) primaries (D50-adapted) and gamma 2.2;
- :func:`cmyk_profile`: a CMYK output profile whose ``A2B0`` is a 2-point 8-bit table to Lab,
  the corners' colours given in Pillow's 8-bit Lab encoding;
- :func:`grey_profile`: a grey display profile with a gamma tone curve.
"""

from __future__ import annotations

import struct

import numpy as np
from PIL import Image, ImageCms

#: Adobe RGB (1998) colorants, D50-adapted (as in Adobe's own profile).
ADOBE_RGB = ((0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457))
_D50 = (0.9642, 1.0, 0.8249)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (4 + 4 + 2 + 1 + 67)


def _profile(device: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    """Header, tag table and the tags (each on a 4-byte boundary)."""
    table, body = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for sig, data in tags.items():
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + device + space + pcs
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + b"".join(_s15(v) for v in _D50)
              + b"\0" * 48)  # fmt: skip
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def rgb_profile(colorants=ADOBE_RGB, gamma: float = 2.2, description: str = "Synthetic Adobe RGB") -> bytes:
    """An RGB matrix/TRC profile with these colorants (red, green, blue XYZ) and gamma."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    tags = {b"desc": _desc(description), b"wtpt": _xyz(_D50), b"rXYZ": _xyz(colorants[0]),
            b"gXYZ": _xyz(colorants[1]), b"bXYZ": _xyz(colorants[2]), b"rTRC": curve, b"gTRC": curve,
            b"bTRC": curve, b"cprt": b"text\0\0\0\0no copyright\0"}  # fmt: skip
    return _profile(b"mntr", b"RGB ", b"XYZ ", tags)


def cmyk_profile(cast: int = 24) -> bytes:
    """A CMYK profile: each corner's colour is the naive conversion's, made ``cast`` levels
    yellower (Lab b*), so colour management gives visibly other pixels than a naive reading."""
    corners = np.array([[c, m, y, k] for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)])
    rgb = (255 * (1 - corners[:, :3]) * (1 - corners[:, 3:])).astype(np.uint8)
    to_lab = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB")
    lab = np.asarray(ImageCms.applyTransform(Image.fromarray(rgb[None]), to_lab)).reshape(-1, 3).astype(int)
    lab[:, 2] = np.clip(lab[:, 2] + cast, 0, 255)
    identity = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    ramp = bytes(range(256))
    lut = (b"mft1\0\0\0\0" + bytes([4, 3, 2, 0]) + identity + ramp * 4
           + lab.astype(np.uint8).tobytes() + ramp * 3)  # fmt: skip
    tags = {b"desc": _desc("Synthetic CMYK"), b"wtpt": _xyz(_D50), b"A2B0": lut,
            b"cprt": b"text\0\0\0\0no copyright\0"}  # fmt: skip
    return _profile(b"prtr", b"CMYK", b"Lab ", tags)


def grey_profile(gamma: float = 1.8, description: str = "Synthetic Gray Gamma") -> bytes:
    """A grey display profile: one tone curve (``kTRC``) of this gamma, as Photoshop's Gray
    Gamma 1.8 / 2.2."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    tags = {b"desc": _desc(description), b"wtpt": _xyz(_D50), b"kTRC": curve,
            b"cprt": b"text\0\0\0\0no copyright\0"}  # fmt: skip
    return _profile(b"mntr", b"GRAY", b"XYZ ", tags)
