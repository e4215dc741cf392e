"""The brush and the eraser: round strokes of ``ctx.radius`` pixels."""

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
from fashion_annotator.core.masks import BBox


class BrushTool(Tool):
    """Round brush of ``ctx.radius`` pixels; the eraser paints background (0)."""

    def __init__(self, erase: bool = False) -> None:
        self.erase = erase
        self.name = "eraser" if erase else "brush"
        self._last: tuple[float, float] | None = None
        self._bbox: BBox | None = None

    @property
    def active(self) -> bool:
        return self._last is not None

    def _label(self, ctx: ToolContext) -> int:
        return 0 if self.erase else ctx.label

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        ctx.document.begin_stroke(ctx.task, self._label(ctx), ctx.radius)
        self._last = (p.x, p.y)
        self._bbox = None
        return self._paint(ctx, p)

    def move(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if self._last is None:
            return NOTHING
        if not ctx.document.in_stroke(ctx.task):
            # another edit (Accept, a refinement, a proposal) ended the stroke mid-drag: the
            # drag goes on as a new stroke, one more undo step
            ctx.document.begin_stroke(ctx.task, self._label(ctx), ctx.radius)
            ctx.document.extend_stroke(ctx.task, np.array([self._last]))
        self._last = (p.x, p.y)
        return self._paint(ctx, p)

    def _paint(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        # The document joins each point to the previous one, so only the new point is sent.
        bbox = ctx.document.extend_stroke(ctx.task, np.array([[p.x, p.y]]))
        self._bbox = union(self._bbox, bbox)
        return ToolResult(bbox)

    def release(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if self._last is None:
            return NOTHING
        self._last = None
        committed = ctx.document.end_stroke(ctx.task)
        return ToolResult(self._bbox, committed=committed)

    def cancel(self, ctx: ToolContext | None) -> ToolResult:
        if self._last is None or ctx is None:
            self._last = None
            return NOTHING
        return self.release(ctx, Pointer(*self._last))
