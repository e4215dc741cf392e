"""Which item of a list the letters typed into a drop-down box, closed or open, pick (Qt-free).

A combo box's own keyboard search takes the first item in list order that starts with the
letters typed: "pan" in the CCP categories picked "panties" (listed before "pants"), and the
operator who wanted pants had to type the whole word. :func:`typed_choice` ranks the items:

1. the item equal to the letters typed (case folded: :meth:`str.casefold`);
2. else the shortest item that starts with them ("pan" -> "pants", "panti" -> "panties"), in
   list order among items of one length;
3. else the shortest item with a later word that starts with them ("shirt" -> "t-shirt" when no
   item starts with "shirt"; words are split at spaces, hyphens, underscores and slashes);
4. else nothing (the box keeps its value).

So every item is reached by typing it in full, and a prefix that two items share picks the one
fewer letters away. One letter typed again ("ss") steps on, in list order, to the next item that
starts with it, as a combo box does.

Word separators. The letters are compared with the items' separators (space, hyphen, underscore,
slash) read as one: a space typed matches a hyphen ("t s" -> "t-shirt", "v n" -> "V neck") and
a hyphen typed a space. An item equal to the letters as typed, separators included, comes first
(so "t shirt" and "t-shirt" in one list are each reached by typing it). Letters that are only
separators pick nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SEPARATOR = re.compile(r"[\s\-_/]")


def _fold(text: str) -> str:
    """``text`` case folded, each word separator a space (as long as ``text``: one for one)."""
    return _SEPARATOR.sub(" ", text.casefold())


def _word_starts(item: str) -> list[int]:
    """Where the later words of the folded ``item`` start (after a separator)."""
    return [i for i in range(1, len(item)) if item[i - 1] == " " and item[i] != " "]


def _shortest(folded: Sequence[str], matches: list[int]) -> int | None:
    """The index among ``matches`` of the shortest item, the first in list order on a tie."""
    return min(matches, key=lambda i: (len(folded[i]), i)) if matches else None


def typed_choice(items: Sequence[str], typed: str, current: int = -1) -> int | None:
    """The index of the item that ``typed`` picks (see the module docstring), or None.

    Parameters
    ----------
    items : sequence of str
        The box's items, in list order.
    typed : str
        The letters typed so far in one burst of typing.
    current : int
        The index the box shows (-1: none): one letter typed again steps on from it.

    Returns
    -------
    int or None
        The item picked; None when no item matches (the box keeps its value).

    Examples
    --------
    >>> names = ["panties", "pants", "skirt", "t-shirt"]
    >>> typed_choice(names, "pan"), typed_choice(names, "PANTI"), typed_choice(names, "shirt")
    (1, 0, 3)
    >>> typed_choice(names, "pp", current=1), typed_choice(names, "x") is None
    (0, True)
    >>> typed_choice(names, "t s"), typed_choice(["faux leather", "V neck"], "v n")
    (3, 1)
    """
    key, exact = _fold(typed), [item.casefold() for item in items]
    if not key.strip():
        return None
    if typed.casefold() in exact:
        return exact.index(typed.casefold())
    folded = [_fold(item) for item in items]
    if key in folded:
        return folded.index(key)
    starting = [i for i, item in enumerate(folded) if item.startswith(key)]
    if not starting and len(key) > 1 and key == key[0] * len(key):
        letter = [i for i, item in enumerate(folded) if item.startswith(key[0])]
        later = [i for i in letter if i > current]
        return (later or letter)[0] if letter else None
    if starting:
        return _shortest(folded, starting)
    in_words = [i for i, item in enumerate(folded) if any(item.startswith(key, w) for w in _word_starts(item))]
    return _shortest(folded, in_words)
