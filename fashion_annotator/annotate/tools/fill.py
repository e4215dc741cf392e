"""The fill tool: flood-fill the connected area under the click."""

from __future__ import annotations

import cv2
import numpy as np

from fashion_annotator.annotate.tools.base import NOTHING, Pointer, Tool, ToolContext, ToolResult
from fashion_annotator.core import masks as M

BACKGROUND_FILL_LIMIT = 0.25
"""A fill on background stops here (fraction of the photo) unless Shift is held: one click
on the background around a garment would otherwise flood the whole photo."""


class FillTool(Tool):
    """Flood-fill the 4-connected same-label area under the click.

    On background, an area larger than :data:`BACKGROUND_FILL_LIMIT` of the photo is refused
    with a message (Shift+click fills it anyway).
    """

    name = "fill"

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        x, y = p.pixel
        if ctx.mask[y, x] == 0 and not p.shift and ctx.label != 0:
            share = _connected_area(ctx.mask, (x, y)) / ctx.mask.size
            if share > BACKGROUND_FILL_LIMIT:
                return ToolResult(
                    message=f"Fill on background would cover {share:.0%} of the photo; "
                    "Shift+click fills it anyway"
                )
        bbox = ctx.document.apply(ctx.task, M.flood_fill, p.pixel, ctx.label)
        return ToolResult(bbox, committed=bbox is not None)


def _connected_area(mask: np.ndarray, seed_xy: tuple[int, int]) -> int:
    """Pixels of the 4-connected same-label area of ``mask`` around ``seed_xy``."""
    scratch = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    area, *_ = cv2.floodFill(mask.copy(), scratch, seed_xy, 0, 0, 0, flags)
    return int(area)
