"""Torch CPU threads for interactive work: at most four, and set for the calling thread only.

Torch's intra-op pool (OpenMP) waits for its slowest thread at each layer; when other busy
processes take a core, that thread is descheduled for whole time slices. Measured on a 2-core
machine (2026-12-06, medians of 15, same run): a Smart click took 58 ms with two threads against
89 ms with one when the machine was otherwise quiet, but 766 against 205 ms beside two busy
processes, and 1,708 against 229 ms beside a retrain at normal priority (111 against 124 ms
beside the same retrain at ``nice`` 19, as the window starts it). ``bench ui`` the same evening:
62-104 ms with two threads against 99-189 ms with one. The window's own busy neighbour (its
retrain) runs at the lowest priority, so a click keeps every core up to
:data:`MAX_INTERACTIVE_THREADS` (:func:`interactive_threads`): more threads than that buy a
crop-sized network nothing and leave a large machine's other cores to the proposal workers.

OpenMP keeps the thread count per calling thread: :func:`torch_threads` sets it around one
network run in that thread and restores it, so the window's proposal workers keep theirs.
Torch is imported on use: the Smart-click tool (a torch-free layer) asks for the thread count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

#: Most threads an interactive network run uses, however many cores the machine has.
MAX_INTERACTIVE_THREADS = 4


def interactive_threads(cores: int | None = None) -> int:
    """Torch threads for a network run the operator waits on: every core, 1 to 4.

    Parameters
    ----------
    cores : int, optional
        Logical CPUs (``os.cpu_count()`` by default).

    Returns
    -------
    int
        2 on a 2-core machine (one thread made a click 1.5-1.8 times slower there when the
        machine was quiet); 4 at most, the rest left to the proposal workers.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(MAX_INTERACTIVE_THREADS, cores))


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch CPU threads in this thread, then restore them.

    Parameters
    ----------
    threads : int or None
        None leaves torch's setting as it is.
    """
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
