"""What every editing tool shares: pointer events, the context it edits, its result.

No Qt here: the canvas converts mouse and key events into :class:`Pointer` values in image
pixels and calls ``press`` / ``move`` / ``release`` (and ``close`` / ``cancel`` for the
polygon). Every edit goes through the :class:`AnnotationDocument`, so each stroke, polygon,
region drag or fill is exactly one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox


@dataclass(frozen=True)
class Pointer:
    """A pointer event in image coordinates.

    ``x`` is the column and ``y`` the row in full-resolution pixels (pixel centres at
    integers); ``shift`` is True while Shift is held, ``ctrl`` while Ctrl is held, and
    ``secondary`` for the right mouse button (only tools with ``accepts_secondary`` get it);
    ``alt`` is True while Alt is held.
    """

    x: float
    y: float
    shift: bool = False
    ctrl: bool = False
    secondary: bool = False
    alt: bool = False

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
        Why nothing was done, or a note, for the status bar (a refused fill, a tool without
        its model).
    """

    bbox: BBox | None = None
    committed: bool = False
    picked: int | None = None
    message: str | None = None


NOTHING = ToolResult()


def union(a: BBox | None, b: BBox | None) -> BBox | None:
    """The union of two optional boxes."""
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
        """End the edit in progress, the operator moving on: a started stroke (an open polygon of
        three vertices or more) is committed."""
        return NOTHING
