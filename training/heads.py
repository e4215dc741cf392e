"""Output heads: which channels of a network's logits belong to which task.

One network may be trained for several tasks at once (``--task garment+person+parsing7``):
its logits are the heads' channels stacked in order, and each head is exported as a model of
its own (the shared trunk plus that head's slice of the last 1x1 convolution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fashion_annotator.core.tasks import primary_metric


@dataclass(frozen=True)
class Head:
    """One task's slice of the logits.

    Attributes
    ----------
    task : str
    classes : tuple of str
        Class names; two classes make a binary head with one sigmoid channel.
    lut : (256,) uint8
        Source label id -> class id of this task.
    offset : int
        First logit channel of this head.
    """

    task: str
    classes: tuple[str, ...]
    lut: np.ndarray
    offset: int = 0

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    @property
    def channels(self) -> int:
        return 1 if self.binary else len(self.classes)

    @property
    def stop(self) -> int:
        return self.offset + self.channels

    @property
    def primary_metric(self) -> str:
        """The val figure that ranks models of this task."""
        return primary_metric(self.task, self.binary)


def stack_heads(specs: list[tuple[str, list[str], np.ndarray]]) -> list[Head]:
    """Build heads from ``(task, classes, lut)`` triples, laying out their channels in order."""
    heads, offset = [], 0
    for task, classes, lut in specs:
        if len(classes) < 2:
            raise ValueError(f"task {task!r} needs at least two classes, got {classes}")
        head = Head(task, tuple(classes), np.asarray(lut, np.uint8), offset)
        heads.append(head)
        offset = head.stop
    return heads
