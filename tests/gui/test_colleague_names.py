"""A colleague is named by their user name where a person is meant ("bob is editing it"), not
as ``bob@host (pid N)``: the Review tab's refused decision and the Annotate tab's read-only
banner; the computer and process id are in a tooltip.

Found by an operator re-test: "Lost the lease … to root@vm (pid 20600)" and the Review's
"root@vm (pid 20600) is editing mannequin_00.jpg" after the rest of the window said "alice".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from fashion_annotator.annotate.session import OpenImage
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate.banner import Banner
from fashion_annotator.ui.review.view import ReviewView
from fashion_annotator.ui.store_away import show_notes


def _project(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "proj"
    with Project.create(root, tasks=("garment",), user="rita") as proj:
        photo = tmp_path / "look.png"
        Image.fromarray(np.full((40, 60, 3), 120, np.uint8)).save(photo)
        image_id = proj.add_image(photo).id
        mask = np.zeros((40, 60), np.uint8)
        mask[10:30, 10:40] = 1
        proj.save_mask(image_id, "garment", mask, seconds=5.0, actions=1)
        proj.set_status(image_id, "done")
    return root, image_id


def test_a_refused_decision_names_the_colleague_not_their_process(qtbot, tmp_path, monkeypatch):
    root, image_id = _project(tmp_path)
    with Project.open(root, user="rita") as rita, Project.open(root, user="bob") as bob:
        bob.leases.acquire(image_id, ttl_s=60)
        view = ReviewView(rita)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.selected_row() is not None or view.select_image(image_id), timeout=20000)
        seen: list[tuple[str, str]] = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: seen.append((box.text(), box.toolTip())) or 0)
        monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a: seen.append((text, "")) or 0)
        assert not view.approve_selected()
        ((text, tip),) = seen
        assert text == "bob is editing look.png; decide once they are done."
        assert tip.startswith("Held by bob@") and "(pid " in tip
        assert rita.decisions() == []


def test_the_read_only_banner_names_the_colleague_and_keeps_the_process_in_its_tooltip(qtbot, tmp_path):
    root, image_id = _project(tmp_path)
    with Project.open(root, user="rita") as rita, Project.open(root, user="bob") as bob:
        bob.leases.acquire(image_id, ttl_s=60)
        try:
            rita.leases.acquire(image_id, ttl_s=60)
        except LeaseHeld as held:
            lease = held
        doc = type("Doc", (), {"image_id": image_id})()
        opened = OpenImage(doc=doc, read_only=True, lease=lease, lease_lost=True, lost_to=lease.holder)  # type: ignore[arg-type]
        banner = Banner()
        qtbot.addWidget(banner)
        show_notes(banner, rita, opened)
        assert banner.text().startswith("Read-only: bob took this image over")
        assert "(pid " not in banner.text()
        assert banner.toolTip().startswith("Held by bob@") and "(pid " in banner.toolTip()
