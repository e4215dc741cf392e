"""The store at its edges: special files, odd names, permissions, read-only projects, full
disks, racing creators, hostile indexes and crash leftovers."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.click_logs import read_click_log, write_click_log
from fashion_annotator.dataset.formats import EXPORT_FORMATS, export_project, import_source
from fashion_annotator.dataset.store import Project, ProjectError

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


@pytest.fixture
def alarm():
    """Fail instead of hanging forever (a FIFO read blocks until a writer comes)."""

    def on_alarm(*_):
        raise TimeoutError("hung: the import blocked")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_special_files_in_a_photo_folder(
    project: Project, tmp_path: Path, write_photo, alarm, integrity_ok, ledger
) -> None:
    src = tmp_path / "photos"
    write_photo(src / "good.png", SHAPE)
    os.mkfifo(src / "pipe.jpg")
    (src / "zero.jpg").symlink_to("/dev/zero")
    (src / "broken.jpg").symlink_to(src / "nowhere.jpg")
    (src / "nested").mkdir()
    write_photo(src / "nested" / "deep.png", SHAPE, seed=2)
    write_photo(src / "anim.gif", SHAPE, seed=3)
    long_name = "x" * 236 + ".png"
    write_photo(src / long_name, SHAPE, seed=4)
    odd = os.fsdecode(b"caf\xe9-\xff.png")  # Latin-1 bytes: not UTF-8
    write_photo(src / odd, SHAPE, seed=5)
    cases = ["FIFO", "link to /dev/zero", "broken link", "nested folder", ".gif",
             "240-character name", "non-UTF-8 name"]  # fmt: skip
    for case in cases:
        ledger.try_("photos", case)
    summary = import_source(project, src, "photos")
    errors = dict(summary.errors)
    assert "FIFO" in errors[str(src / "pipe.jpg")]
    assert "character device" in errors[str(src / "zero.jpg")]
    assert "missing" in errors[str(src / "broken.jpg")]
    skipped = dict(summary.skipped)
    assert "folder" in skipped[str(src / "nested")]
    assert ".gif" in skipped[str(src / "anim.gif")]
    assert summary.added == 3
    names = sorted(r.name for r in project.images())
    assert "good.png" in names
    stored_long = next(n for n in names if n.startswith("xxx"))
    assert len(stored_long.encode()) <= 200 and stored_long.endswith(".png")
    stored_odd = next(n for n in names if n.startswith("caf"))
    assert stored_odd == "caf\ufffd-\ufffd.png"
    for record in project.images():
        assert project.load_photo(record.id).rgb.shape[:2] == SHAPE
    assert integrity_ok(project.root)
    for case in cases:
        ledger.handled("photos", case)


def test_photo_with_a_matching_mask_under_an_odd_name(
    project: Project, tmp_path: Path, write_photo, write_mask, ledger
) -> None:
    ledger.try_("masks", "non-UTF-8 stem pairs photo and mask")
    odd = os.fsdecode(b"look-\xff")
    src = tmp_path / "plain"
    write_photo(src / "images" / f"{odd}.png", SHAPE)
    write_mask(src / "masks" / f"{odd}.png", np.ones(SHAPE, np.uint8))
    summary = import_source(project, src, "plain", "garment")
    assert (summary.masks, summary.errors) == (1, [])
    ledger.handled("masks", "non-UTF-8 stem pairs photo and mask")


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_get_the_umask_permissions(tmp_path: Path, write_photo, umask: int) -> None:
    old = os.umask(umask)
    try:
        with Project.create(tmp_path / "p") as project:
            rec = project.add_image(write_photo(tmp_path / "a.png", SHAPE))
            version = project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
            for path in (rec.path, version.path):
                assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    finally:
        os.umask(old)


def test_jpeg_data_in_a_png_mask_is_refused(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    from PIL import Image

    ledger.try_("masks", "JPEG data in .png")
    src = tmp_path / "plain"
    write_photo(src / "images" / "a.png", SHAPE)
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, 4:20] = 1
    (src / "masks").mkdir()
    Image.fromarray(mask * 255 // 255, "L").save(src / "masks" / "a.png", format="JPEG")
    summary = import_source(project, src, "plain", "garment")
    (path, problem), = summary.errors
    assert path.endswith("a.png") and "JPEG (lossy)" in problem
    assert project.task_counts()["garment"] == 0
    ledger.handled("masks", "JPEG data in .png")


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("mask not an image", b"hello", "not a recognised image"),
        ("empty mask", b"", "empty"),
        ("colour mask", "rgb", "colour"),
        ("16-bit ids above 255", "i16", "0..255"),
        ("mask of another size", "small", "differs from the photo"),
        ("ids outside the taxonomy", "ids", "outside"),
    ],
)
def test_bad_masks_are_refused_and_listed(
    project: Project, tmp_path: Path, write_photo, ledger, name, payload, expected
) -> None:
    from PIL import Image

    ledger.try_("masks", name)
    src = tmp_path / "plain"
    write_photo(src / "images" / "a.png", SHAPE)
    (src / "masks").mkdir()
    target = src / "masks" / "a.png"
    if isinstance(payload, bytes):
        target.write_bytes(payload)
    elif payload == "rgb":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (*SHAPE, 3), np.uint8)).save(target)
    elif payload == "i16":
        Image.fromarray(np.full(SHAPE, 300, np.uint16)).save(target)
    elif payload == "small":
        Image.fromarray(np.zeros((5, 5), np.uint8)).save(target)
    else:
        Image.fromarray(np.full(SHAPE, 9, np.uint8)).save(target)
    summary = import_source(project, src, "plain", "garment")
    (path, problem), = summary.errors
    assert path.endswith("a.png") and expected in problem, problem
    assert project.task_counts()["garment"] == 0
    ledger.handled("masks", name)


def test_racing_creators_one_wins_the_other_gets_a_clear_error(tmp_path: Path, ledger) -> None:
    ledger.try_("store", "simultaneous create")
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        barrier.wait()
        try:
            Project.create(tmp_path / "same").close()
            outcomes.append("created")
        except ProjectError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1, outcomes
    assert all("already a project" in o for o in outcomes if o != "created"), outcomes
    with Project.open(tmp_path / "same") as project:
        assert project.tasks == ("garment", "parsing7")
    ledger.handled("store", "simultaneous create")


def test_hostile_index_paths_are_confined(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    ledger.try_("store", "index names a photo outside images/")
    ledger.try_("store", "index names a mask outside masks/")
    secret = tmp_path / "secret.png"
    write_photo(secret, SHAPE, seed=7)
    a = project.add_image(write_photo(tmp_path / "a.png", SHAPE))
    b = project.add_image(write_photo(tmp_path / "b.png", SHAPE, seed=1))
    project.save_mask(a.id, "garment", np.zeros(SHAPE, np.uint8))
    project.save_mask(b.id, "garment", np.zeros(SHAPE, np.uint8))
    conn = sqlite3.connect(project.root / "project.sqlite")
    with conn:
        conn.execute("UPDATE mask_versions SET path = ? WHERE image_id = ?", (str(secret), b.id))
    conn.close()
    with pytest.raises(ProjectError, match="not a mask of this project"):
        project.load_mask(b.id, "garment")
    summary = export_project(project, tmp_path / "out", "plain", "garment")
    assert summary.count == 1 and "not a mask of this project" in summary.errors[0][1]
    assert not (tmp_path / "out" / "masks" / "b.png").exists()
    ledger.handled("store", "index names a mask outside masks/")

    conn = sqlite3.connect(project.root / "project.sqlite")
    with conn:
        conn.execute("UPDATE images SET name = '../../secret.png' WHERE id = ?", (a.id,))
    conn.close()
    with pytest.raises(ProjectError, match="leads outside images/"):
        project.image(a.id)
    with pytest.raises(ProjectError, match="leads outside images/"):
        export_project(project, tmp_path / "out2", "plain", "garment")
    assert not list((tmp_path / "out2" / "images").glob("*"))
    ledger.handled("store", "index names a photo outside images/")


def test_crash_leftovers_are_swept_and_names_kept(
    tmp_path: Path, write_photo, stray_files, integrity_ok, ledger
) -> None:
    ledger.try_("store", "orphan photo and temp files")
    src = write_photo(tmp_path / "src" / "look.png", SHAPE)
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "other.png", SHAPE, seed=1))
        project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
    # What a kill between the rename and the index commit leaves (temp files of hours ago):
    shutil.copyfile(src, root / "images" / "look.png")
    for temp in (root / "images" / ".look.png.abc123.tmp", root / "masks" / str(rec.id) / "garment" / ".v2.png.x1.tmp"):
        temp.write_bytes(b"partial")
        os.utime(temp, (temp.stat().st_atime, temp.stat().st_mtime - 7200))
    shutil.copyfile(root / "masks" / str(rec.id) / "garment" / "v1.png",
                    root / "masks" / str(rec.id) / "garment" / "v2.png")  # fmt: skip
    with Project.open(root) as project:
        assert project.swept.total == 4
        assert stray_files(root) == []
        again = project.add_image(src)
        assert again.name == "look.png"  # not look-<sha12>.png: export names stay
        assert len(project.mask_versions(rec.id, "garment")) == 1
    assert (root / "lost+found" / "images" / "look.png").is_file()  # moved, never deleted
    assert (root / "lost+found" / "masks" / str(rec.id) / "garment" / "v2.png").is_file()  # a mask too
    assert integrity_ok(root)
    ledger.handled("store", "orphan photo and temp files")


def test_masks_saved_after_the_backup_an_index_is_restored_from_are_kept(tmp_path: Path, write_photo, capsys) -> None:
    """An admin restores last night's project.sqlite: the masks saved since are no longer in it.
    The first open swept them away for good; they wait in lost+found now."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
    backup = tmp_path / "backup.sqlite"
    shutil.copyfile(root / "project.sqlite", backup)
    today = np.zeros(SHAPE, np.uint8)
    today[2:9, 3:12] = 1
    with Project.open(root) as project:
        saved = project.save_mask(rec.id, "garment", today)  # a day's work: v2...
        write_click_log(saved.path, [{"kind": "click", "y": 5.0, "x": 6.0, "positive": True, "label": 1}])
    shutil.copyfile(backup, root / "project.sqlite")
    for leftover in ("project.sqlite-wal", "project.sqlite-shm"):
        (root / leftover).unlink(missing_ok=True)
    from fashion_annotator.cli import main

    assert main(["info", str(root)]) == 0  # the first open sets them aside and says so
    assert "moved 1 saved mask file(s) its index does not name" in capsys.readouterr().err
    with Project.open(root) as project:
        assert len(project.mask_versions(rec.id, "garment")) == 1
    kept = root / "lost+found" / "masks" / str(rec.id) / "garment" / "v2.png"
    assert np.array_equal(load_mask(kept), today)
    # ...and its click log goes with it: a later save reusing v2 read it as its own
    assert read_click_log(kept)[0]["x"] == 6.0
    assert not (root / "masks" / str(rec.id) / "garment" / "v2.clicks.json").exists()


