"""Editing tools as plain objects driven by image-coordinate pointer events.

No Qt here: the canvas converts mouse and key events into :class:`Pointer` values in image
pixels and calls ``press`` / ``move`` / ``release`` (and ``close`` / ``cancel`` for the
polygon). Every edit goes through the :class:`AnnotationDocument`, so each stroke, polygon,
region drag or fill is exactly one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fashion_annotator.core import masks as M
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox

TOOL_NAMES = ("brush", "eraser", "polygon", "superpixel", "fill", "pick", "smartclick")


@dataclass(frozen=True)
class Pointer:
    """A pointer event in image coordinates.

    ``x`` is the column and ``y`` the row in full-resolution pixels (pixel centres at
    integers); ``shift`` is True while Shift is held, ``ctrl`` while Ctrl is held, and
    ``secondary`` for the right mouse button (only tools with ``accepts_secondary`` get it).
    """

    x: float
    y: float
    shift: bool = False
    ctrl: bool = False
    secondary: bool = False

    @property
    def pixel(self) -> tuple[int, int]:
        """The ``(x, y)`` index of the pixel under the pointer."""
        return int(np.floor(self.x + 0.5)), int(np.floor(self.y + 0.5))


@dataclass
class ToolContext:
    """What a tool edits: the document, the task's mask and the current settings."""

    document: AnnotationDocument
    task: str
    label: int
    radius: float
    regions: np.ndarray | None = None

    @property
    def mask(self) -> np.ndarray:
        """The ``(H, W) uint8`` mask being edited (the document's own array)."""
        return self.document.masks[self.task]

    def inside(self, p: Pointer) -> bool:
        """Whether ``p`` falls on a pixel of the image."""
        h, w = self.mask.shape
        x, y = p.pixel
        return 0 <= x < w and 0 <= y < h


@dataclass(frozen=True)
class ToolResult:
    """What a tool event did.

    Attributes
    ----------
    bbox : BBox or None
        Pixels that changed and must be repainted.
    committed : bool
        True when an undo step was recorded (the end of a stroke, a polygon, a fill).
    picked : int or None
        The label under the pointer (pick tool).
    message : str or None
        A note for the status bar (e.g. a tool that cannot work).
    """

    bbox: BBox | None = None
    committed: bool = False
    picked: int | None = None
    message: str | None = None


NOTHING = ToolResult()


def _union(a: BBox | None, b: BBox | None) -> BBox | None:
    if a is None:
        return b
    return a if b is None else a.union(b)


class Tool:
    """Base tool: ignores every event."""

    name = ""
    #: Whether the tool takes right-button presses (``Pointer.secondary``).
    accepts_secondary = False

    @property
    def active(self) -> bool:
        """True while an edit is in progress (a stroke, an open polygon)."""
        return False

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        return NOTHING

    def move(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        return NOTHING

    def release(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        return NOTHING

    def cancel(self, ctx: ToolContext | None) -> ToolResult:
        """Abandon the edit in progress; a started stroke is still committed."""
        return NOTHING


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
        self._last = (p.x, p.y)
        return self._paint(ctx, p)

    def _paint(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        # The document joins each point to the previous one, so only the new point is sent.
        bbox = ctx.document.extend_stroke(ctx.task, np.array([[p.x, p.y]]))
        self._bbox = _union(self._bbox, bbox)
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


class SuperpixelTool(Tool):
    """Click assigns the label to one region; a drag assigns it to every region crossed.

    While dragging, regions are painted straight into the mask for immediate feedback; on
    release those pixels are put back and the whole drag is applied again through
    ``AnnotationDocument.apply`` so that it is one undo step.
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
        if ctx.regions is None or not ctx.inside(p):
            return NOTHING
        self._last = (p.x, p.y)
        self._ids, self._bbox = set(), None
        self._saved = ctx.mask.copy()
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
        self._bbox = _union(self._bbox, bbox)
        return ToolResult(bbox)

    def release(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if self._last is None:
            return NOTHING
        preview, saved = self._bbox, self._saved
        self._last, self._saved, self._bbox = None, None, None
        if preview is None or saved is None or ctx.regions is None:
            return NOTHING
        ctx.mask[preview.slices] = saved[preview.slices]
        ids = np.array(sorted(self._ids), dtype=np.int64)
        bbox = ctx.document.apply(ctx.task, M.assign_regions, ctx.regions, ids, ctx.label)
        return ToolResult(_union(bbox, preview), committed=bbox is not None)

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


@dataclass
class PolygonTool(Tool):
    """Click vertices; ``close`` fills (or, with Shift, subtracts) the polygon."""

    name = "polygon"
    vertices: list[tuple[float, float]] = field(default_factory=list)
    subtract: bool = False

    @property
    def active(self) -> bool:
        return bool(self.vertices)

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not self.vertices:
            self.subtract = p.shift
        self.subtract = self.subtract or p.shift
        self.vertices.append((p.x, p.y))
        return NOTHING

    def close(self, ctx: ToolContext, shift: bool = False) -> ToolResult:
        """Fill the polygon with ``ctx.label``, or with Shift (on any click or on close)
        reset the pixels of ``ctx.label`` inside it to background (every label when the
        current label is the background). Fewer than three vertices cancel."""
        vertices, subtract = np.array(self.vertices), self.subtract or shift
        self.vertices, self.subtract = [], False
        if len(vertices) < 3:
            return NOTHING
        if subtract:
            label = ctx.label if ctx.label != 0 else None
            bbox = ctx.document.apply(ctx.task, M.subtract_polygon, vertices, label)
        else:
            bbox = ctx.document.apply(ctx.task, M.fill_polygon, vertices, ctx.label)
        return ToolResult(bbox, committed=bbox is not None)

    def cancel(self, ctx: ToolContext | None) -> ToolResult:
        self.vertices, self.subtract = [], False
        return NOTHING

    def undo_vertex(self) -> None:
        """Drop the last vertex (Backspace)."""
        if self.vertices:
            self.vertices.pop()


class FillTool(Tool):
    """Flood-fill the 4-connected same-label area under the click."""

    name = "fill"

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        bbox = ctx.document.apply(ctx.task, M.flood_fill, p.pixel, ctx.label)
        return ToolResult(bbox, committed=bbox is not None)


class PickTool(Tool):
    """Report the label under the click."""

    name = "pick"

    def press(self, ctx: ToolContext, p: Pointer) -> ToolResult:
        if not ctx.inside(p):
            return NOTHING
        x, y = p.pixel
        return ToolResult(picked=int(ctx.mask[y, x]))


def make_tool(name: str) -> Tool:
    """Create the tool called ``name`` (one of :data:`TOOL_NAMES`)."""
    factories = {
        "brush": BrushTool,
        "eraser": lambda: BrushTool(erase=True),
        "polygon": PolygonTool,
        "superpixel": SuperpixelTool,
        "fill": FillTool,
        "pick": PickTool,
        "smartclick": _smart_click,
    }
    if name not in factories:
        raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(TOOL_NAMES)}")
    return factories[name]()


def _smart_click() -> Tool:
    from fashion_annotator.ui.click_tool import SmartClickTool

    return SmartClickTool()
