"""The window's proposals and Refine menu: shipped models propose, fast proposals, parsing agreeing with the cutouts, refinements as one undo step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.resources import resource_path
from fashion_annotator.ui.testing import (
    CTRL,
    copy_project,
    drag,
    hold_proposals,
    open_window,
    press_key,
    shown_mask,
)


def test_refine_menu_cleans_islands_as_one_undo_step(qtbot, opened):
    window, _ = opened
    titles = [a.text() for a in window.refine_menu.actions()]
    assert titles[0].startswith("&Snap") and any("GrabCut" in t for t in titles)
    window.canvas.set_brush_radius(2)
    drag(window, [(300, 300), (301, 300)])
    assert shown_mask(window)[300, 300] == 1
    window.actions_by_name["refine_clean"].trigger()
    assert shown_mask(window).max() == 0
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert shown_mask(window)[300, 300] == 1
    window.actions_by_name["refine_snap"].trigger()  # the tiny island is no region's majority
    assert shown_mask(window)[300, 300] == 0


def test_refine_menu_guided_filter_follows_the_photo_as_one_undo_step(qtbot, opened):
    from fashion_annotator.annotate.session import replace_mask
    from fashion_annotator.segmentation.refine import guided_edges, guided_labels

    window, _ = opened
    doc = window.session.current.doc
    qtbot.waitUntil(lambda: doc.photo_ready, timeout=10000)
    box = np.zeros_like(shown_mask(window))
    h, w = box.shape
    box[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1  # a rough box: its edges cross the photo's
    window.apply_mask_edit(replace_mask, box)
    window.actions_by_name["refine_guided"].trigger()
    after = shown_mask(window)
    np.testing.assert_array_equal(after, guided_edges(doc.rgb, box))
    assert (after != box).sum() > 100
    assert "px changed" in window.status.currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(shown_mask(window), box)
    # a parsing mask: every class edge follows the photo, one undo step as well
    press_key(qtbot, window, Qt.Key.Key_Tab)
    assert window.task == "parsing7"
    parsing = np.zeros_like(box)
    parsing[h // 4 : 3 * h // 4, w // 4 : w // 2] = 3  # top
    parsing[h // 4 : 3 * h // 4, w // 2 : 3 * w // 4] = 5  # bottom
    window.apply_mask_edit(replace_mask, parsing)
    window.actions_by_name["refine_guided"].trigger()
    after = shown_mask(window)
    np.testing.assert_array_equal(after, guided_labels(doc.rgb, parsing))
    assert (after != parsing).sum() > 100 and set(np.unique(after)) <= {0, 3, 5}
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(shown_mask(window), parsing)


def test_shipped_default_model_proposes_the_starting_mask(qtbot, template, tmp_path, answers):
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers, use_shipped=True)
    try:
        doc = window.session.current.doc
        qtbot.waitUntil(lambda: doc.proposals["garment"] is not None, timeout=30000)
        proposal = doc.proposals["garment"]
        # A real garment model on a street photo: some garment, mostly background.
        assert 0.02 < (proposal == 1).mean() < 0.6
        np.testing.assert_array_equal(shown_mask(window), proposal)
        shipped_version = json.loads(resource_path("models", "garment.json").read_text())["version"]
        assert window.status.model.text() == "model shipped"  # the run's date in the tooltip: room for messages
        assert window.status.model.toolTip().endswith(f"shipped ({shipped_version})")
        assert window.status.device.text() == "CPU"
        saved = project.load_proposal(window.session.image_id, "garment")
        np.testing.assert_array_equal(saved, proposal)
    finally:
        window.close()
        project.close()


def test_a_proposal_started_before_a_model_switch_is_dropped(qtbot, template, tmp_path, answers, monkeypatch):
    """A review of the ML lead's day: Make active while the previous model's proposal was being
    computed showed that proposal first, labelled with the new model's version, and an edit
    made meanwhile kept it. Only the proposal of the model switched to arrives."""
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers, use_shipped=True)
    try:
        session = window.session
        qtbot.waitUntil(lambda: "garment" not in session.awaiting, timeout=30000)
        release = hold_proposals(window, monkeypatch)
        shown: list[str] = []
        session.modelInfo.connect(lambda task, device, label: task == "garment" and shown.append(label))
        session.rerun_proposal("garment")  # the old model's proposal, held mid-computation
        session.rerun_proposal("garment")  # Make active: the new model's
        release.set()
        qtbot.waitUntil(lambda: "garment" not in session.awaiting, timeout=60000)
        qtbot.wait(300)
        assert len(shown) == 1  # the first job's result was dropped, not shown
    finally:
        window.close()
        project.close()


def test_fast_proposals_run_one_plain_pass_of_the_shipped_models(tmp_path):
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        source = ProposalSource(project, device="cpu")
        source.prepare("garment")
        best = source.predictor("garment")
        assert best is not None and best.flip_average
        assert best.spec.long_side == int(best.meta["infer_long_side"]) > int(best.meta["long_side"])
        source.set_one_pass(True)
        fast = source.predictor("garment")
        assert fast is not None and fast is not best
        assert not fast.flip_average and not fast.crop_pass
        # The training long side (448 for the 2026-12-04 cutouts), smaller than the shipped 512.
        assert fast.spec.long_side == int(best.meta["long_side"]) < best.spec.long_side
        source.set_one_pass(True)  # no change: the loaded predictor stays
        assert source.predictor("garment") is fast


def test_a_parsing_proposal_agrees_with_the_garment_proposal_of_the_same_photo(tmp_path):
    from fashion_annotator.core.images import load_image
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    rgb = load_image(Path(__file__).resolve().parents[1] / "fixtures" / "ccp_small" / "images" / "0002.jpg").rgb
    with Project.create(tmp_path / "p", tasks=("parsing7", "garment")) as project:
        source = ProposalSource(project, device="cpu")
        for task in project.tasks:
            source.prepare(task)
        parsing, parsing_mask = source.propose("parsing7", rgb, None)
        garment, garment_mask = source.propose("garment", rgb, None)
        # the garment proposal made for the parsing one is the garment task's own (one run)
        assert source.propose("garment", rgb, None)[0] is garment
        assert parsing.refinements[-1] == "cutouts"
        on = garment_mask == 1
        assert not (np.isin(parsing_mask, [3, 4, 5, 6]) & ~on).any()  # top, shoes, bottom, dress
        assert not (np.isin(parsing_mask, [1, 2]) & on).any()  # skin, hair
        assert (parsing_mask != parsing.raw_mask).any()
        # a new garment model is not mixed with the old one's proposal
        source.reload("garment")
        assert source.propose("garment", rgb, None)[0] is not garment
    with Project.create(tmp_path / "q", tasks=("parsing7",)) as alone:
        source = ProposalSource(alone, device="cpu")
        source.prepare("parsing7")
        assert "cutouts" not in source.propose("parsing7", rgb, None)[0].refinements


def test_snap_edges_keeps_the_operators_edits():
    from types import SimpleNamespace

    from fashion_annotator.annotate.session import OpenImage
    from fashion_annotator.core.document import AnnotationDocument
    from fashion_annotator.segmentation.superpixels import SuperpixelHierarchy
    from fashion_annotator.ui.annotate import refine_menu

    h = w = 40
    regions = (np.arange(w)[None, :] // 10 + 4 * (np.arange(h)[:, None] // 10)).astype(np.int32)
    probs = np.zeros((3, h, w), np.float32)
    probs[1], probs[0] = 0.9, 0.1  # the model is sure: label 1 everywhere
    proposal = np.ones((h, w), np.uint8)
    doc = AnnotationDocument(1, np.zeros((h, w, 3), np.uint8), {"parsing7": proposal.copy()},
                             {"parsing7": proposal})  # fmt: skip
    opened = OpenImage(doc, hierarchy=SuperpixelHierarchy([regions]), probs={"parsing7": SimpleNamespace(probs=probs)})
    edited = proposal.copy()
    edited[0:10, 0:10] = 2  # the operator relabelled a region
    edited[20:40, 20:40] = 0  # and erased four
    edited[5, 35] = 0  # a stray pixel in a region that stays label 1
    out = refine_menu.snap(opened, "parsing7", edited)
    assert (out[0:10, 0:10] == 2).all() and (out[20:40, 20:40] == 0).all(), "edits are not put back"
    assert out[5, 35] == 1, "the stray pixel joins its region's majority"


def test_mark_done_before_the_proposal_arrives_is_refused_not_saved_empty(qtbot, opened, monkeypatch):
    """An endurance hand test: PgDn then Ctrl+D within 150 ms (or Ctrl+D held) saved the empty
    placeholder of a photo whose proposal was still computing as a done mask; QA could not
    tell (no proposal recorded, no score)."""
    window, project = opened
    release = hold_proposals(window, monkeypatch)
    first = window.session.image_id
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    second = window.session.image_id
    assert second != first and window.session.current.fresh
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert window.session.image_id == second and project.image(second).status == "new"
    assert project.mask_versions(second, "garment") == []
    assert "garment and parsing7 proposals are still being computed" in window.status.currentMessage()
    release.set()
    qtbot.waitUntil(lambda: not window.session.awaiting, timeout=20000)
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)  # the proposal came (none here): done, next
    assert project.image(second).status == "done" and window.session.image_id != second


def test_a_rejected_mask_is_marked_done_again_only_once_changed(qtbot, opened):
    """An endurance hand test: opening an image QA rejected and pressing Ctrl+D with no edit
    set it done, no new version: Review showed "done" beside a reject of that very mask."""
    window, project = opened
    image = window.session.image_id
    qtbot.waitUntil(lambda: not window.session.unfinished_proposals(), timeout=20000)
    drag(window, [(300, 300), (340, 300)])
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    version = project.mask_versions(image, "garment")[-1].version
    project.record_decision(image, "garment", "reject", reason="edge", seen_version=version)
    assert window.open_image(image) and project.image(image).status == "rejected"
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert window.session.image_id == image and project.image(image).status == "rejected"
    assert "QA rejected the garment mask" in window.status.currentMessage()
    assert project.mask_versions(image, "garment")[-1].version == version
    drag(window, [(300, 360), (340, 360)])
    assert window.save()  # an autosave of the edit, then the edit taken back and saved: no fix
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.save() and project.mask_versions(image, "garment")[-1].version == version + 2
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert project.image(image).status == "rejected"
    assert "QA rejected the garment mask" in window.status.currentMessage()
    drag(window, [(300, 360), (340, 360)])  # the correction
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert project.image(image).status == "done" and window.session.image_id != image
    assert project.mask_versions(image, "garment")[-1].version == version + 3


def test_the_reject_banner_keeps_its_reason_and_says_what_sends_a_fix_back(qtbot, opened):
    """A QA hand test: after a fix was saved the banner still read only "Rejected by ...", and
    after an unchanged Ctrl+D the reason gave way to "(the Review tab says why)"."""
    window, project = opened
    image = window.session.image_id
    qtbot.waitUntil(lambda: not window.session.unfinished_proposals(), timeout=20000)
    drag(window, [(300, 300), (340, 300)])
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)
    version = project.mask_versions(image, "garment")[-1].version
    project.record_decision(image, "garment", "reject", reason="low_contrast", text="collar lost",
                            seen_version=version)  # fmt: skip
    assert window.open_image(image)
    reason = ("Rejected by alice (Garment cutout): Check the edges where the garment and the "
              "background look alike — collar lost")  # what to do, not QA's category
    assert window.banner.text() == reason
    press_key(qtbot, window, Qt.Key.Key_D, CTRL)  # unchanged: refused
    assert window.banner.isVisible() and window.banner.text().startswith(reason + "\n")
    assert "QA rejected the garment mask" in window.banner.text()
    drag(window, [(300, 360), (340, 360)])
    assert window.save()  # an autosave of the edit, then the edit taken back and saved: no fix
    assert window.banner.text().startswith(reason) and "Fixed since" in window.banner.text()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.save() and window.banner.text() == reason
    drag(window, [(300, 360), (340, 360)])  # the correction, saved
    assert window.save()
    assert window.banner.text() == (
        f"{reason}\nFixed since: Mark done (Ctrl+D, or Ctrl+Enter) sends it back to review."
    )


def test_mark_done_is_not_refused_forever_when_the_full_photo_fails_to_load(
    qtbot, tmp_path, ccp_dir, answers, monkeypatch
):
    """A review: a large photo whose full pixels failed to load left every task "still being
    computed", so Ctrl+D was refused with "wait a moment" for good."""
    from PIL import Image

    from fashion_annotator.core import images
    from fashion_annotator.ui.annotate import image_session

    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)  # these count as large photos
    monkeypatch.setattr(images, "PREVIEW_SIDE", 500)
    photos = tmp_path / "photos"
    photos.mkdir()
    for stem in ("0014", "0019"):
        with Image.open(ccp_dir / "images" / f"{stem}.jpg") as im:
            im.convert("RGB").resize((1500, 2250)).save(photos / f"big_{stem}.jpg", quality=90)
    root = tmp_path / "project"
    with Project.create(root) as setup:
        ids = [setup.add_image(f).id for f in sorted(photos.glob("*.jpg"))]
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:

        def broken(path):
            raise OSError("truncated JPEG (disk error)")

        monkeypatch.setattr(image_session, "load_photo_pyramid", broken)
        assert window.open_image(ids[1])
        qtbot.waitUntil(lambda: window.session.photo_failed, timeout=20000)
        assert not window.session.current.doc.photo_ready
        assert window.session.unfinished_proposals() == []
        press_key(qtbot, window, Qt.Key.Key_D, CTRL)
        assert project.image(ids[1]).status == "done"
    finally:
        window.close()
        project.close()