@pytest.mark.parametrize("damage", ["empty", "no tasks"])
def test_an_empty_or_taskless_index_is_refused_and_the_folder_left_alone(
    tmp_path: Path, write_photo, damage: str
) -> None:
    """A zero-byte index (a copy cut short) was made into a new empty project, and its first
    open moved every photo to lost+found and deleted every mask."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and "sqlite" not in p.name)
    if damage == "empty":
        (root / "project.sqlite").write_bytes(b"")
        for leftover in ("project.sqlite-wal", "project.sqlite-shm"):
            (root / leftover).unlink(missing_ok=True)
        words = "empty or not a project index"
    else:
        conn = sqlite3.connect(root / "project.sqlite")
        with conn:
            conn.execute("DELETE FROM tasks")
        conn.close()
        words = "names no tasks"
    with pytest.raises(ProjectError, match=words):
        Project.open(root)
    assert sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and "sqlite" not in p.name) == files
    if damage == "empty":  # left as it was (SQLite wrote a 4 kB WAL header into it: a review)
        assert (root / "project.sqlite").stat().st_size == 0


def test_orphan_reused_even_without_a_sweep(project: Project, tmp_path: Path, write_photo) -> None:
    src = write_photo(tmp_path / "src" / "look.png", SHAPE)
    shutil.copyfile(src, project.root / "images" / "look.png")  # left by a killed import
    assert project.add_image(src).name == "look.png"


def test_export_target_checks_and_partial_exports(
    project: Project, tmp_path: Path, write_photo, ledger
) -> None:
    recs = [project.add_image(write_photo(tmp_path / f"{i}.png", SHAPE, seed=i)) for i in range(3)]
    for rec in recs:
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    photos_before = {p.name: p.read_bytes() for p in (project.root / "images").iterdir()}
    root_before = sorted(p.name for p in project.root.iterdir())
    for case, out, expected in [
        ("export into the project's images/", project.root / "images", "inside"),
        ("export into the project itself", project.root, "inside"),
        ("export into a non-empty folder", tmp_path / "full", "not empty"),
        ("export onto a file", tmp_path / "0.png", "not a folder"),
    ]:
        ledger.try_("export", case)
        (tmp_path / "full").mkdir(exist_ok=True)
        (tmp_path / "full" / "stale.png").write_bytes(b"old")
        for fmt in EXPORT_FORMATS:  # every format: none writes into the project or over a user's files
            with pytest.raises(ValueError, match=expected):
                export_project(project, out, fmt, "garment")
        ledger.handled("export", case)
    assert {p.name: p.read_bytes() for p in (project.root / "images").iterdir()} == photos_before
    assert sorted(p.name for p in project.root.iterdir()) == root_before, "no export left anything in the project"
    assert (tmp_path / "full" / "stale.png").read_bytes() == b"old" and len(list((tmp_path / "full").iterdir())) == 1
    for bad in (-5.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="tolerance must be a number of pixels >= 0"):
            export_project(project, tmp_path / "tol", "labelme", "garment", tolerance=bad)

    ledger.try_("export", "one missing mask file")
    ledger.try_("export", "one corrupt mask file")
    project.mask_versions(recs[0].id, "garment")[-1].path.unlink()
    project.mask_versions(recs[1].id, "garment")[-1].path.write_bytes(b"garbage")
    for fmt in ("plain", "coco", "cutout"):
        summary = export_project(project, tmp_path / f"out-{fmt}", fmt, "garment")
        assert summary.count == 1, fmt
        assert [name for name, _ in summary.errors] == ["0.png", "1.png"]
        assert all("cannot read the saved mask" in p for _, p in summary.errors)
    ledger.handled("export", "one missing mask file")
    ledger.handled("export", "one corrupt mask file")


def test_export_errors_name_the_folder(tmp_path: Path, project: Project, ledger) -> None:
    ledger.try_("export", "folder that cannot be created")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError, match=r"blocker/out: cannot create the export folder"):
        export_project(project, blocker / "out", "plain", "garment")
    ledger.handled("export", "folder that cannot be created")


READONLY_CHILD = """
import sys
from pathlib import Path
import numpy as np
from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project, ProjectError
from fashion_annotator.qa.report import build_html, write_csv
from fashion_annotator.qa.scores import score_project

