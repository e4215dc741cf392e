"""Which masks a retrain uses, and the stratified, deterministic validation share."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fashion_annotator.dataset.training_set import (
    MIN_TRAIN,
    MIN_VAL,
    select_training_masks,
    stratified_split,
    val_count,
)
from fashion_annotator.qa.model_history import model_rows, proposal_quality

SHAPE = (24, 32)


def _mask(x0: int, x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, x0:x1] = 1
    return mask


@pytest.fixture
def garment_project(tmp_path, write_photo):
    """Seven images: each state a saved garment mask can be in."""
    from fashion_annotator.dataset.store import Project

    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        ids = [proj.add_image(write_photo(tmp_path / f"src/{i}.png", SHAPE, seed=i)).id
               for i in range(7)]  # fmt: skip
        proposal = _mask(8, 20)
        for i in ids:
            proj.save_proposal(i, "garment", proposal, "1")
        proj.save_mask(ids[0], "garment", _mask(6, 22), status="done")  # edited, done
        proj.save_mask(ids[1], "garment", proposal, status="done")  # accepted unchanged
        proj.save_mask(ids[2], "garment", _mask(8, 24), status="in_progress")  # edited, saved
        proj.save_mask(ids[3], "garment", proposal, status="in_progress")  # opened, untouched
        proj.save_mask(ids[4], "garment", _mask(2, 20), status="approved")  # edited, approved
        proj.save_mask(ids[5], "garment", _mask(5, 20), status="done")
        proj.decisions.record(ids[5], "garment", "reject", reason="wrong label")
        yield proj, ids


def test_selection_counts_corrected_and_unchanged_apart(garment_project):
    proj, ids = garment_project
    sel = select_training_masks(proj, "garment")
    assert [it.image_id for it in sel.corrected] == [ids[0], ids[4], ids[2]]
    assert [it.image_id for it in sel.unchanged] == [ids[1]]
    assert sel.by_status == {"done": 1, "approved": 1, "in_progress": 1}
    assert [it.image_id for it in sel.items()] == [ids[0], ids[1], ids[2], ids[4]]
    assert [it.image_id for it in sel.items(include_unchanged=False)] == [ids[0], ids[2], ids[4]]
    assert all(it.mask.is_file() and it.photo.is_file() for it in sel.items())


def test_a_memo_reads_only_the_masks_or_proposals_that_changed(garment_project, monkeypatch):
    # The background retrainer asks after every save: with its memo, a mask is compared with its
    # proposal again only when either changed, and the answer stays the same as without.
    from fashion_annotator.dataset import training_set

    proj, ids = garment_project
    read: list[str] = []  # each comparison of a mask with its proposal, and each decode
    real_decode, real_same = training_set.decode_mask_png, training_set.png_same_pixels
    monkeypatch.setattr(training_set, "decode_mask_png",
                        lambda data, source=None: read.append(str(source)) or real_decode(data, source=source))  # fmt: skip
    monkeypatch.setattr(training_set, "png_same_pixels", lambda a, b: read.append("compared") or real_same(a, b))
    memo: training_set.Memo = {}

    def kinds(selection):
        return ([it.image_id for it in selection.corrected], [it.image_id for it in selection.unchanged])

    first = select_training_masks(proj, "garment", memo)
    # five masks with their proposals, each settled from its scanlines: none decoded
    assert read == ["compared"] * 5 and kinds(first) == kinds(select_training_masks(proj, "garment"))
    read.clear()
    assert kinds(select_training_masks(proj, "garment", memo)) == kinds(first)
    assert read == [], "nothing changed: nothing read"
    proj.save_mask(ids[1], "garment", _mask(9, 20), status="done")  # a new version
    proj.save_proposal(ids[0], "garment", _mask(6, 22), "2")  # recorded after the save: not shown
    again = select_training_masks(proj, "garment", memo)
    assert read == ["compared"]
    assert kinds(again) == kinds(select_training_masks(proj, "garment"))
    assert ids[1] in kinds(again)[0] and ids[0] in kinds(again)[0]


def test_an_accepted_proposal_stays_unchanged_when_a_newer_model_proposes(garment_project):
    """Found in a hand test: after a promotion (or a restart) recorded a newer proposal, an
    accepted, unchanged proposal counted as a correction (compared with the latest proposal,
    not the one shown), inflating the corrected count and starting background retrains."""
    proj, ids = garment_project
    proj.save_proposal(ids[1], "garment", _mask(10, 18), "2")
    sel = select_training_masks(proj, "garment")
    assert [it.image_id for it in sel.unchanged] == [ids[1]]


def test_a_later_edit_of_an_unchanged_mask_makes_it_corrected(garment_project):
    proj, ids = garment_project
    proj.save_mask(ids[1], "garment", _mask(9, 20), status="done")
    sel = select_training_masks(proj, "garment")
    assert ids[1] in [it.image_id for it in sel.corrected]
    assert sel.unchanged == []


def test_a_damaged_mask_is_left_out_and_named_not_raised(garment_project):
    from fashion_annotator.ui.train.selection_text import describe_selection

    proj, ids = garment_project
    path = proj.mask_versions(ids[0], "garment")[-1].path
    path.write_bytes(path.read_bytes()[:40])  # truncated by a failing disk
    sel = select_training_masks(proj, "garment")
    assert ids[0] not in [it.image_id for it in sel.items()]
    assert [it.image_id for it in sel.corrected] == [ids[4], ids[2]]
    ((name, problem),) = sel.unreadable
    assert name == proj.image(ids[0]).name and str(path) in problem
    assert "1 mask left out, a photo or mask that cannot be used" in describe_selection(sel, "garment", True)


def test_a_photo_gone_from_its_folder_is_left_out_and_named_not_raised(tmp_path, write_photo):
    """A photo referenced in place, then moved away: the selection counted its mask and the
    retrain stopped at loading with "file does not exist" (a review)."""
    from fashion_annotator.dataset.store import Project

    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        ids = [proj.add_image(write_photo(tmp_path / f"src/{i}.png", SHAPE, seed=i), copy=False).id
               for i in range(3)]  # fmt: skip
        for i in ids:
            proj.save_mask(i, "garment", _mask(4, 20), status="done")
        (tmp_path / "src/1.png").unlink()
        sel = select_training_masks(proj, "garment")
        assert [it.image_id for it in sel.corrected] == [ids[0], ids[2]]
        assert sel.unreadable == [(proj.image(ids[1]).name, "the photo file does not exist (moved or "
                                   "deleted since it was added)")]  # fmt: skip


def test_val_is_drawn_first_from_photos_the_current_model_did_not_see():
    """A review: after a refit (the current model trained on every earlier mask) the split by
    name drew 1-3 unseen val photos of 10-12, so the comparison fell back to photos the current
    model had trained on. Photos it saw are now held for validation last."""
    names = [f"IMG_{i:04d}.jpg" for i in range(30)]
    areas = [0.1] * 30  # one size: the strata are runs of consecutive names
    seen = set(names[::2])
    _, plain = stratified_split(names, areas)
    assert any(names[i] in seen for i in plain)
    train, val = stratified_split(names, areas, seen=seen)
    assert len(val) == val_count(30) and not any(names[i] in seen for i in val)
    assert sorted(train + val) == list(range(30))
    # too few unseen: the rest of val comes from the seen ones, by name as before
    _, val = stratified_split(names, areas, seen=set(names[1:]))
    assert names[0] in [names[i] for i in val] and len(val) == val_count(30)


def test_val_count_never_one_and_leaves_training_masks():
    assert [val_count(n) for n in (0, 1, MIN_VAL + MIN_TRAIN - 1)] == [0, 0, 0]
    assert val_count(MIN_VAL + MIN_TRAIN) == MIN_VAL
    assert val_count(50) == 10 and val_count(100) == 20
    for n in range(MIN_VAL + MIN_TRAIN, 200):
        assert MIN_VAL <= val_count(n) <= n - MIN_TRAIN


def test_stratified_split_is_deterministic_and_covers_small_and_large():
    rng = np.random.default_rng(0)
    names = [f"look_{i:03d}" for i in range(60)]
    areas = rng.uniform(0.02, 0.5, 60).tolist()
    train, val = stratified_split(names, areas)
    assert len(val) == val_count(60) and sorted(train + val) == list(range(60))
    # the same images whatever the order of the list
    perm = rng.permutation(60)
    train2, val2 = stratified_split([names[i] for i in perm], [areas[i] for i in perm])
    assert sorted(names[perm[i]] for i in val2) == sorted(names[i] for i in val)
    # each area tercile gives its share of the val images
    terciles = np.quantile(areas, [1 / 3, 2 / 3])
    bins = np.digitize([areas[i] for i in val], terciles)
    assert np.bincount(bins, minlength=3).tolist() == [4, 4, 4]


def test_too_few_masks_give_no_val_share():
    assert stratified_split(["a", "b", "c"], [0.1, 0.2, 0.3]) == ([0, 1, 2], [])


def test_proposal_quality_per_model_version(garment_project):
    proj, ids = garment_project
    # a later model, trained on image 0's mask, proposes it when the finished image is opened
    # again: nobody worked from that proposal, so it does not count (a code review: it scored 1.0)
    proj.save_proposal(ids[0], "garment", _mask(6, 22), "2")
    assert {q.model_version for q in proposal_quality(proj, "garment")} == {"1"}
    # nor when the operator then saves again: the window opened the saved mask, not model 2's
    # proposal (a review: model 2 was credited with Dice 0.98 on a mask it had trained on)
    proj.save_mask(ids[0], "garment", _mask(6, 21), status="done")
    quality = {q.model_version: q for q in proposal_quality(proj, "garment")}
    assert set(quality) == {"1"}
    assert quality["1"].n_images == 6
    assert quality["1"].median < 1.0
    assert model_rows(proj, "garment") == []
    # a damaged mask file leaves its image out and is said; the others still count
    proj.mask_versions(ids[2], "garment")[-1].path.write_bytes(b"not a png")
    problems: list[str] = []
    quality = {q.model_version: q for q in proposal_quality(proj, "garment", problems)}
    assert quality["1"].n_images == 5 and len(problems) == 1 and problems[0].startswith("2.png: ")


def test_a_retrain_that_looks_worse_says_why():
    from fashion_annotator.ui.train.selection_text import worse_reason

    better = {"new": {"median_dice": 0.97}, "current": {"median_dice": 0.95},
              "paired": {"n": 5, "better": 4, "worse": 1}}  # fmt: skip
    assert worse_reason(better) is None
    lower = {"new": {"median_dice": 0.93}, "current": {"median_dice": 0.95}, "paired": {}}
    assert worse_reason(lower) == "its median_dice is 0.9300 against the current model's 0.9500"
    mostly_worse = {"new": {"miou": 0.80}, "current": {"miou": 0.79}, "paired": {"n": 5, "better": 1, "worse": 4}}
    assert worse_reason(mostly_worse) == "it is worse on 4 of the 5 val images and better on 1"
    more_clicks = {"new": {"noc90": 2.5}, "current": {"noc90": 2.2}}  # clicks: lower is better
    assert worse_reason(more_clicks) is not None
    assert worse_reason({"new": {"miou": 0.8}, "current": {}}) is None  # nothing to compare with
    first = {"new": {"miou": 0.02}, "current": None, "background": {"miou": 0.25}}  # a first model
    assert worse_reason(first) == (
        "its miou 0.0200 does not beat predicting background everywhere (miou 0.2500) by 0.002 on "
        "the same val photos")
    # promotion's rule, margin included: a first model a hair above the floor is not promoted,
    # so the dialog warns before "Use this model" (it warned only at or below the floor)
    barely = {"new": {"miou": 0.251}, "current": None, "background": {"miou": 0.25, "images": 7}}
    assert worse_reason(barely) == (
        "its miou 0.2510 does not beat predicting background everywhere (miou 0.2500) by 0.002 on "
        "the same 7 val photos")
    assert worse_reason({**barely, "new": {"miou": 0.26}}) is None
    # promotion's rule for a later model: as many better as worse, or within the margin, is
    # not shown to be better (the dialog offered the plain "Use this model" for both)
    even = {"new": {"miou": 0.80}, "current": {"miou": 0.79}, "paired": {"n": 6, "better": 3, "worse": 3}}
    assert worse_reason(even) == "it is better on 3 of the 6 val images and worse on as many"
    hair = {"new": {"median_dice": 0.9505}, "current": {"median_dice": 0.95},
            "paired": {"n": 5, "better": 3, "worse": 2}}  # fmt: skip
    assert worse_reason(hair) == "its median_dice 0.9505 is within 0.002 of the current model's 0.9500"
    # a trainer's own rule (click model, attribute heads) speaks for itself
    refused = {"new": {"noc90": 2.0}, "current": {"noc90": 2.1}, "refused": "its NoC@95 6.4 is higher"}
    assert worse_reason(refused) == "its NoC@95 6.4 is higher"


def test_a_fix_saved_after_a_reject_counts_before_it_is_marked_done(garment_project):
    """A hand test: the operator fixed a rejected mask and saved it (the image stays "rejected"
    until marked done): the fix stayed out of the retrain, though edits in progress count."""
    from fashion_annotator.ui.train.selection_text import describe_selection

    proj, ids = garment_project
    assert proj.image(ids[5]).status == "rejected"
    assert ids[5] not in [it.image_id for it in select_training_masks(proj, "garment").items()]
    proj.save_mask(ids[5], "garment", _mask(5, 21), edited=True)
    assert proj.image(ids[5]).status == "rejected"
    sel = select_training_masks(proj, "garment")
    assert ids[5] in [it.image_id for it in sel.corrected] and sel.by_status["rejected"] == 1
    assert "1 fixed since a QA reject" in describe_selection(sel, "garment", True)


def test_a_mask_drawn_before_any_proposal_started_from_none(tmp_path, write_photo):
    """A review: a mask saved before any proposal (drawn by hand), then proposed by a model refit
    on it, counted as that model's accepted proposal (QA Dice 1.0, left out by
    --exclude-unchanged); an import's masks too (the proposal after the import was never shown)."""
    from fashion_annotator.dataset.records import started_from
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.qa.scores import score_project

    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        rec = proj.add_image(write_photo(tmp_path / "src/a.png", SHAPE, seed=1))
        proj.save_mask(rec.id, "garment", _mask(6, 22), status="done")
        proj.save_proposal(rec.id, "garment", _mask(6, 22), "7")
        versions = proj.mask_versions(rec.id, "garment")
        assert started_from(proj.proposals(rec.id, "garment"), versions) is None
        assert [it.image_id for it in select_training_masks(proj, "garment").corrected] == [rec.id]
        (row,) = score_project(proj, "garment")
        assert np.isnan(row.score)
        imported = [dataclasses.replace(versions[0], source="import")]
        assert started_from(proj.proposals(rec.id, "garment"), imported) is None



