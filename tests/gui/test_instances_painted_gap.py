"""A parsing stroke beside a garment, saved: the painted pixels join that garment's instance.

Found by hand on CCP 0007 (a parsing18 project): the pants strip beside the skirt painted over
as skirt and saved, the window's parsing mask showed one skirt, but the skirt instance and the
exported ``coco-instances`` skirt mask kept the strip out (1303 px in no instance).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import drag, instance_of

DRESS = 6  # parsing7


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def test_a_stroke_widening_the_dress_widens_the_dress_instance(opened, qtbot):
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    row = int(np.median(ys))
    edge = int(xs[ys == row].max())
    parsing = window.session.current.doc.masks["parsing7"]
    before = parsing.copy()
    window.set_task("parsing7")
    window.set_label(DRESS)
    window.canvas.set_tool("brush")
    drag(window, [(edge - 2, row), (edge + 6, row), (edge + 14, row)])
    painted = (parsing != before) & (parsing == DRESS)
    assert painted.sum() > 50, "the stroke painted background or skin as dress"
    assert window.save()
    saved = project.load_instances(image_id)
    assert np.all(saved.map[painted] == dress)
    assert np.all(dock.doc.map[painted] == dress)
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7"), dock.doc.ground) == {}


def test_a_never_saved_parsing_mask_is_told_apart_from_the_instances_proposal() -> None:
    """An image opened with the model's parsing proposal (never saved): its instances are
    proposed later, from the mask as it is then; the first save's painted pixels are the ones
    changed since (none known before the instances were derived)."""
    from types import SimpleNamespace

    from fashion_annotator.core.lazy_masks import LazyMasks
    from fashion_annotator.ui.annotate.instance_links import ParsingSeen

    start = np.zeros((8, 8), np.uint8)
    doc = SimpleNamespace(image_id=1, masks=LazyMasks("image 1", (8, 8), {"parsing7": start}))
    seen = ParsingSeen(SimpleNamespace(doc=doc, fresh={"parsing7"}), "parsing7", None)
    parsing = doc.masks["parsing7"]
    parsing[2:6, 2:6] = DRESS  # the proposal arrives
    seen.derived(doc)  # its instances derived from it
    parsing[2:6, 6] = DRESS  # a stroke
    changed = seen.changed(parsing.copy())
    assert changed is not None and changed.sum() == 4 and changed[2:6, 6].all()
    again = seen.changed(parsing.copy())
    assert again is not None and not again.any()
