"""A large photo's parsing mask, not shown and first read by the instances' check, is read once.

Found in review: opening a large photo with saved instances checks them against the parsing
mask (the dock's flush), which reads it; the check of painted pixels (``ParsingSeen``) then
read the same saved mask again, a second full decode on the window's thread at every opening.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.core import images
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import load_taxonomy, mapping_from_taxonomies_json
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import load_instance_taxonomy
from fashion_annotator.ui.testing import Answers, open_window


def test_a_parsing_mask_first_read_at_the_save_is_read_once(qtbot, tmp_path: Path, ccp_dir: Path, monkeypatch):
    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 500)
    photo, size = tmp_path / "big.jpg", (1500, 2250)
    with Image.open(ccp_dir / "images" / "0014.jpg") as im:
        im.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(photo, quality=90)
    labels = Image.fromarray(load_mask(ccp_dir / "masks" / "0014.png")).resize(size, Image.Resampling.NEAREST)
    parsing = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7").lut[np.asarray(labels)]
    derived = propose_instances(parsing, load_taxonomy("parsing7"), load_instance_taxonomy())
    root = tmp_path / "project"
    with Project.create(root) as project:
        image_id = project.add_image(photo).id
        project.save_mask(image_id, "parsing7", parsing)
        insts = {k: Instance(k, c, None) for k, c in enumerate(derived.classes, start=1)}
        project.save_instances(image_id, InstanceSet(derived.map, insts), source="model")
    reads: list[str] = []
    load = Project.load_mask

    def counted(self: Project, image: int, task: str, *args: object, **kwargs: object) -> object:
        reads.append(task)
        return load(self, image, task, *args, **kwargs)

    monkeypatch.setattr(Project, "load_mask", counted)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers())
    try:
        assert window.task != "parsing7"
        doc = window.session.current.doc
        qtbot.waitUntil(lambda: doc.shape == (size[1], size[0]) and window.instances.doc is not None, timeout=30000)
        assert window.instances.flush()
        assert reads.count("parsing7") == 1, "the saved parsing mask was read twice"
        assert doc.masks["parsing7"] is not None and reads.count("parsing7") == 1
    finally:
        window.close()
        project.close()
