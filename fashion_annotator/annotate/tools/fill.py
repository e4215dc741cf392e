"""The fill tool: flood-fill the connected area under the click."""

from __future__ import annotations

from fashion_annotator.annotate.tools.base import NOTHING, Pointer, Tool, ToolContext, ToolResult
from fashion_annotator.core import masks as M


class FillTool(Tool):
    """Flood-fill the 4-connected same-label area under the click."""

    name = "fill"

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        bbox = ctx.document.apply(ctx.task, M.flood_fill, p.pixel, ctx.label)
        return ToolResult(bbox, committed=bbox is not None)
