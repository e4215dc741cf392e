"""A parsing stroke beside a garment, saved: the painted pixels join that garment's instance.

Found by hand on CCP 0007 (a parsing18 project): the pants strip beside the skirt painted over
as skirt and saved, the window's parsing mask showed one skirt, but the skirt instance and the
exported ``coco-instances`` skirt mask kept the strip out (1303 px in no instance).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import click, drag, instance_of

DRESS = 6  # parsing7


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _widen_dress(window) -> tuple[int, int, np.ndarray]:
    """Paint a dress stroke out from the dress's right edge: ``(dress id, stroke row, painted)``."""
    dock = window.instances
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
    return dress, row, painted


def test_a_stroke_widening_the_dress_widens_the_dress_instance(opened, qtbot):
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress, _, painted = _widen_dress(window)
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


def test_a_part_deleted_after_a_stroke_stays_in_no_instance(opened, qtbot):
    """Found in review: a stroke on the dress, the dress split by line, the stroke's part
    deleted, saved: the deleted part (and the stroke) joined the other part again, though a
    deleted instance's pixels join nothing."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress, row, painted = _widen_dress(window)
    cut = row - 40
    dock.select([dress])
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    width = dock.doc.map.shape[1]
    click(window, 1.0, float(cut))
    click(window, float(width - 2), float(cut))
    assert dock.selected_ids() == [dress, max(dock.doc.instances)], "the clicks did not split the dress"
    lower = max(dock.doc.instances)
    part = dock.doc.map == lower
    dock.select([lower])
    steps = len(dock.doc._undo)
    qtbot.mouseClick(dock.buttons["delete"], Qt.MouseButton.LeftButton)
    assert len(dock.doc._undo) == steps + 1, "the delete is one undo step"
    assert window.save()
    saved = project.load_instances(image_id)
    assert lower not in saved.instances and not saved.map[part].any()
    assert not dock.doc.map[part].any()
    assert np.any(saved.map == dress)
    assert np.all(part[painted]), "the stroke did not go first with its part of the dress"
    qtbot.mouseClick(dock.buttons["undo"], Qt.MouseButton.LeftButton)
    assert np.all(dock.doc.map[part] == lower), "Undo brings the deleted part back, stroke included"


def test_pixels_a_propose_leaves_in_no_instance_join_nothing(opened, qtbot, monkeypatch):
    """A stroke, then Propose (whose instances leave pixels beside the stroke in no instance),
    then a save: those pixels stay in no instance (they joined the dress with the stroke)."""
    from fashion_annotator.ui.annotate import instances_dock

    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress, row, painted = _widen_dress(window)
    proposal = copy.deepcopy(dock.doc.set)
    band = (proposal.map == dress) & (np.abs(np.arange(proposal.map.shape[0]) - row) < 30)[:, None]
    proposal.map[band] = 0
    monkeypatch.setattr(instances_dock, "derive_instances", lambda *args: copy.deepcopy(proposal))
    qtbot.mouseClick(dock.buttons["propose"], Qt.MouseButton.LeftButton)
    assert not dock.doc.map[band].any()
    assert window.save()
    saved = project.load_instances(image_id)
    assert not saved.map[band].any() and not saved.map[painted].any()
    assert np.any(saved.map == dress)


def test_deleting_an_instance_painted_away_since_is_not_refused(opened, qtbot):
    """The dress chosen in the panel, then painted over as background on the parsing mask, then
    Delete: the join run before the delete removed the emptied dress (and said so), and the
    delete then refused with "no instance 3; instances: [1, 2, 4, ...]". It is gone, not refused."""
    window, _ = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    dock.select([dress])
    doc = window.session.current.doc
    parsing = doc.masks["parsing7"].copy()
    parsing[dock.doc.map == dress] = 0
    doc.start_from("parsing7", parsing)
    said: list[str] = []
    dock.message.connect(said.append)
    dock.delete_selected()
    assert dress not in dock.doc.instances
    assert not any("no instance" in text for text in said), said