def test_one_corrected_mask_is_named_in_the_singular(tmp_path, write_photo):
    """The retrain dialog read "1 corrected parsing7 masks" (a new operator's hand test)."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.train.selection_text import describe_selection

    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        image_id = proj.add_image(write_photo(tmp_path / "src/0.png", SHAPE, seed=0)).id
        proj.save_proposal(image_id, "garment", _mask(8, 20), "1")
        proj.save_mask(image_id, "garment", _mask(6, 22), status="done")
        text = describe_selection(select_training_masks(proj, "garment"), "garment", True)
    assert text.startswith("1 corrected Garment cutout mask (1 done)")


def test_a_clock_stepped_back_after_the_proposal_keeps_the_save_started_from_it(
    tmp_path, write_photo, monkeypatch
):
    # A laptop 10 minutes ahead records the proposal; NTP steps its clock back before the
    # operator accepts it. The save was stamped before the proposal: QA found no proposal to
    # score against, and the untouched masks were trained on as corrections.
    import time

    from fashion_annotator.dataset.store import Project
    from fashion_annotator.qa.scores import shown_proposal

    real = time.time
    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        ids = [proj.add_image(write_photo(tmp_path / f"src/{i}.png", SHAPE, seed=i)).id for i in range(2)]
        proposal = _mask(8, 20)
        for image_id, status in zip(ids, ("done", "in_progress"), strict=True):
            monkeypatch.setattr(time, "time", lambda: real() + 600)
            proj.save_proposal(image_id, "garment", proposal, "1")
            monkeypatch.setattr(time, "time", real)
            proj.save_mask(image_id, "garment", proposal, status=status)
            (shown,) = proj.proposals(image_id, "garment")
            assert np.array_equal(shown_proposal(proj, image_id, "garment"), proposal)
        sel = select_training_masks(proj, "garment")
        assert [it.image_id for it in sel.unchanged] == [ids[0]]
        assert sel.corrected == [], "an untouched proposal is no correction"


def test_a_label_set_mask_marked_done_unpainted_is_left_out(tmp_path, write_photo, label_set_file) -> None:
    """A hand test: in a project of garment and a label set (no model proposes for it), images
    marked done while the operator painted only garment saved the label set's empty start with
    them, and the Retrain dialog counted those as corrected masks and trained on them."""
    from fashion_annotator.annotate.session import OpenImage, load_document, save_open_image
    from fashion_annotator.core.journal import RecoveryJournal
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.train.selection_text import describe_selection

    with Project.create(tmp_path / "p", tasks=["garment", label_set_file]) as project:
        ids = [project.add_image(write_photo(tmp_path / f"{i}.png", seed=i)).id for i in range(3)]
        journal = RecoveryJournal(tmp_path / "p" / "journal")
        for image_id in ids:
            doc, fresh = load_document(project, image_id)
            if image_id != ids[0]:  # painted: a label-tag stroke
                project.save_mask(image_id, "garment_parts", _mask(3, 9) * 2)
                doc, fresh = load_document(project, image_id)
            assert "garment" in save_open_image(project, OpenImage(doc, fresh=fresh), journal, status="done")
        assert not project.load_mask(ids[0], "garment_parts").any()  # saved with every task
        selection = select_training_masks(project, "garment_parts")
        assert [i.image_id for i in selection.corrected] == ids[1:]
        assert [i.image_id for i in selection.blank] == ids[:1] and not selection.unchanged
        assert [i.image_id for i in selection.items()] == ids[1:]
        text = describe_selection(selection, "garment_parts", include_unchanged=True)
        assert text.startswith("2 corrected Garment parts masks (2 done); 1 mask of background only, with nothing "
                               "proposed, left out (marked done unpainted)")  # fmt: skip


def test_masks_with_nothing_proposed_are_sorted_without_a_decode(tmp_path, write_photo, monkeypatch):
    """Re-reading session 46's change: telling a blank mask decoded every saved mask with no
    proposal shown (imports, label sets), about 8 ms each at 1152x1728 on the GUI thread when
    the Retrain dialog opened; a hashed file's scanlines tell it (the decode stays for files
    whose row has no usable hash, which are checked as a read checks them)."""
    from fashion_annotator.dataset import training_set
    from fashion_annotator.dataset.store import Project

    decoded: list[str] = []
    real = training_set.decode_mask_png
    monkeypatch.setattr(training_set, "decode_mask_png",
                        lambda data, source=None: decoded.append(str(source)) or real(data, source=source))  # fmt: skip
    with Project.create(tmp_path / "p", tasks=("garment",), user="alice") as proj:
        ids = [proj.add_image(write_photo(tmp_path / f"src/{i}.png", SHAPE, seed=i)).id for i in range(3)]
        proj.save_mask(ids[0], "garment", np.zeros(SHAPE, np.uint8), status="done")
        proj.save_mask(ids[1], "garment", _mask(6, 22), status="done")
        one_pixel = np.zeros(SHAPE, np.uint8)
        one_pixel[-1, -1] = 1
        proj.save_mask(ids[2], "garment", one_pixel, status="done")
        selection = select_training_masks(proj, "garment")
        assert decoded == []
        assert [i.image_id for i in selection.blank] == ids[:1]
        assert [i.image_id for i in selection.corrected] == ids[1:]
        with proj._tx() as conn:
            conn.execute("UPDATE mask_versions SET sha256 = '' WHERE image_id = ?", (ids[1],))
        assert [i.image_id for i in select_training_masks(proj, "garment").corrected] == ids[1:]
        assert len(decoded) == 1 and decoded[0].endswith("v1.png"), "a row without a hash is decoded"