root, out = Path(sys.argv[1]), Path(sys.argv[2])
with Project.open(root) as project:
    print("readonly:", project.readonly)
    rec = project.images()[0]
    assert project.load_mask(rec.id, "garment").sum() > 0
    summary = export_project(project, out / "export", "plain", "garment")
    print("exported", summary.count, summary.errors)
    scores = score_project(project, "garment")
    build_html(project, "garment", scores)
    write_csv(scores, out / "qa.csv", "Dice")
    print("qa rows", len(scores))
    try:
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    except ProjectError as exc:
        print("save refused:", exc)
    try:
        project.acquire_lease(rec.id)
    except ProjectError as exc:
        print("lease refused:", exc)
"""


def _readonly_project(write_photo) -> Path:
    base = Path(tempfile.mkdtemp(prefix="fa-ro-"))
    root = base / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(base / "a.png", SHAPE))
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
        project.save_proposal(rec.id, "garment", np.ones(SHAPE, np.uint8), "m1")
        project.set_status(rec.id, "done")
    return root


def test_read_only_project_opens_for_viewing_export_and_qa(
    tmp_path: Path, write_photo, integrity_ok, ledger, run_read_only
) -> None:
    ledger.try_("store", "read-only project folder")
    root = _readonly_project(write_photo)
    child = run_read_only(READONLY_CHILD, root, str(tmp_path))
    assert child.returncode == 0, child.stderr[-3000:]
    out = child.stdout
    assert "readonly: " in out and "readonly: None" not in out, out
    assert "exported 1 []" in out and "qa rows 1" in out
    assert "save refused:" in out and "read-only" in out.split("save refused:")[1]
    assert "lease refused:" in out
    assert integrity_ok(root)
    shutil.rmtree(root.parent)
    ledger.handled("store", "read-only project folder")


def test_read_only_on_request(tmp_path: Path, write_photo) -> None:
    root = _readonly_project(write_photo)
    with Project.open(root, readonly=True) as project:
        assert project.readonly == "opened read-only on request"
        with pytest.raises(ProjectError, match="read-only"):
            project.set_status(project.images()[0].id, "approved")
    shutil.rmtree(root.parent)


FULL_DISK_CHILD = """
import resource, signal, sys
from pathlib import Path
import numpy as np
from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project, ProjectError

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
root, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
if mode == "save":
    with Project.open(root) as project:
        rec = project.images()[0]
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, hard))
        saved = 0
        try:
            for i in range(2000):
                mask = np.zeros(rec.shape, np.uint8)
                mask.flat[i % mask.size] = 1
                project.save_mask(rec.id, "garment", mask)
                saved += 1
        except ProjectError as exc:
            print("refused after", saved, "saves:", exc)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
