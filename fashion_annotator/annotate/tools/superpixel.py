"""The superpixel tool: click or drag over regions to give them the label."""

from __future__ import annotations

import numpy as np

from fashion_annotator.annotate.tools.base import (
    NOTHING,
    Pointer,
    Tool,
    ToolContext,
    ToolResult,
    union,
)
from fashion_annotator.annotate.tools.brush import BrushTool
from fashion_annotator.core import masks as M
from fashion_annotator.core.masks import BBox
from fashion_annotator.core.slivers import assign_regions_whole

#: Said when a region click comes before the photo's superpixels are ready.
REGIONS_PENDING = "Regions are still being computed for this photo; use the brush meanwhile"


class SuperpixelTool(Tool):
    """Click assigns the label to one region; a drag assigns it to every region crossed.

    While dragging, regions are painted straight into the mask for immediate feedback; on
    release those pixels are put back and the whole drag is applied again through
    ``AnnotationDocument.apply`` so that it is one undo step; that write also takes the
    slivers of the old labels it cut off (:func:`~fashion_annotator.core.slivers.assign_regions_whole`:
    a proposal's edge pixels left in the neighbouring regions).
    """

    name = "superpixel"

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None
        self._ids: set[int] = set()
        self._saved: np.ndarray | None = None
        self._bbox: BBox | None = None

    @property
    def active(self) -> bool:
        return self._last is not None

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        if ctx.regions is None:
            return ToolResult(message=REGIONS_PENDING)
        self._last = (p.x, p.y)
        self._ids, self._bbox = set(), None
        self._saved = ctx.mask.copy()
        # an open stroke marks the drag: a proposal arriving meanwhile leaves the mask alone
        ctx.document.begin_stroke(ctx.task, ctx.label, 0.0)
        return self._assign(ctx, np.array([[p.x, p.y]]))

    def move(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if self._last is None:
            return NOTHING
        pts = np.array([self._last, (p.x, p.y)])
        self._last = (p.x, p.y)
        return self._assign(ctx, pts)

    def _assign(self, ctx: ToolContext, pts: np.ndarray) -> ToolResult:
        assert ctx.regions is not None
        ids = [i for i in regions_crossed(ctx.regions, pts).tolist() if i not in self._ids]
        if not ids:
            return NOTHING
        self._ids.update(ids)
        bbox = M.assign_regions(ctx.mask, ctx.regions, ids, ctx.label)
        self._bbox = union(self._bbox, bbox)
        return ToolResult(bbox)

    def release(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if self._last is None:
            return NOTHING
        preview, saved = self._bbox, self._saved
        self._last, self._saved, self._bbox = None, None, None
        ctx.document.end_stroke(ctx.task)  # painted nothing through it: no step of its own
        if preview is None or saved is None or ctx.regions is None:
            return NOTHING
        ctx.mask[preview.slices] = saved[preview.slices]
        ids = np.array(sorted(self._ids), dtype=np.int64)
        bbox = ctx.document.apply(ctx.task, assign_regions_whole, ctx.regions, ids, ctx.label)
        return ToolResult(union(bbox, preview), committed=bbox is not None)

    cancel = BrushTool.cancel


def regions_crossed(regions: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Region ids under a polyline, sampled every pixel so fast drags skip nothing.

    Parameters
    ----------
    regions : (H, W) int32
        Superpixel ids.
    pts : (N, 2) float
        Polyline vertices, ``x, y`` in pixels.

    Returns
    -------
    (M,) int32
        Unique ids of the regions under the polyline's pixels inside the image.
    """
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    samples = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        n = int(np.ceil(np.abs(b - a).max())) + 1
        samples.append(a + (b - a) * np.linspace(0.0, 1.0, n)[:, None])
    xy = np.floor(np.concatenate(samples) + 0.5).astype(np.int64)
    h, w = regions.shape
    keep = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    return np.unique(regions[xy[keep, 1], xy[keep, 0]])
