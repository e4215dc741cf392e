"""Refine > Clear parsing outside the cutout in a project whose only cutout is the person's.

A code review: the command pairs the parsing mask with the person cutout when the project has
no garment cutout, and then clears skin and hair outside the person too (rightly: nothing but
background lies outside a person, as the Review's agreement check counts it), while its
documentation promised that skin and hair stay. The status line now names the cutout used and
what it keeps, for the garment cutout too.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import open_window

H, W = 240, 160


def test_clearing_outside_the_person_cutout_says_every_class_goes(qtbot, tmp_path, answers):
    photo = tmp_path / "look.png"
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (H, W, 3), np.uint8)).save(photo)
    root = tmp_path / "p"
    with Project.create(root, tasks=("person", "parsing7")) as created:
        created.add_image(photo)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        doc = window.session.current.doc
        names = project.taxonomy("parsing7").names
        person = doc.masks["person"]
        person[40:200, 40:120] = 1
        window.set_task("parsing7")
        mask = doc.masks["parsing7"]
        mask[60:180, 50:110] = names.index("dress")
        mask[200:230, 78:82] = names.index("shoes")  # the stand, outside the person
        mask[20:40, 60:100] = names.index("hair")  # hair outside the person: wrong too
        window.canvas.refresh_overlay()
        window.actions_by_name["refine_outside_cutout"].trigger()
        assert not mask[200:230, 78:82].any() and not mask[20:40, 60:100].any()
        assert (mask[60:180, 50:110] == names.index("dress")).all()
        message = window.status.currentMessage()
        assert message.startswith("Clear parsing outside the Person cutout (every class): 920 px changed"), message
        assert window.status.fontMetrics().horizontalAdvance(message) < 900, message
    finally:
        window.close()
        project.close()


def test_a_parsing18_mask_is_cleared_outside_the_garment_cutout(qtbot, tmp_path, answers):
    """A hand test: parsing18's proposals agree with no cutout (its spec's ``agrees_with`` is
    empty), and the command read that list, so it said "Show a parsing mask to clear it outside
    the cutout" on a parsing18 mask in a project with a garment cutout."""
    photo = tmp_path / "look.png"
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (H, W, 3), np.uint8)).save(photo)
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment", "parsing18")) as created:
        created.add_image(photo)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        doc = window.session.current.doc
        names = project.taxonomy("parsing18").names
        garment = doc.masks["garment"]
        garment[:] = 0
        garment[60:180, 50:110] = 1
        window.set_task("parsing18")
        mask = doc.masks["parsing18"]
        mask[:] = 0
        mask[60:180, 50:110] = names.index("top")
        mask[200:230, 78:82] = names.index("top")  # the stand, outside the cutout
        window.canvas.refresh_overlay()
        window.actions_by_name["refine_outside_cutout"].trigger()
        assert not mask[200:230, 78:82].any()
        assert (mask[60:180, 50:110] == names.index("top")).all()
        message = window.status.currentMessage()
        assert message.startswith("Clear parsing outside the Garment cutout (skin and hair kept): 120 px changed"), message
    finally:
        window.close()
        project.close()
