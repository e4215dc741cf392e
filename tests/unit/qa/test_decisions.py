import pytest
from PIL import Image
from qa_synth import square

from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import (
    CATEGORIES,
    REASONS,
    approve,
    operator_instruction,
    reason_category,
    reason_counts,
    reject,
    rejection_note,
)


def test_decisions_round_trip_in_the_store(scored_project):
    project, ids = scored_project
    approve(project, ids["same"], "garment")
    reject(project, ids["disjoint"], "garment", "low_contrast", "  sleeve edge lost ")
    root = project.root
    project.close()
    with Project.open(root, user="qa") as again:
        listed = again.decisions(task="garment")
        assert [(d.image_id, d.decision, d.reason, d.text, d.user) for d in listed] == [
            (ids["same"], "approve", None, "", "alice"),
            (ids["disjoint"], "reject", "low_contrast", "sleeve edge lost", "alice"),
        ]
        assert all(d.created > 0 for d in listed)
        assert again.image(ids["same"]).status == "approved"
        assert again.image(ids["disjoint"]).status == "rejected"


def test_rejected_images_return_to_the_queue_with_the_reason(scored_project):
    project, ids = scored_project
    reject(project, ids["half"], "garment", "bad_ground_truth", "collar missing")
    queue = [r.id for r in project.images(status="rejected")]
    assert queue == [ids["half"]]
    note = rejection_note(project, ids["half"], "garment")
    assert note.startswith("Rejected by alice on ")
    assert note.endswith(": Correct the mask where it is wrong — collar missing")
    assert rejection_note(project, ids["same"], "garment") is None
    approve(project, ids["half"], "garment")
    assert rejection_note(project, ids["half"], "garment") is None


def test_the_queue_note_names_a_reject_another_tasks_approval_came_after(scored_project):
    """The queue's note (``task`` None) read the latest decision on any task: a garment reject
    followed by a parsing approval left a rejected image with no reason (a QA hand test)."""
    project, ids = scored_project
    image = ids["half"]
    other = next(t for t in project.tasks if t != "garment")
    reject(project, image, "garment", "complex_garment", "sleeve")
    approve(project, image, other)
    assert project.image(image).status == "rejected"
    note = rejection_note(project, image)
    assert "(Garment cutout) on " in note and note.endswith(": Check every part of this complex garment — sleeve")
    reject(project, image, other, "model_error")
    lines = rejection_note(project, image).splitlines()
    assert [line.split(" (", 1)[1].split(")")[0] for line in lines] == ["Garment cutout", task_title(other)]


def test_reasons_are_validated():
    """The operator's kinds of bad ground truth come first; the six categories the outlier
    analysis counts keep their stored keys (a QA hand test: the operator read "Bad ground
    truth", ML jargon, for a mannequin stand left in the cutout)."""
    assert list(REASONS) == ["missed_area", "extra_area", "wrong_label", "rough_edge",
                             "bad_ground_truth", "rare_garment", "low_contrast",
                             "complex_garment", "model_error", "other"]  # fmt: skip
    assert list(CATEGORIES) == ["bad_ground_truth", "rare_garment", "low_contrast",
                                "complex_garment", "model_error", "other"]  # fmt: skip
    assert REASONS["extra_area"] == "Extra area (background, mannequin)"


def test_an_operators_kind_of_bad_ground_truth_counts_as_bad_ground_truth(scored_project):
    project, ids = scored_project
    reject(project, ids["half"], "garment", "extra_area", "stand pole still in the cutout")
    reject(project, ids["disjoint"], "garment", "missed_area")
    reject(project, ids["same"], "garment", "bad_ground_truth")
    reject(project, ids["unproposed"], "garment", "low_contrast")
    assert reason_counts(project, "garment") == {"bad_ground_truth": 3, "low_contrast": 1}
    assert reason_counts(project, "garment", grouped=False) == {
        "extra_area": 1, "missed_area": 1, "bad_ground_truth": 1, "low_contrast": 1,
    }  # fmt: skip
    assert [reason_category(k) for k in REASONS][:5] == ["bad_ground_truth"] * 5
    assert reason_category(None) == "other" and reason_category("model_error") == "model_error"


def test_the_operator_reads_what_to_do():
    assert operator_instruction("extra_area", "stand pole still in the cutout") == (
        "Remove the extra area (background, mannequin stand) from the mask — stand pole still in the cutout"
    )
    assert operator_instruction("other", "ask Rita") == "ask Rita"
    assert operator_instruction("bad_ground_truth") == "Correct the mask where it is wrong"
    assert operator_instruction(None) == "no reason given"
    assert operator_instruction("gone_key", "x") == "gone_key — x"  # a key this version lacks


def test_unknown_reason_and_bare_other_are_refused(scored_project):
    project, ids = scored_project
    with pytest.raises(ValueError, match="Unknown reject reason 'blurry'"):
        reject(project, ids["half"], "garment", "blurry")
    with pytest.raises(ValueError, match="reason 'Other' needs a text saying why: type it in the Why field"):
        reject(project, ids["half"], "garment", "other", "   ")
    assert project.decisions() == []


