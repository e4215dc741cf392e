"""How counts read in messages to people (numpy-free, Qt-free)."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """A count and its regular noun in the right number.

    Examples
    --------
    >>> counted(1, "mask"), counted(3, "mask"), counted(0, "image")
    ('1 mask', '3 masks', '0 images')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
