"""Label masks and photos as QImages that share memory with numpy buffers.

The overlay is the ``(H, W) uint8`` label mask itself wrapped by a ``Format_Indexed8`` QImage
whose colour table is a 256-entry lookup table: no pixel is ever recoloured, a task switch only
sets the table, and the painter colours just the pixels it draws.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

from fashion_annotator.core.masks import BBox

#: Alpha of label colours in the overlay buffer; the opacity slider is applied at paint time.
LABEL_ALPHA = 255
#: Colour of superpixel boundaries, as (r, g, b, a).
BOUNDARY_RGBA = (255, 255, 0, 200)


def pack_premultiplied(rgba: np.ndarray) -> np.ndarray:
    """Pack RGBA colours into premultiplied ARGB32 words.

    Parameters
    ----------
    rgba : (..., 4) uint8
        Straight (not premultiplied) colours.

    Returns
    -------
    (...) uint32
        ``0xAARRGGBB`` with R, G, B multiplied by A / 255, the layout of
        ``QImage.Format_ARGB32_Premultiplied`` on every platform Qt supports.
    """
    rgba = np.asarray(rgba, dtype=np.uint32)
    if rgba.shape[-1] != 4:
        raise ValueError(f"expected (..., 4) RGBA colours, got shape {rgba.shape}")
    a = rgba[..., 3]
    r, g, b = ((rgba[..., i] * a + 127) // 255 for i in range(3))
    return (a << 24) | (r << 16) | (g << 8) | b


def _fallback_color(label: int) -> tuple[int, int, int]:
    # Ids outside the taxonomy must stay visible (they are errors to fix), and stable across
    # sessions, so derive them from the id rather than a random generator.
    h = (label * 2654435761) & 0xFFFFFF
    return (h >> 16) & 0xFF, (h >> 8) & 0xFF, h & 0xFF


def label_lut(colors: np.ndarray, alpha: int = LABEL_ALPHA) -> np.ndarray:
    """Build the 256-entry colour lookup table for a taxonomy.

    Parameters
    ----------
    colors : (K, 3) uint8
        Class colours, e.g. ``Taxonomy.colors``; class 0 (background) is transparent.
    alpha : int
        Alpha of every non-background label, 0..255.

    Returns
    -------
    (256,) uint32
        Premultiplied ARGB32 colour per label id. Ids ``>= K`` get a stable made-up colour so
        out-of-taxonomy values stay visible.
    """
    colors = np.asarray(colors)
    if colors.ndim != 2 or colors.shape[1] != 3 or len(colors) > 256:
        raise ValueError(f"expected (K <= 256, 3) colours, got shape {colors.shape}")
    rgba = np.zeros((256, 4), dtype=np.uint8)
    rgba[: len(colors), :3] = colors
    for label in range(len(colors), 256):
        rgba[label, :3] = _fallback_color(label)
    rgba[1:, 3] = alpha
    return pack_premultiplied(rgba)


#: The backdrop of the cutout preview: an opaque neutral grey where the mask is background.
CUTOUT_BACKDROP = (128, 128, 128)


def cutout_lut(backdrop: tuple[int, int, int] = CUTOUT_BACKDROP) -> np.ndarray:
    """The lookup table of the cutout preview: background (id 0) an opaque ``backdrop``, every
    other label transparent, so the photo shows only where the mask keeps it.

    Returns
    -------
    (256,) uint32
        Premultiplied ARGB32 per label id (:func:`label_lut`'s layout).
    """
    rgba = np.zeros((256, 4), dtype=np.uint8)
    rgba[0] = (*backdrop, 255)
    return pack_premultiplied(rgba)


def _wrap(buffer: np.ndarray, fmt: QImage.Format) -> QImage:
    h, w = buffer.shape[:2]
    return QImage(buffer.data, w, h, buffer.strides[0], fmt)


def straight_colors(lut: np.ndarray) -> list[int]:
    """A premultiplied lookup table as the straight ``0xAARRGGBB`` colours of a QImage colour
    table (``Format_Indexed8`` reads its table as non-premultiplied ARGB).

    Parameters
    ----------
    lut : (256,) uint32
        Premultiplied ARGB32 per label id (:func:`label_lut`, :func:`cutout_lut`).

    Returns
    -------
    list of int
        One colour per id; a transparent id is 0.
    """
    lut = np.asarray(lut, dtype=np.uint32)
    a = lut >> 24
    safe = np.maximum(a, 1)
    r, g, b = (np.minimum(((lut >> s) & 0xFF) * 255 + safe // 2, 255 * safe) // safe for s in (16, 8, 0))
    words = np.where(a == 0, 0, (a << 24) | (r << 16) | (g << 8) | b)
    return [int(v) for v in words]


class LabelOverlay:
    """A label mask shown through a colour table: a ``Format_Indexed8`` QImage over the mask's
    own memory.

    Nothing is recoloured: building the overlay, switching task or taxonomy and the cutout
    preview only set the image's 256-entry colour table, so a 54-megapixel mask shows at once
    (recolouring it into an ARGB buffer froze the GUI thread for seconds). An edit of the mask
    in place is in the image already; :meth:`update` only follows a mask replaced by another
    array.

    Parameters
    ----------
    mask : (H, W) uint8
        The label mask; the overlay keeps a reference to it and shows its pixels as they are.
    colors : (K, 3) uint8
        Class colours (``Taxonomy.colors``).

    Attributes
    ----------
    mask : (H, W) uint8
        The pixels ``image`` views (``mask`` itself, or a contiguous copy of a strided one).
    lut : (256,) uint32
        Premultiplied ARGB32 per label id, as drawn (:func:`label_lut`'s layout).
    image : QImage
        ``Format_Indexed8`` view of ``mask`` with ``lut`` as its colour table.
    """

    def __init__(self, mask: np.ndarray, colors: np.ndarray) -> None:
        if mask.ndim != 2 or mask.dtype != np.uint8:
            raise ValueError(f"expected an (H, W) uint8 mask, got {mask.shape} {mask.dtype}")
        self.lut = label_lut(colors)
        self._show(mask)

    def _show(self, mask: np.ndarray) -> None:
        """View ``mask`` (a contiguous copy when it is strided) through the colour table."""
        self._source = mask
        self.mask = mask if mask.flags.c_contiguous else np.ascontiguousarray(mask)
        self.image = _wrap(self.mask, QImage.Format.Format_Indexed8)
        self.image.setColorTable(straight_colors(self.lut))

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` in pixels."""
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    def pixels(self) -> np.ndarray:
        """``(H, W) uint32``: the premultiplied ARGB32 pixels the overlay draws (a new array)."""
        return self.lut[self.mask]

    def set_colors(self, colors: np.ndarray, mask: np.ndarray) -> None:
        """Switch to another taxonomy's colours and show ``mask``."""
        self.set_lut(label_lut(colors), mask)

    def set_lut(self, lut: np.ndarray, mask: np.ndarray) -> None:
        """Colour with ``lut`` ((256,) uint32, :func:`label_lut` or :func:`cutout_lut`) and
        show ``mask``: only the colour table changes."""
        self.lut = np.asarray(lut, dtype=np.uint32)
        self.update(mask)
        self.image.setColorTable(straight_colors(self.lut))

    def update(self, mask: np.ndarray, bbox: BBox | None = None) -> None:
        """Show ``mask`` after a change inside ``bbox`` (all of it when None).

        Parameters
        ----------
        mask : (H, W) uint8
            The label mask, the same shape as the overlay: the one shown already (its in-place
            edits show as they are) or an array that replaced it (shown from now on).
        bbox : BBox or None
            Changed region, end exclusive, in pixels: copied when the overlay shows a
            contiguous copy of a strided mask.
        """
        if mask.shape != self.mask.shape:
            raise ValueError(f"mask shape {mask.shape} != overlay shape {self.mask.shape}")
        if mask is not self._source:
            self._show(mask)
        elif self.mask is not mask:
            sl = (slice(None), slice(None)) if bbox is None else bbox.slices
            self.mask[sl] = mask[sl]


def boundary_image(boundaries: np.ndarray, rgba: tuple[int, int, int, int] = BOUNDARY_RGBA):
    """Render a boolean boundary map as a premultiplied ARGB QImage.

    Parameters
    ----------
    boundaries : (H, W) bool
        True on region boundaries (``segmentation.superpixels.region_boundaries``).
    rgba : tuple of int
        Straight colour of boundary pixels.

    Returns
    -------
    buffer : (H, W) uint32
        The pixels; keep it alive as long as the image.
    image : QImage
        ``Format_ARGB32_Premultiplied`` view of ``buffer``.
    """
    if boundaries.ndim != 2:
        raise ValueError(f"expected an (H, W) boundary map, got shape {boundaries.shape}")
    color = pack_premultiplied(np.array(rgba, dtype=np.uint8))
    buffer = np.multiply(boundaries, color, dtype=np.uint32)
    return buffer, _wrap(buffer, QImage.Format.Format_ARGB32_Premultiplied)


def photo_image(rgb: np.ndarray) -> QImage:
    """Convert an RGB photo to a QImage in the raster engine's fastest format.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.

    Returns
    -------
    QImage
        ``Format_RGB32`` copy (owns its memory; ``rgb`` may be freed afterwards).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 photo, got {rgb.shape} {rgb.dtype}")
    rgb = np.ascontiguousarray(rgb)
    return _wrap(rgb, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)


#: Selection highlight: a translucent fill, a white outer ring and a black inner ring, so the
#: selected object stands out over any label colour (the parsing18 "bag" colour is yellow too).
SELECTION_FILL = (255, 230, 0, 90)
SELECTION_RINGS = ((255, 255, 255, 255), (0, 0, 0, 255))


def selection_rgba(selected: np.ndarray, ring: int = 2) -> np.ndarray:
    """Straight RGBA pixels that highlight a selection.

    Parameters
    ----------
    selected : (h, w) bool
        The selected pixels (usually cut to their box).
    ring : int
        Width of each outline ring, in image pixels (the caller scales it with the photo).

    Returns
    -------
    (h, w, 4) uint8
        :data:`SELECTION_FILL` inside, the :data:`SELECTION_RINGS` along the inner edge,
        transparent outside.
    """
    if selected.ndim != 2:
        raise ValueError(f"expected an (h, w) selection, got shape {selected.shape}")
    ring = max(1, int(ring))
    out = np.zeros((*selected.shape, 4), np.uint8)
    inside = selected.astype(np.uint8)
    # A one-pixel zero border, so the selection's edge on the box edge also gets its rings.
    padded = np.pad(inside, 1)
    kernel = np.ones((3, 3), np.uint8)
    out[selected] = SELECTION_FILL
    outer = padded
    for colour in SELECTION_RINGS:
        inner = cv2.erode(outer, kernel, iterations=ring, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        band = (outer > 0) & (inner == 0)
        out[band[1:-1, 1:-1]] = colour
        outer = inner
    return out
