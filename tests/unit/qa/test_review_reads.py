"""What one scoring of the Review table reads from the store: the image list once, each task's
mask versions in one query, whatever the number of images without a mask (a 20,000-image
project with 2,005 masks made 42,005 ``mask_versions`` queries per refresh); and the same rows
and throughput figures as reading every image's versions one by one."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from qa_synth import add_photo, square

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import approve, current_decision, reject
from fashion_annotator.qa.effort import EFFORT_SOURCES, effort_contributions, image_effort
from fashion_annotator.qa.scores import score_masks, score_project, shown_proposal
from fashion_annotator.qa.throughput import throughput


def _busy(project: Project, folder: Path, masked: int, maskless: int) -> Project:
    """``masked`` images with a varied history (colleagues, imports, both tasks, proposals,
    decisions on older and latest versions), then ``maskless`` images without any mask."""
    users = {name: Project.open(project.root, user=name) for name in ("bob", "carol")}
    try:
        for i in range(masked):
            image_id = add_photo(project, folder, f"m{i}.png", i)
            if i % 3:
                project.save_proposal(image_id, "garment", square(2, 2, 10, 8 + i), "v1")
            project.save_mask(image_id, "garment", square(2, 2, 10, 10), seconds=10.0 * i + 0.1,
                              actions=i, edited=True)  # fmt: skip
            if i % 2:
                users["bob"].save_mask(image_id, "garment", square(2, 2, 12, 10),
                                       seconds=10.0 * i + 7.3, actions=i + 4)  # fmt: skip
                users["bob"].save_mask(image_id, "parsing7", square(2, 2, 12, 10, label=3),
                                       seconds=10.0 * i + 7.3, actions=i + 4)  # fmt: skip
            if i % 4 == 0:
                project.save_mask(image_id, "garment", square(1, 1, 9, 9), source="import")
            if i % 5 == 1:
                approve(project, image_id, "garment", seen_version=len(project.mask_versions(image_id, "garment")))
            if i % 5 == 2:
                reject(project, image_id, "garment", "low_contrast", "edge", seen_version=None)
                users["carol"].save_mask(image_id, "garment", square(3, 3, 9, 9), seconds=200.0 + i, actions=50)
            if i % 5 == 3:
                reject(project, image_id, "garment", "other", "why not")
    finally:
        for user in users.values():
            user.close()
    for j in range(maskless):
        add_photo(project, folder, f"plain{j}.png", 100 + j)
    return project


def _score_and_throughput(project: Project) -> tuple[list, list]:
    return score_project(project, "garment"), throughput(project, ["garment"])


def test_scoring_reads_the_image_list_once_and_no_versions_per_image(project, tmp_path, count_reads):
    _busy(project, tmp_path / "src", masked=6, maskless=10)
    with count_reads(project) as few:
        rows = score_project(project, "garment")
    assert len(rows) == 6
    assert few["images"] == 1 and few["mask_versions"] == 0
    assert few["proposals"] == 0  # the shown proposals of every row come in one query (mask_starts)
    for j in range(40):
        add_photo(project, tmp_path / "more", f"x{j}.png", 500 + j)
    with count_reads(project) as many:
        assert len(score_project(project, "garment")) == 6
    assert many["sql"] == few["sql"], "queries grow with the images that have no mask"


def test_throughput_reads_each_task_once_whatever_the_images(project, tmp_path, count_reads):
    _busy(project, tmp_path / "src", masked=6, maskless=10)
    with count_reads(project) as few:
        figures = throughput(project, ["garment"])
    assert figures and few["images"] == 0 and few["mask_versions"] == 0
    for j in range(40):
        add_photo(project, tmp_path / "more", f"x{j}.png", 500 + j)
    with count_reads(project) as many:
        assert throughput(project, ["garment"]) == figures
    assert many["sql"] == few["sql"] <= 1 + len(project.tasks)


def test_bulk_versions_passed_in_are_not_read_again(project, tmp_path, monkeypatch, count_reads):
    """The Review tab reads every task's versions once and hands them to both."""
    _busy(project, tmp_path / "src", masked=5, maskless=3)
    records = project.images()
    saved = {t: project.mask_versions_of_task(t) for t in project.tasks}
    expected = _score_and_throughput(project)
    monkeypatch.setattr(project, "mask_versions_of_task", lambda task: pytest.fail(f"{task} read again"))
    with count_reads(project) as counts:
        rows = score_project(project, "garment", records=records, saved=saved["garment"])
        figures = throughput(project, ["garment"], saved)
    assert counts["images"] == 0 and counts["mask_versions"] == 0
    assert (rows, figures) == expected


def _rows_one_by_one(project: Project, task: str) -> list[tuple]:
    """The rows as read before the bulk query: every image's versions, its own decision."""
    out = []
    for record in project.images():
        versions = project.mask_versions(record.id, task)
        if not versions:
            continue
        decision = current_decision(project, record.id, task)
        reference, saved = shown_proposal(project, record.id, task), project.load_mask(record.id, task)
        score = math.nan if reference is None else score_masks(reference, saved, project.taxonomy(task)).score
        last = versions[-1]  # an import's row names it: "carol (import)"
        operator = last.user if last.source in EFFORT_SOURCES else f"{last.user} ({last.source})"
        out.append((record.id, record.status, operator, image_effort(versions), len(versions),
                    versions[-1].created, None if decision is None else (decision.decision, decision.reason,
                    decision.text), score))  # fmt: skip
    return out


def _throughput_one_by_one(project: Project, task: str) -> dict[tuple[str, str], tuple]:
    """The figures as read before: every image, every task's versions of it one by one."""
    images, sums = defaultdict(set), defaultdict(lambda: [0, 0.0, 0])
    for record in project.images():
        versions = {(v.task, v.version): v for t in project.tasks for v in project.mask_versions(record.id, t)}
        for (t, number), (spent, edits) in effort_contributions(versions.values()).items():
            if t == task:
                key = (versions[(t, number)].user, t)
                images[key].add(record.id)
                sums[key][0] += 1
                sums[key][1] += spent
                sums[key][2] += edits
    return {k: (len(images[k]), s[0], s[1] / 3600.0, s[2]) for k, s in sums.items()}


@pytest.mark.parametrize("task", ["garment", "parsing7"])
def test_rows_and_throughput_equal_reading_image_by_image(project, tmp_path, task):
    _busy(project, tmp_path / "src", masked=12, maskless=7)
    rows = score_project(project, task)
    got = [(r.image_id, r.status, r.operator, (r.seconds, r.actions), r.versions, r.saved_at,
            None if r.decision is None else (r.decision, r.reason, r.reason_text), r.score) for r in rows]  # fmt: skip
    expected = _rows_one_by_one(project, task)
    assert len(got) == len(expected) == (12 if task == "garment" else 6)
    for a, b in zip(got, expected, strict=True):
        assert a[:-1] == b[:-1] and (a[-1] == b[-1] or (np.isnan(a[-1]) and np.isnan(b[-1])))
    assert {r.decision for r in rows} >= ({"approve", "reject", None} if task == "garment" else {None})
    figures = {(t.operator, t.task): (t.images, t.saves, t.hours, t.actions) for t in throughput(project, [task])}
    assert figures == _throughput_one_by_one(project, task)  # exact: the same sums in the same order