else:
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    project = Project.open(root)
    print("opened, readonly:", project.readonly)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    summary = export_project(project, out / "exp", "plain", "garment")
    print("exported", summary.count)
    project.close()
"""


def test_full_disk_save_and_export(
    tmp_path: Path, write_photo, integrity_ok, ledger, run_child
) -> None:
    ledger.try_("store", "disk full during saves")
    ledger.try_("store", "export from a full disk")
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "a.png", SHAPE))
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    child = run_child(FULL_DISK_CHILD, str(root), str(tmp_path), "save")
    assert child.returncode == 0, child.stderr[-3000:]
    assert "refused after" in child.stdout, child.stdout + child.stderr[-2000:]
    assert "nothing was recorded" in child.stdout or "cannot save" in child.stdout
    refused_after = int(child.stdout.split("refused after")[1].split()[0])
    with Project.open(root) as project:
        versions = project.mask_versions(rec.id, "garment")
        assert len(versions) == 1 + refused_after  # every save that returned is there
        for v in versions:
            assert project.load_mask(rec.id, "garment", v.version) is not None
    assert integrity_ok(root)
    ledger.handled("store", "disk full during saves")

    child = run_child(FULL_DISK_CHILD, str(root), str(tmp_path), "export")
    assert child.returncode == 0, child.stderr[-3000:]
    assert "exported 1" in child.stdout, child.stdout
    ledger.handled("store", "export from a full disk")


def test_the_sweep_matches_index_rows_with_windows_separators(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows ``str`` of a relative path has backslashes while the index names
    ``masks/1/garment/v1.png``: every saved mask was deleted and every photo moved to
    lost+found at the next open. The walk's paths are built here as Windows builds them."""
    from pathlib import PureWindowsPath

    from fashion_annotator.dataset import sweep

    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    monkeypatch.setattr(sweep, "Path", PureWindowsPath)
    # What the sweep decides to remove or move (on Linux a backslashed path misses the file).
    decided: list[str] = []
    monkeypatch.setattr(sweep, "_remove", lambda _p, rel, *_a: decided.append(rel))
    monkeypatch.setattr(sweep, "_move", lambda _r, rel, _rep: decided.append(rel))
    conn = sqlite3.connect(root / "project.sqlite")
    try:
        conn.execute("BEGIN IMMEDIATE")
        sweep.sweep(root, conn)
    finally:
        conn.close()
    assert decided == []


