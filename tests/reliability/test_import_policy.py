"""An import never replaces operators' work: re-runs are no-ops, statuses never drop, a changed
source mask needs --overwrite, resumed imports add no duplicates, counts stay honest."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main as cli_main
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


@pytest.fixture
def plain_src(tmp_path: Path, write_photo, write_mask) -> Path:
    src = tmp_path / "plain"
    for i in range(3):
        write_photo(src / "images" / f"p{i}.png", SHAPE, seed=i)
        mask = np.zeros(SHAPE, np.uint8)
        mask[2 + i : 12, 3:20] = 1
        write_mask(src / "masks" / f"p{i}.png", mask)
    return src


def test_rerun_keeps_operator_work_and_status(
    project: Project, plain_src: Path, ledger
) -> None:
    ledger.try_("import", "re-run over operator work")
    first = import_source(project, plain_src, "plain", "garment")
    assert (first.masks, first.errors) == (3, [])
    rec = project.images()[0]
    edited = project.load_mask(rec.id, "garment").copy()
    edited[15:20, 0:5] = 1
    project.save_mask(rec.id, "garment", edited, seconds=30, actions=4)
    project.set_status(rec.id, "approved")
    again = import_source(project, plain_src, "plain", "garment")
    assert (again.masks, again.unchanged, again.errors) == (0, 3, [])
    versions = project.mask_versions(rec.id, "garment")
    assert [v.source for v in versions] == ["import", "operator"]
    np.testing.assert_array_equal(project.load_mask(rec.id, "garment"), edited)
    assert project.image(rec.id).status == "approved"
    ledger.handled("import", "re-run over operator work")


def test_changed_source_mask_needs_overwrite(
    project: Project, plain_src: Path, write_mask, ledger
) -> None:
    ledger.try_("import", "changed source mask")
    import_source(project, plain_src, "plain", "garment")
    rec = project.images()[1]
    project.set_status(rec.id, "approved")
    changed = np.ones(SHAPE, np.uint8)
    write_mask(plain_src / "masks" / "p1.png", changed)
    summary = import_source(project, plain_src, "plain", "garment")
    assert summary.masks == 0 and summary.unchanged == 2
    assert len(summary.errors) == 1 and "p1.png" in summary.errors[0][0]
    assert "--overwrite" in summary.errors[0][1]
    assert len(project.mask_versions(rec.id, "garment")) == 1
    forced = import_source(project, plain_src, "plain", "garment", overwrite=True)
    assert (forced.masks, forced.errors) == (1, [])
    assert len(project.mask_versions(rec.id, "garment")) == 2  # the old version is kept
    np.testing.assert_array_equal(project.load_mask(rec.id, "garment"), changed)
    assert len(project.mask_versions(rec.id, "garment")) == 2 and project.image(rec.id).status == "done", (
        "QA approved the old version: the forced new one waits for review again"
    )
    ledger.handled("import", "changed source mask")


def test_cli_rerun_exit_codes(tmp_path: Path, plain_src: Path, write_mask, capsys) -> None:
    root = tmp_path / "cli"
    Project.create(root).close()
    args = ["import", str(root), str(plain_src), "--format", "plain", "--taxonomy", "garment"]
    assert cli_main(args) == 0
    assert cli_main(args) == 0
    assert "0 masks saved, 3 masks unchanged" in capsys.readouterr().out
    write_mask(plain_src / "masks" / "p0.png", np.ones(SHAPE, np.uint8))
    assert cli_main(args) == 3  # partial: the changed mask is refused and listed
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main([*args, "--overwrite"]) == 0


def test_resumed_import_adds_no_duplicates(project: Project, plain_src: Path, ledger) -> None:
    ledger.try_("import", "resumed import")
    calls = []

    def stop_midway(done: int, total: int) -> None:
        calls.append(done)
        if done == 4:  # three photos and one mask in: the "kill"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_source(project, plain_src, "plain", "garment", progress=stop_midway)
    assert project.task_counts()["garment"] == 1
    resumed = import_source(project, plain_src, "plain", "garment")
    assert (resumed.masks, resumed.unchanged, resumed.existing) == (2, 1, 3)
    for rec in project.images():
        assert len(project.mask_versions(rec.id, "garment")) == 1
    ledger.handled("import", "resumed import")


def test_added_count_is_exact_under_concurrent_imports(
    tmp_path: Path, plain_src: Path, ledger
) -> None:
    ledger.try_("import", "concurrent imports")
    root = tmp_path / "conc"
    Project.create(root).close()
    results = []

    def run() -> None:
        with Project.open(root) as project:
            results.append(import_source(project, plain_src / "images", "photos"))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.added for r in results) == 3
    assert sum(r.added + r.existing for r in results) == 9
    ledger.handled("import", "concurrent imports")


def test_plain_lists_photos_without_masks_and_refuses_per_task(
    project: Project, plain_src: Path, write_photo, write_mask, ledger
) -> None:
    ledger.try_("import", "photo without a mask")
    ledger.try_("import", "mask refused for one task")
    write_photo(plain_src / "images" / "lonely.png", SHAPE, seed=9)
    identity = {str(i): i for i in range(7)}
    table = {
        "parsing7": {"classes": list(project.taxonomy("parsing7").names), "from_ids": identity},
        "garment": {"classes": ["background", "garment"], "from_ids": {"0": 0, "1": 1}},
    }
    (plain_src / "taxonomies.json").write_text(json.dumps(table))
    summary = import_source(project, plain_src, "plain", "garment")
    assert summary.without_mask == ["lonely.png"]
    assert any("lonely.png" in line for line in summary.lines())
    ledger.handled("import", "photo without a mask")
    p2 = next(r for r in project.images() if r.name == "p2.png")

    # An id the garment table does not map: refused for every task, saved for none.
    bad = np.zeros(SHAPE, np.uint8)
    bad[0, 0] = 5
    write_mask(plain_src / "masks" / "p2.png", bad)
    summary = import_source(project, plain_src, "plain")
    (path, problem), = [e for e in summary.errors if e[0].endswith("p2.png")]
    assert "5" in problem
    assert project.mask_versions(p2.id, "parsing7") == []

    # Accepted by both tables, refused by one task (it differs from the saved garment mask):
    # the refusal names the task and says where the mask was saved.
    changed = np.zeros(SHAPE, np.uint8)
    changed[5:9, 5:9] = 1
    write_mask(plain_src / "masks" / "p2.png", changed)
    summary = import_source(project, plain_src, "plain")
    (path, problem), = [e for e in summary.errors if e[0].endswith("p2.png")]
    assert problem.startswith("garment:") and problem.endswith("(saved for parsing7)")
    np.testing.assert_array_equal(project.load_mask(p2.id, "parsing7"), changed)
    assert len(project.mask_versions(p2.id, "garment")) == 1
    ledger.handled("import", "mask refused for one task")
