"""Parsing pixels an operator painted next to an instance of their class join that instance.

A cataloguer who filled a gap in a skirt with the skirt class (or painted a strip of pants
over as skirt) saw the skirt grow in the parsing mask, but the skirt instance kept its old
pixels: the painted ones were in no instance, and the export's skirt mask had the hole the
window no longer showed. :func:`painted_joins` gives such pixels to the instance of their
class they touch; only pixels whose class changed since the instances were last checked
(``changed``), with the free pixels of their class connected to them, move: the pixels of a
deleted instance do not slip into its neighbour unless a stroke joins them to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from fashion_annotator.core.masks import BBox

#: 8-connectivity: a painted patch touching an instance at a corner joins it.
_EIGHT = np.ones((3, 3), bool)


def painted_joins(
    instance_map: np.ndarray,
    classes: Mapping[int, int],
    parsing: np.ndarray,
    changed: np.ndarray,
) -> np.ndarray:
    """The instance each painted free pixel joins.

    Parameters
    ----------
    instance_map : (H, W) uint8
        Instance ids (0: none), as they stand once inconsistent pixels have left.
    classes : mapping of int to int
        Each instance's parsing class; an accessory (class 0) takes no painted pixel.
    parsing : (H, W) integer
        The parsing mask.
    changed : (H, W) bool
        Pixels whose parsing class changed since the instances were last checked.

    Returns
    -------
    (H, W) uint8
        The id each pixel joins (0: none). A connected patch of one class in no instance that
        holds a changed pixel joins, whole, the instance of that class it touches most (a strip
        painted earlier and left apart joins with the stroke that links it); a patch touching
        none stays in no instance (a garment of its own: Propose finds it), and so does a patch
        with no changed pixel.
    """
    joins = np.zeros(instance_map.shape, np.uint8)
    free = (instance_map == 0) & (parsing > 0)
    for cls in np.unique(parsing[free & changed]).tolist():
        ids = [k for k, c in classes.items() if c == cls and k > 0]
        box = BBox.of(free & (parsing == cls)) if ids else None
        if box is None:
            continue
        # the free pixels of the class and the ring around them, all inside the box grown by
        # one: the labelling reads that window, not the whole photo (24 MP: 250 ms a save)
        sub = BBox(max(box.y0 - 1, 0), max(box.x0 - 1, 0), box.y1 + 1, box.x1 + 1).slices
        window, seen = instance_map[sub], changed[sub]
        patches, _count = ndimage.label(free[sub] & (parsing[sub] == cls), structure=_EIGHT)
        owners = np.where(np.isin(window, ids), window, 0)
        boxes = ndimage.find_objects(patches)
        for index in np.unique(patches[seen & (patches > 0)]).tolist():
            grown = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in boxes[index - 1])
            patch = patches[grown] == index
            ring = ndimage.binary_dilation(patch, structure=_EIGHT) & ~patch
            touched = owners[grown][ring]
            touched = touched[touched > 0]
            if touched.size:
                joins[sub][grown][patch] = np.bincount(touched).argmax()
    return joins
