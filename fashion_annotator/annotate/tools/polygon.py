"""The polygon tool: click vertices; Enter, a double click or a click on the first vertex
closes; Shift subtracts; Esc drops; another tool, image or task closes the open polygon."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fashion_annotator.annotate.tools.base import NOTHING, Pointer, Tool, ToolContext, ToolResult
from fashion_annotator.core import masks as M

#: Vertices a polygon needs to enclose pixels (fewer are dropped, never filled).
MIN_VERTICES = 3


@dataclass
class PolygonTool(Tool):
    """Click vertices; ``close`` fills (or, with Shift, subtracts) the polygon."""

    name = "polygon"
    vertices: list[tuple[float, float]] = field(default_factory=list)
    subtract: bool = False
    #: Vertices taken back (Backspace, Ctrl+Z), newest last, for :meth:`redo_vertex`.
    undone: list[tuple[float, float]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.vertices)

    @property
    def closable(self) -> bool:
        """Whether the open polygon has enough vertices to be closed (a click on its first
        vertex closes it then)."""
        return len(self.vertices) >= MIN_VERTICES

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not self.vertices:
            self.subtract = p.shift
        self.subtract = self.subtract or p.shift
        self.vertices.append((p.x, p.y))
        self.undone.clear()
        return NOTHING

    def close(self, ctx: ToolContext, shift: bool = False) -> ToolResult:
        """Fill the polygon with ``ctx.label``, or with Shift (on any click or on close)
        reset the pixels of ``ctx.label`` inside it to background (every label when the
        current label is the background). Fewer than three vertices cancel."""
        vertices, subtract = np.array(self.vertices), self.subtract or shift
        self.vertices, self.subtract, self.undone = [], False, []
        if len(vertices) < MIN_VERTICES:
            return NOTHING
        if subtract:
            label = ctx.label if ctx.label != 0 else None
            bbox = ctx.document.apply(ctx.task, M.subtract_polygon, vertices, label)
        else:
            bbox = ctx.document.apply(ctx.task, M.fill_polygon, vertices, ctx.label)
        return ToolResult(bbox, committed=bbox is not None)

    def cancel(self, ctx: ToolContext | None) -> ToolResult:
        """End the open polygon because the operator moves on (another tool, image or task, a
        save, the window closed): with three vertices or more it is closed as Enter closes
        it, one undo step, and the status bar says so; fewer enclose nothing and are dropped."""
        count = len(self.vertices)
        if ctx is None or count < MIN_VERTICES:
            return self.discard()
        done = "cut out" if self.subtract else "filled"
        result = self.close(ctx)
        return replace(result, message=f"The open polygon ({count} vertices) was closed and {done}: Esc drops a polygon")

    def discard(self) -> ToolResult:
        """Drop the open polygon (Esc), saying how many vertices went."""
        dropped = len(self.vertices)
        self.vertices, self.subtract, self.undone = [], False, []
        if not dropped:
            return NOTHING
        vertices = "1 vertex" if dropped == 1 else f"{dropped} vertices"
        return ToolResult(message=f"The open polygon ({vertices}) was dropped: Enter closes a polygon")

    def undo_vertex(self) -> None:
        """Drop the last vertex (Backspace, Ctrl+Z)."""
        if self.vertices:
            self.undone.append(self.vertices.pop())

    def redo_vertex(self) -> None:
        """Put back the last vertex taken back (Ctrl+Shift+Z)."""
        if self.undone:
            self.vertices.append(self.undone.pop())