def test_a_referenced_photo_whose_file_changed_is_not_paired_with_its_masks(
    tmp_path: Path, write_photo
) -> None:
    """Found in a review: in a folder of photos the window opened (photos referenced in place),
    a photo file overwritten with another of the same size opened without a word under the
    old masks, went into the retrain with them, and was exported beside them."""
    from fashion_annotator.annotate.session import load_document
    from fashion_annotator.dataset.training_set import select_training_masks

    look = write_photo(tmp_path / "shoot" / "look.png", SHAPE, seed=1)
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment",)) as project:
        ref = project.add_image(look, copy=False)
        kept = project.add_image(write_photo(tmp_path / "other.png", SHAPE, seed=2))
        mask = np.zeros(SHAPE, np.uint8)
        mask[4:12, 5:20] = 1
        for rec in (ref, kept):
            project.save_mask(rec.id, "garment", mask, status="done", actions=3)
        write_photo(look, SHAPE, seed=3)  # another photo saved over the file
        with pytest.raises(ProjectError, match=r"look\.png: the file changed since it was added"):
            load_document(project, ref.id)
        load_document(project, kept.id)  # a copied photo is the project's own
        selection = select_training_masks(project, "garment")
        assert [it.image_id for it in selection.items()] == [kept.id]
        assert "changed since it was added" in selection.unreadable[0][1]
        summary = export_project(project, tmp_path / "out", "plain")
        assert summary.count == 1 and "changed since it was added" in summary.errors[0][1]
        write_photo(look, SHAPE, seed=1)  # the earlier file put back
        load_document(project, ref.id)


def test_a_save_stopped_before_its_commit_leaves_no_file(tmp_path: Path, write_photo, monkeypatch) -> None:
    """Ctrl+C in an import between a mask's file and its row: the file stayed, and the next
    open set it aside in lost+found with a warning about a restored index or a crash."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))

        def interrupted(*_args, **_kwargs) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(project._db, "write_status", interrupted)
        with pytest.raises(KeyboardInterrupt):
            project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8), status="done")
    assert not list((root / "masks").rglob("*.png"))
    with Project.open(root) as project:
        assert project.swept.total == 0 and project.mask_versions(rec.id, "garment") == []