def test_a_photo_opened_again_in_a_new_window_gets_the_same_proposals(qtbot, template, tmp_path, answers):
    """The hand test: an untouched photo's proposals changed at the next session, because the
    first window proposed before the superpixels were computed (no ``snap``), the next with
    them cached. Now each proposal waits for the superpixels it needs."""
    from fashion_annotator.segmentation.pipeline import cached_superpixels, superpixel_cache_paths
    from fashion_annotator.ui.preferences import Preferences, settings_file

    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as project:
        first_id = project.images()[0].id
        for path in superpixel_cache_paths(project, first_id).values():
            path.unlink()
    Preferences(settings_file(tmp_path / "settings.ini")).fast_proposals = True  # quicker, the same case
    shown = []
    for _ in range(2):
        window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers, use_shipped=True,
                                      timeout_ms=120000)  # the proposals are in: the jobs are done
        try:
            doc = window.session.current.doc
            assert window.session.image_id == first_id
            shown.append({task: doc.proposals[task].copy() for task in project.tasks})
            assert cached_superpixels(project, first_id) is not None  # cached by the first window
        finally:
            window.close()
            project.close()
    assert set(shown[0]) == {"garment", "parsing7"}
    for task, mask in shown[0].items():
        assert int((mask != shown[1][task]).sum()) == 0, f"{task} proposal changed at the second opening"
