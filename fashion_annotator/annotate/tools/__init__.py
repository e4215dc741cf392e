"""Editing tools: plain objects driven by image-coordinate pointer events, no Qt.

The canvas converts mouse and key events into :class:`Pointer` values in image pixels and calls
``press`` / ``move`` / ``release`` (and ``close`` / ``cancel`` for the polygon). Every edit goes
through the :class:`~fashion_annotator.core.document.AnnotationDocument`, so each stroke,
polygon, region drag or fill is exactly one undo step.

A new tool is one module (a :class:`Tool` subclass) plus one line in :data:`TOOLS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from fashion_annotator.annotate.tools.base import (
    NOTHING,
    Pointer,
    Tool,
    ToolContext,
    ToolResult,
)

__all__ = [
    "NOTHING",
    "TOOLS",
    "TOOL_NAMES",
    "Pointer",
    "Tool",
    "ToolContext",
    "ToolResult",
    "make_tool",
]

#: Tool name -> (``"module:class"``, keyword arguments); the order is the toolbar's.
TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "brush": ("fashion_annotator.annotate.tools.brush:BrushTool", {}),
    "eraser": ("fashion_annotator.annotate.tools.brush:BrushTool", {"erase": True}),
    "polygon": ("fashion_annotator.annotate.tools.polygon:PolygonTool", {}),
    "superpixel": ("fashion_annotator.annotate.tools.superpixel:SuperpixelTool", {}),
    "fill": ("fashion_annotator.annotate.tools.fill:FillTool", {}),
    "pick": ("fashion_annotator.annotate.tools.pick:PickTool", {}),
}

TOOL_NAMES: tuple[str, ...] = tuple(TOOLS)


def make_tool(name: str) -> Tool:
    """Create the tool called ``name`` (one of :data:`TOOL_NAMES`)."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(TOOL_NAMES)}")
    target, kwargs = TOOLS[name]
    module, attr = target.split(":")
    tool: Tool = getattr(importlib.import_module(module), attr)(**kwargs)
    return tool