def test_reason_counts_use_each_images_latest_decision(scored_project):
    project, ids = scored_project
    reject(project, ids["half"], "garment", "model_error")
    reject(project, ids["disjoint"], "garment", "model_error")
    reject(project, ids["same"], "garment", "rare_garment")
    approve(project, ids["same"], "garment")
    assert reason_counts(project, "garment") == {"model_error": 2}
    assert reason_counts(project, "garment", latest_only=False) == {
        "model_error": 2,
        "rare_garment": 1,
    }
    project.save_mask(ids["half"], "garment", square(5, 5, 15, 14), status="done")  # fixed
    assert reason_counts(project, "garment") == {"model_error": 1}


def test_training_uses_approved_masks_and_excludes_rejected(scored_project):
    project, ids = scored_project
    approve(project, ids["same"], "garment")
    reject(project, ids["disjoint"], "garment", "bad_ground_truth")
    approved_only = [i for i, _, _ in project.training_items("garment", statuses=("approved",))]
    assert approved_only == [ids["same"]]
    default = [i for i, _, _ in project.training_items("garment")]
    assert ids["disjoint"] not in default and ids["same"] in default


def test_a_mask_that_cannot_be_read_is_not_approved(scored_project):
    """Found in a QA hand test: a row whose saved mask file was damaged ("cannot read the saved
    mask" in the viewer) was approved with A; a reject stays possible."""
    project, ids = scored_project
    image = ids["same"]
    path = project.mask_versions(image, "garment")[-1].path
    path.write_bytes(b"not a png")
    with pytest.raises(ValueError, match="not approved: the saved mask cannot be read"):
        approve(project, image, "garment")
    assert project.decisions(image_id=image, task="garment") == []
    reject(project, image, "garment", "other", "the file is damaged: save it again")
    assert project.image(image).status == "rejected"


def test_a_decision_older_than_the_latest_mask_is_not_shown_as_current(scored_project):
    """Found in a QA hand test: a rejected mask the operator fixed still read "rejected: Other"
    in the Review table (and an approved one "approved" after a new version)."""
    from fashion_annotator.qa.decisions import current_decision
    from fashion_annotator.qa.scores import score_project

    project, ids = scored_project
    image = ids["half"]
    reject(project, image, "garment", "other", "redo the sleeve")
    assert current_decision(project, image, "garment").decision == "reject"
    project.save_mask(image, "garment", square(5, 5, 15, 12), status="done")  # fixed
    assert current_decision(project, image, "garment") is None
    (row,) = [r for r in score_project(project, "garment") if r.image_id == image]
    assert (row.decision, row.reason, row.status) == (None, None, "done")
    assert [d.decision for d in project.decisions(image, "garment")] == ["reject"]  # history kept


def test_a_later_version_saved_with_a_clock_behind_is_not_approved(scored_project, monkeypatch):
    """A code review: decisions met mask versions only by time, so a version saved from a
    desktop whose clock is behind (or after a clock step back) inherited the approval of the
    version the reviewer looked at. A decision names its mask version now."""
    import time

    from fashion_annotator.qa.decisions import current_decision

    project, ids = scored_project
    image = ids["half"]
    approve(project, image, "garment")
    assert project.image(image).status == "approved"
    assert project.decisions(image, "garment")[-1].mask_version == 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 600)  # ten minutes behind
    project.save_mask(image, "garment", square(0, 0, 3, 3), status="done")
    monkeypatch.setattr(time, "time", real)
    assert current_decision(project, image, "garment") is None
    approve(project, image, "parsing7")  # recomputes the status from every task's decision
    assert project.image(image).status == "done", "the garment's version 2 waits for review"


def test_decisions_of_an_index_before_the_version_column_compare_times(tmp_path):
    """A version-3 index (no decisions.mask_version) opens migrated; its decisions keep the
    time rule, new ones name their version."""
    import sqlite3

    from fashion_annotator.dataset import schema
    from fashion_annotator.dataset.connection import INDEX_NAME
    from fashion_annotator.qa.decisions import current_decision

    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        photo = tmp_path / "a.png"
        Image.fromarray(square(5, 5, 15, 15) * 200).convert("RGB").save(photo)
        image = project.add_image(photo).id
        project.save_mask(image, "garment", square(5, 5, 15, 15), status="done")
        approve(project, image, "garment")
    conn = sqlite3.connect(tmp_path / "p" / INDEX_NAME)
    conn.executescript("DROP TABLE label_sets; ALTER TABLE decisions DROP COLUMN mask_version; PRAGMA user_version = 3;")
    conn.close()
    with Project.open(tmp_path / "p") as project:
        assert schema.schema_version(project._conn) == schema.SCHEMA_VERSION
        old = project.decisions(image, "garment")[-1]
        assert old.mask_version is None and current_decision(project, image, "garment") is not None
        project.save_mask(image, "garment", square(0, 0, 4, 4), status="done")
        assert current_decision(project, image, "garment") is None
        assert approve(project, image, "garment").mask_version == 2


def test_an_image_whose_photo_is_missing_is_not_approved(scored_project):
    """A re-test: a photo referenced in place was gone; the reviewer saw "file does not exist"
    and could still approve the mask."""
    project, ids = scored_project
    image = ids["half"]
    project.image_path(image).unlink()
    with pytest.raises(ValueError, match="not approved: the photo .* is missing"):
        approve(project, image, "garment")
    assert reject(project, image, "garment", "other", "photo gone").decision == "reject"


def test_a_reject_without_a_reason_category_is_refused(scored_project):
    project, ids = scored_project
    for reason in (None, ""):
        with pytest.raises(ValueError, match="choose a reason"):
            reject(project, ids["same"], "garment", reason, "collar lost")
    assert project.decisions() == []
