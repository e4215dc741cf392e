"""The pick tool: report the label under the click."""

from __future__ import annotations

from fashion_annotator.annotate.tools.base import NOTHING, Pointer, Tool, ToolContext, ToolResult


class PickTool(Tool):
    """Report the label under the click."""

    name = "pick"

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        x, y = p.pixel
        return ToolResult(picked=int(ctx.mask[y, x]))
