"""``fashion-annotator qa-report`` on a project of real CCP photos with known proposals."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from fashion_annotator.cli import main
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, load_mapping
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import reject
from fashion_annotator.qa.scores import score_project

pytestmark = pytest.mark.slow
N_IMAGES = 6


def degrade(mask: np.ndarray, erosion: int, drop_half: bool) -> np.ndarray:
    """Erode the garment by ``erosion`` pixels and optionally drop its right half."""
    out = ndimage.binary_erosion(mask != 0, iterations=erosion) if erosion else mask != 0
    if drop_half:
        cols = np.flatnonzero(out.any(axis=0))
        if cols.size:
            out[:, (cols[0] + cols[-1]) // 2 :] = False
    return out.astype(np.uint8)


class Tables(HTMLParser):
    """Collects the rows of every table by id, and the image sources."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def ccp_project(ccp_dir: Path, ccp_splits, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("qa") / "ccp"
    mapping = load_mapping("ccp", "garment")
    with Project.create(root, tasks=("garment",), user="olga") as project:
        for i, stem in enumerate(ccp_splits["val"][:N_IMAGES]):
            record = project.add_image(ccp_dir / "images" / f"{stem}.jpg")
            truth = apply_mapping(load_mask(ccp_dir / "masks" / f"{stem}.png"), mapping)
            proposal = degrade(truth, erosion=2 * i, drop_half=i == N_IMAGES - 1)
            project.save_proposal(record.id, "garment", proposal, "degraded")
            project.save_mask(record.id, "garment", truth, seconds=40.0 + i, actions=3 + i)
            project.set_status(record.id, "done")
        reject(project, record.id, "garment", "model_error", "right half missing")
    return root


def test_html_report_from_ccp_photos(ccp_project: Path, tmp_path: Path, capsys):
    out, table = tmp_path / "report.html", tmp_path / "report.csv"
    code = main(["qa-report", str(ccp_project), "--out", str(out), "--worst", "3",
                 "--csv", str(table)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "6 images" in capsys.readouterr().out
    parser = Tables()
    parser.feed(out.read_text(encoding="utf-8"))
    rows = parser.tables["scores"][1:]
    assert len(rows) == N_IMAGES
    with Project.open(ccp_project) as project:
        expected = sorted(score_project(project, "garment"), key=lambda s: s.score)
        names = [r.name for r in expected]
    assert [r[1] for r in rows] == names
    assert [float(r[2]) for r in rows] == pytest.approx([s.score for s in expected], abs=1e-4)
    assert rows[0][1] == names[0] and rows[0][-5:-1] == ["Rejected", "rejected", "Model error", "right half missing"]
    assert rows[0][-1] == "", "a garment-only project: no cutout and parsing disagreement"
    assert float(rows[-1][2]) == 1.0  # the undegraded proposal
    assert len(parser.images) == 3 and all(
        s.startswith("data:image/jpeg;base64,") for s in parser.images
    )
    reasons = {r[0]: r[1:] for r in parser.tables["reasons"][1:]}
    assert reasons["Model error"] == ["1", "1"] and reasons["Low contrast"] == ["0", "0"]
    summary = parser.tables["summary"]
    assert summary[1][1] == str(N_IMAGES)
    assert parser.tables["throughput"][1][:3] == ["olga", "garment", str(N_IMAGES)]
    with table.open(newline="") as fh:
        assert [r["name"] for r in csv.DictReader(fh)] == names


def test_bad_project_and_task_are_reported(tmp_path: Path, ccp_project: Path, capsys):
    assert main(["qa-report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.html")]) == 1
    assert "not a project" in capsys.readouterr().err
    code = main(
        ["qa-report", str(ccp_project), "--out", str(tmp_path / "x.html"), "--task", "parsing7"]
    )
    assert code == 1 and "no task 'parsing7'" in capsys.readouterr().err
    for args in (["--out", str(ccp_project / "project.sqlite")],
                 ["--out", str(tmp_path / "y.html"), "--csv", str(ccp_project / "images" / "x.csv")]):  # fmt: skip
        assert main(["qa-report", str(ccp_project), *args]) == 1
        assert "inside the project" in capsys.readouterr().err
    assert (ccp_project / "project.sqlite").read_bytes()[:16] == b"SQLite format 3\x00", "the index was not replaced"
    assert not (tmp_path / "y.html").exists() and not (ccp_project / "images" / "x.csv").exists()
    assert main(["qa-report", str(ccp_project), "--out", str(tmp_path / "ok.html")]) == 0, "the project still opens"
    assert main(["qa-report", str(ccp_project), "--out", str(tmp_path / "z"), "--csv", str(tmp_path / "z")]) == 1
    assert "--csv and --out name the same file" in capsys.readouterr().err


def test_a_mask_that_cannot_be_read_is_named_and_the_report_is_partial(ccp_project: Path, tmp_path: Path, capsys):
    """Found in a QA hand test: the report said the damaged masks had no proposal, the CSV
    named nothing, and the command exited 0."""
    with Project.open(ccp_project) as project:
        record = project.images()[0]
        path = project.mask_versions(record.id, "garment")[-1].path
    path.write_bytes(b"not a png")
    out, table = tmp_path / "report.html", tmp_path / "report.csv"
    assert main(["qa-report", str(ccp_project), "--out", str(out), "--csv", str(table)]) == 3
    err = capsys.readouterr().err
    assert f"{record.name}: not scored: " in err and str(path) in err
    text = out.read_text(encoding="utf-8")
    assert "1 image not scored because a file cannot be read" in text
    assert "without a proposal" not in text
    with table.open(newline="") as fh:
        (damaged,) = [r for r in csv.DictReader(fh) if r["problem"]]
    assert damaged["name"] == record.name and str(path) in damaged["problem"]
