"""A parsing start an import recorded (coco-instances) stays the start when the model's proposal arrives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QCoreApplication, QEvent

from fashion_annotator.annotate.session import keeps_operator_mask
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.schema import load_instance_taxonomy
from fashion_annotator.ui.annotate import image_session

H, W = 120, 90


def test_an_imported_parsing_start_is_not_replaced_by_the_models_proposal(qtbot, tmp_path: Path) -> None:
    """A review: a coco-instances import saves the parsing painted from instances as a proposal
    to finish in Annotate; opening the image, the model's proposal replaced it as the start and
    was recorded as the newer one, so the imported garments' classes were never seen again."""
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (H, W, 3), np.uint8)).save(src / "images" / "look.png")
    tax = load_instance_taxonomy()
    ann = {"id": 1, "image_id": 1, "category_id": tax.index("blazer"), "iscrowd": 0,
           "segmentation": [[10, 10, 70, 10, 70, 80, 10, 80]]}
    (src / "instances.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "look.png", "width": W, "height": H}],
        "categories": [{"id": c.id, "name": c.name} for c in tax.categories],
        "annotations": [ann]}))
    root = tmp_path / "p"
    with Project.create(root, tasks=("parsing7",)) as project:
        import_source(project, src / "instances.json", "coco-instances")
        (record,) = project.images()
        imported = project.load_proposal(record.id, "parsing7")
        top = project.taxonomy("parsing7").names.index("top")
        assert (imported == top).sum() > 3000  # the blazer is 'top' in the imported proposal
    project = Project.open(root, user="olga")
    session = image_session.ImageSession(project, autosave_s=0)
    try:
        assert session.open_image(record.id)
        doc = session.current.doc
        qtbot.waitUntil(lambda: not session.awaiting and doc.photo_ready, timeout=120_000)
        session.jobs.wait(60_000)
        QCoreApplication.processEvents()
        start = doc.masks["parsing7"]
        latest = project.load_proposal(record.id, "parsing7")
        assert np.array_equal(start, imported), "the imported instances' parsing was replaced by the model's proposal"
        assert np.array_equal(latest, imported)  # QA scores against the start shown
        assert not np.array_equal(doc.proposal("parsing7"), imported)  # the model's arrived, offered
        # Ctrl+Enter keeps the imported start shown (it put the model's mask in its place, as done)
        assert keeps_operator_mask(project, session.current, "parsing7")
    finally:
        session.shutdown()
        session.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        project.close()
