"""The tool registry, without a display: every tool edits through the document's history."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.annotate.tools import TOOL_NAMES, TOOLS, Pointer, ToolContext, make_tool
from fashion_annotator.core.document import AnnotationDocument


def _ctx() -> ToolContext:
    doc = AnnotationDocument(
        1, np.zeros((40, 60, 3), np.uint8), {"garment": np.zeros((40, 60), np.uint8)}
    )
    return ToolContext(doc, "garment", label=1, radius=3.0)


def test_registry_names_every_tool_once() -> None:
    assert TOOL_NAMES == ("brush", "eraser", "polygon", "superpixel", "fill", "pick", "smartclick")
    assert set(TOOLS) == set(TOOL_NAMES)
    assert {make_tool(n).name for n in TOOL_NAMES} == set(TOOL_NAMES)
    with pytest.raises(ValueError, match="unknown tool 'lasso'"):
        make_tool("lasso")


def test_a_stroke_and_a_fill_are_one_undo_step_each() -> None:
    ctx = _ctx()
    changes = []
    ctx.document.subscribe(lambda task, box, committed: committed and changes.append(box))
    brush = make_tool("brush")
    brush.press(ctx, Pointer(10, 10))
    brush.move(ctx, Pointer(30, 10))
    result = brush.release(ctx, Pointer(30, 10))
    assert result.committed and ctx.mask[10, 20] == 1 and len(changes) == 1
    fill = make_tool("fill")
    ctx.label = 2
    assert fill.press(ctx, Pointer(50, 30, shift=True)).committed  # Shift: fill the big background
    assert ctx.mask[30, 50] == 2 and ctx.document.actions == 2 and len(changes) == 2
    assert make_tool("pick").press(ctx, Pointer(20, 10)).picked == 1
    ctx.document.undo("garment")
    assert ctx.mask[30, 50] == 0 and ctx.mask[10, 20] == 1
