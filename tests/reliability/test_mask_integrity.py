"""A saved mask file replaced behind the index by a *readable* PNG (the fuzz case mask_badvals:
a right-sized mask of label 77 on the binary garment task, or a 10x10 mask, as the newest of two
versions). Every reader that passes over a damaged file passes over this one too: the window
opens the newest version that is the one saved, an export and the QA report list it, a retrain
leaves it out, migrate copies it as it is and says so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.annotate.session import load_document
from fashion_annotator.cli import main
from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project, ProjectError, open_project
from fashion_annotator.dataset.training_set import select_training_masks
from fashion_annotator.dataset.transfer import migrate_project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)
CHANGED = "changed on disk since it was saved (SHA-256 differs"
BAD = {"label-77": np.full(SHAPE, 77, np.uint8), "10x10": np.ones((10, 10), np.uint8)}


def _png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(params=sorted(BAD))
def replaced(request, tmp_path: Path, write_photo, ledger):
    """``(project folder, image id, its v1 mask, the replaced v2 file)``: two images, the first
    with two saved versions whose newest file was replaced; both done."""
    ledger.try_("masks changed behind the index", request.param)
    root = tmp_path / "proj"
    with Project.create(root, tasks=("garment",), user="alice") as project:
        ids = [project.add_image(write_photo(tmp_path / "src" / f"{i}.png", SHAPE, seed=i)).id for i in range(2)]
        first = np.zeros(SHAPE, np.uint8)
        first[4:20, 6:22] = 1
        project.save_mask(ids[0], "garment", first)
        second = first.copy()
        second[:3] = 1
        v2 = project.save_mask(ids[0], "garment", second, status="done")
        project.save_mask(ids[1], "garment", first, status="done")
    v2.path.write_bytes(_png(BAD[request.param]))
    yield root, ids[0], first, v2.path
    ledger.handled("masks changed behind the index", request.param)


def test_the_window_opens_the_newest_version_that_is_the_one_saved(replaced) -> None:
    root, image_id, first, path = replaced
    with Project.open(root) as project:
        notes: list[str] = []
        doc, fresh = load_document(project, image_id, notes=notes)
        assert fresh == set() and np.array_equal(doc.masks["garment"], first)
        (note,) = notes
        assert str(path) in note and CHANGED in note and "opened at version 1" in note
        edited = doc.masks["garment"].copy()
        edited[0, 0] = 1
        assert project.save_mask(image_id, "garment", edited, edited=True).version == 3
        assert path.is_file()  # the changed file stays, named


def test_export_and_qa_report_list_it(replaced, tmp_path: Path, capsys) -> None:
    root, image_id, _, path = replaced
    with Project.open(root) as project:
        name = project.image(image_id).name
        summary = export_project(project, tmp_path / "out", "plain", task="garment")
    assert summary.count == 1
    ((failed, problem),) = summary.errors
    assert failed == name and str(path) in problem and CHANGED in problem
    assert not (tmp_path / "out" / "masks" / f"{Path(name).stem}.png").exists()
    assert main(["export", str(root), str(tmp_path / "out2"), "--format", "plain", "--task", "garment"]) == 3
    # on stderr the image that failed has a heading (an import's refused file had none: a hand test)
    assert capsys.readouterr().err.startswith(f"1 image could not be exported:\n  {name}: ")
    assert main(["qa-report", str(root), "--task", "garment", "--out", str(tmp_path / "r.html")]) == 3
    err = capsys.readouterr().err
    assert f"{name}: not scored: " in err and CHANGED in err


def test_a_retrain_leaves_it_out_and_names_it(replaced) -> None:
    root, image_id, _, path = replaced
    with Project.open(root) as project:
        selection = select_training_masks(project, "garment")
        assert image_id not in [it.image_id for it in selection.items()]
        ((name, problem),) = selection.unreadable
        assert name == project.image(image_id).name and str(path) in problem and CHANGED in problem
        with pytest.raises(ProjectError, match=r"SHA-256 differs"):
            list(project.training_masks("garment"))


def test_migrate_copies_it_as_it_is_and_says_so(replaced, tmp_path: Path, capsys) -> None:
    root, image_id, first, path = replaced
    report = migrate_project(root, tmp_path / "copy")
    assert report.verified and report.changed == [f"{path}: {CHANGED} from the one the project index recorded)"]
    with open_project(tmp_path / "copy") as copy:  # the recorded hash travels with the bytes
        with pytest.raises(ProjectError, match=r"SHA-256 differs"):
            copy.load_mask(image_id, "garment")
        assert np.array_equal(copy.load_mask(image_id, "garment", 1), first)
    assert main(["migrate", str(root), str(tmp_path / "copy2")]) == 3
    out, err = capsys.readouterr()
    assert "verified" in out and "1 saved file changed since it was saved" in err and str(path) in err


def test_the_model_history_leaves_it_out_and_names_it(tmp_path: Path, write_photo) -> None:
    """Model history scored each proposal against the first saved version's file as found: a
    file replaced by a valid mask of the right size gave a wrong score, silently."""
    from fashion_annotator.qa.model_history import proposal_quality

    with Project.create(tmp_path / "proj", tasks=("garment",), user="alice") as project:
        ids = [project.add_image(write_photo(tmp_path / "src" / f"{i}.png", SHAPE, seed=i)).id for i in range(2)]
        proposal = np.zeros(SHAPE, np.uint8)
        proposal[4:20, 6:22] = 1
        versions = []
        for image_id in ids:
            project.save_proposal(image_id, "garment", proposal, "1")
            versions.append(project.save_mask(image_id, "garment", proposal, status="done"))
        versions[0].path.write_bytes(_png(np.zeros(SHAPE, np.uint8)))
        problems: list[str] = []
        (quality,) = proposal_quality(project, "garment", problems)
        assert quality.n_images == 1 and quality.median == 1.0
        (problem,) = problems
        assert str(versions[0].path) in problem and CHANGED in problem
