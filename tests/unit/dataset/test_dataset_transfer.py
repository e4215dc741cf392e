"""``migrate``: SQLite -> PostgreSQL -> SQLite keeps every row and byte; ``bench team`` runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.click_logs import read_click_log, write_click_log
from fashion_annotator.dataset.store import ProjectError, create_project, open_project
from fashion_annotator.dataset.transfer import digest, migrate_project
from fashion_annotator.instances.model import Instance, InstanceSet


def _filled_project(root: Path, tmp_path: Path, write_photo) -> dict:
    """A project with two versions, a proposal, a decision, a model and a referenced photo."""
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"weights v1")
    weights.with_suffix(".json").write_text('{"task": "garment"}')
    with create_project(root, user="alice") as project:
        a = project.add_image(write_photo(tmp_path / "src" / "a.png", seed=1))
        b = project.add_image(write_photo(tmp_path / "src" / "b.png", seed=2), copy=False)
        mask = np.zeros(a.shape, np.uint8)
        mask[2:9, 3:11] = 4
        project.save_mask(a.id, "parsing7", mask, seconds=3.5, actions=2)
        project.save_mask(a.id, "parsing7", mask // 2, status="done")
        saved = project.save_mask(b.id, "garment", np.ones(b.shape, np.uint8))
        write_click_log(saved.path, [{"kind": "click", "y": 3.0, "x": 4.0, "positive": True, "label": 1}])
        project.save_proposal(a.id, "garment", np.ones(a.shape, np.uint8), "shipped")
        project.record_decision(a.id, "parsing7", "reject", reason="edge", text="left sleeve")
        project.register_model("garment", weights, {"dice": 0.9}, ["a.png"], activate=True)
        imap = np.zeros(a.shape, np.uint8)
        imap[2:9, 3:11] = 1
        jeans = Instance(1, parsing_class=4, category="jeans", attributes={"fit": "tight"}, colour="blue")
        project.save_instances(a.id, InstanceSet(imap, {1: jeans}), source="model")
        project.acquire_lease(b.id)
        return {"a": a.id, "b": b.id, "mask": mask, "imap": imap}


def test_round_trip_sqlite_postgresql_sqlite(tmp_path: Path, pg_url: str, write_photo) -> None:
    filled = _filled_project(tmp_path / "one", tmp_path, write_photo)
    there = migrate_project(tmp_path / "one", pg_url)
    back = migrate_project(pg_url, tmp_path / "two")
    assert there.verified and back.verified
    assert there.click_logs == back.click_logs == 1
    assert there.source_digest == back.destination_digest
    assert there.counts == {"tasks": 2, "label_sets": 0, "images": 2, "status_log": 2, "mask_versions": 3,
                            "proposals": 1, "decisions": 1, "models": 1,
                            "instance_versions": 1, "instances": 1}  # fmt: skip
    for location in (pg_url, tmp_path / "two"):
        with open_project(location, user="bob") as copy:
            a, b = filled["a"], filled["b"]
            np.testing.assert_array_equal(copy.load_mask(a, "parsing7", version=1), filled["mask"])
            assert [v.user for v in copy.mask_versions(a, "parsing7")] == ["alice", "alice"]
            assert copy.image(a).status == "rejected" and copy.lease(b) is None
            assert copy.image(b).path == tmp_path / "src" / "b.png"  # still referenced
            assert copy.active_model("garment").path.read_bytes() == b"weights v1"
            assert copy.last_decision(a).text == "left sleeve"
            assert read_click_log(copy.mask_versions(b, "garment")[0].path)[0]["x"] == 4.0
            iset = copy.load_instances(a)  # instance work was dropped, the copy still "verified"
            np.testing.assert_array_equal(iset.map, filled["imap"])
            assert (iset.instances[1].category, iset.instances[1].attributes) == ("jeans", {"fit": "tight"})
            assert [(v.source, v.user) for v in copy.instance_versions(a)] == [("model", "alice")]
            # New rows continue after the copied ids and versions.
            assert copy.save_mask(a, "parsing7", filled["mask"]).version == 3
            assert copy.register_model("garment", copy.active_model("garment").path, {},
                                       []).version == 2  # fmt: skip


def test_a_migration_stopped_while_verifying_leaves_no_copy(tmp_path: Path, write_photo, monkeypatch) -> None:
    """Ctrl+C while the copy was read back: an unverified copy that looked finished stayed,
    and the rerun refused its folder."""
    from fashion_annotator.dataset import transfer

    _filled_project(tmp_path / "src_project", tmp_path, write_photo)
    real, calls = transfer.digest, []

    def interrupted(project, changed=None):
        calls.append(project)
        if len(calls) == 2:  # the destination's read-back
            raise KeyboardInterrupt
        return real(project, changed)

    monkeypatch.setattr(transfer, "digest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        migrate_project(tmp_path / "src_project", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    monkeypatch.setattr(transfer, "digest", real)
    assert migrate_project(tmp_path / "src_project", tmp_path / "copy").verified


def test_migrate_refuses_an_existing_destination(
    tmp_path: Path, pg_url: str, write_photo, capsys: pytest.CaptureFixture
) -> None:
    _filled_project(tmp_path / "one", tmp_path, write_photo)
    create_project(pg_url).close()
    with pytest.raises(ProjectError, match="already a project"):
        migrate_project(tmp_path / "one", pg_url)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    assert main(["migrate", str(tmp_path / "one"), str(tmp_path / "full")]) == 1
    assert "must be a new or empty folder" in capsys.readouterr().err
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_migrate_checks_its_json_before_copying_and_makes_its_folder(
    tmp_path: Path, write_photo, capsys: pytest.CaptureFixture
) -> None:
    """A CLI test: ``--json DIR`` (a folder) was found out after the whole copy, which then
    ended "report not written" (3); a missing folder of the report was refused, where the
    other commands make it."""
    _filled_project(tmp_path / "one", tmp_path, write_photo)
    with pytest.raises(SystemExit) as usage:
        main(["migrate", str(tmp_path / "one"), str(tmp_path / "two"), "--json", str(tmp_path)])
    assert usage.value.code == 2 and f"{tmp_path}: is a folder" in capsys.readouterr().err
    assert not (tmp_path / "two").exists(), "checked before the copy: a rerun is not refused"
    out = tmp_path / "no" / "r.json"
    assert main(["migrate", str(tmp_path / "one"), str(tmp_path / "two"), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["verified"]


def test_migrate_cli_writes_a_verified_report(tmp_path: Path, pg_url: str, write_photo) -> None:
    _filled_project(tmp_path / "one", tmp_path, write_photo)
    out = tmp_path / "report.json"
    assert main(["migrate", str(tmp_path / "one"), pg_url, "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["verified"] and report["counts"]["mask_versions"] == 3
    with open_project(pg_url) as copy:
        assert digest(copy)[0] == report["source_digest"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bench_team_reports_every_figure(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = str(tmp_path / "bench") if backend == "sqlite" else request.getfixturevalue("pg_url")
    out = tmp_path / "team.json"
    # Kills land after the operators' start-up (seconds on a loaded machine), not before it.
    assert main(["bench", "team", "--url", url, "--operators", "3", "--minutes", "0.4",
                 "--think-s", "0.2", "--crash-every-s", "6", "--json", str(out)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    for key in ("backend", "operators", "saves", "saves_per_s", "save_ms_p50", "save_ms_p95",
                "save_ms_p99", "claim_ms_p95", "double_claims", "lost_saves", "crashes"):
        assert key in result
    assert result["backend"] == backend and result["operators"] == 3
    assert result["saves"] >= 3 and result["crashes"] >= 1
    assert result["double_claims"] == 0 and result["lost_saves"] == 0
    assert result["restarts_resumed"] >= 1


def test_migrate_refuses_a_destination_inside_the_source_and_a_source_inside_the_destination(
    tmp_path: Path, write_photo, capsys: pytest.CaptureFixture
) -> None:
    """Found by a fuzz: ``migrate SRC SRC/masks/99`` was "verified", then the source's next
    write-open moved the copy's mask files to SRC/lost+found (the copy broken, nobody told)."""
    src = tmp_path / "one"
    _filled_project(src, tmp_path, write_photo)
    for dst in (src / "masks" / "99", src / "copy"):
        assert main(["migrate", str(src), str(dst)]) == 1
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith(f"fashion-annotator migrate: error: {dst}: inside the source project ") and str(src.resolve()) in err
        assert not dst.exists()
    outer = tmp_path / "outer"
    outer.mkdir()
    inner = outer / "inner"
    _filled_project(inner, tmp_path, write_photo)
    with pytest.raises(ProjectError, match=f"{outer}: holds the source project"):
        migrate_project(inner, outer)
    with open_project(src, writing=True) as reopened:  # its sweep has nothing of a copy to move
        assert len(reopened.images()) == 2
    assert not (src / "lost+found").exists()
