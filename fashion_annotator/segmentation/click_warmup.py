"""The click model's first runs, done before the operator's first click (numpy and torch, no Qt).

Torch's first network run at an input size costs far more than the next ones (0.6-2.4 s on a
2-core machine, against 50-100 ms: the convolution kernels are chosen and their buffers made
for that size). A click runs the network at :func:`click_input_sizes` only, whatever the photo,
so :func:`warm_up` runs it once at each of them on blank input, with the torch threads and the
memory layout of a click (:meth:`~fashion_annotator.segmentation.clicks.ClickPredictor.logits`).
It never touches the predictor's photo: a click may set it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, nullcontext

import torch

from fashion_annotator.models.click import click_maps, network_input
from fashion_annotator.models.threads import torch_threads
from fashion_annotator.segmentation.clicks import (
    BOX_LOCAL_SCALE,
    LOCAL_SCALE,
    ClickPredictor,
    local_input_size,
)


def click_input_sizes(predictor: ClickPredictor) -> list[tuple[int, int]]:
    """The network input sizes ``(h, w)`` of Smart click's runs, most used first.

    A first click and a box run at the model's input size, corrections at
    :data:`~fashion_annotator.segmentation.clicks.LOCAL_SCALE` of it and the clicks of a box
    session on a plain backdrop at :data:`~fashion_annotator.segmentation.clicks.BOX_LOCAL_SCALE`.
    """
    sizes = [predictor.size, local_input_size(predictor.size, LOCAL_SCALE),
             local_input_size(predictor.size, BOX_LOCAL_SCALE)]  # fmt: skip
    return list(dict.fromkeys(sizes))


@torch.no_grad()
def run_blank(predictor: ClickPredictor, size: tuple[int, int]) -> None:
    """Run the network once at ``size`` ``(h, w)`` on a blank photo with one positive click."""
    h, w = size
    device = predictor.device
    image = torch.zeros((1, 3, h, w), dtype=torch.uint8, device=device)
    mask = torch.zeros((1, 1, h, w), dtype=torch.bool, device=device)
    maps = click_maps([(h / 2, w / 2, True)], size, predictor.radius)[None].to(device)
    x = network_input(image, mask, maps, predictor.meta["mean"], predictor.meta["std"])
    with torch_threads(predictor.threads):
        predictor.module(x.contiguous(memory_format=torch.channels_last))


def warm_up(
    predictor: ClickPredictor,
    cancelled: Callable[[], bool],
    hold: Callable[[], AbstractContextManager[object]] = nullcontext,
    done: Collection[tuple[int, int]] = (),
) -> Iterator[tuple[int, int]]:
    """Run the network once at each of :func:`click_input_sizes` not in ``done``; yield each
    size once run.

    Parameters
    ----------
    predictor : ClickPredictor
        The loaded click model.
    cancelled : callable
        Asked before each size: True stops the warm-up there (a run once started ends first).
    hold : callable
        A context held around each run: the lock a click holds while it runs the network, so the
        click waits for a run in progress instead of sharing the cores with it.
    done : collection of (h, w)
        Sizes run already (by an earlier warm-up of the same predictor).
    """
    for size in click_input_sizes(predictor):
        if size in done:
            continue
        if cancelled():
            return
        with hold():
            run_blank(predictor, size)
        yield size
