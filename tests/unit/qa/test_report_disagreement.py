"""The QA report's cutout and parsing disagreement: the Review table flagged images whose saved
garment cutout and parsing mask disagree on more than 1% of the cutout, while the HTML and CSV
report (``qa-report``, the Review tab's export) said nothing of it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
from qa_synth import add_photo, square

from fashion_annotator.cli import main
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.mask_agreement import ReportAgreements, cutout_pair
from fashion_annotator.qa.report import build_html, write_csv
from fashion_annotator.qa.scores import score_project

TOP = load_taxonomy("parsing7").names.index("top")


def _two_images(project: Project, tmp_path: Path) -> None:
    """``agree.png``: the parsing mask's top is the cutout; ``apart.png``: 10 top pixels lie
    outside its 200-pixel cutout (5%); ``cutout_only.png``: no parsing mask saved."""
    agree = add_photo(project, tmp_path / "src", "agree.png", 1)
    project.save_mask(agree, "garment", square(2, 2, 12, 12))
    project.save_mask(agree, "parsing7", square(2, 2, 12, 12, TOP))
    apart = add_photo(project, tmp_path / "src", "apart.png", 2)
    project.save_mask(apart, "garment", square(0, 0, 10, 20))
    parsing = square(0, 0, 10, 20, TOP)
    parsing[10, 0:10] = TOP  # the mannequin stand: top in the parsing mask only
    project.save_mask(apart, "parsing7", parsing)
    alone = add_photo(project, tmp_path / "src", "cutout_only.png", 3)
    project.save_mask(alone, "garment", square(2, 2, 12, 12))


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["name"]: row for row in csv.DictReader(fh)}


def _table_row(document: str, name: str) -> str:
    (row,) = re.findall(rf'<tr class="[^"]*"><td>\d+</td><td class="l">{re.escape(name)}</td>.*?</tr>', document)
    return row


def test_the_command_writes_each_images_disagreement_to_the_csv_and_the_html(project, tmp_path, capsys):
    _two_images(project, tmp_path)
    project.close()
    out, table = tmp_path / "out" / "qa.html", tmp_path / "out" / "qa.csv"
    argv = ["qa-report", str(project.root), "--task", "parsing7", "--out", str(out), "--csv", str(table)]
    assert main(argv) == 0
    assert "1 image whose cutout and parsing masks disagree" in capsys.readouterr().out
    rows = _csv_rows(table)
    assert set(rows) == {"agree.png", "apart.png"}
    assert (rows["apart.png"]["disagreement"], rows["apart.png"]["disagrees"]) == ("0.0500", "1")
    assert (rows["agree.png"]["disagreement"], rows["agree.png"]["disagrees"]) == ("0.0000", "0")
    document = out.read_text(encoding="utf-8")
    assert ("Garment cutout and Parsing masks: 1 of 2 images compared disagree on more than 1% of the "
            "cutout.") in document  # fmt: skip
    assert "<th>Disagreement</th>" in document
    apart = _table_row(document, "apart.png")
    assert ">5.0% (over 1%)</td>" in apart and "10 Parsing pixels of a class that belongs inside" in apart
    assert ">0.0%</td>" in _table_row(document, "agree.png")

    capsys.readouterr()
    assert main(["qa-report", str(project.root), "--task", "garment", "--out", str(out), "--csv", str(table)]) == 0
    rows = _csv_rows(table)
    assert (rows["cutout_only.png"]["disagreement"], rows["cutout_only.png"]["disagrees"]) == ("", "")
    assert rows["apart.png"]["disagrees"] == "1"
    document = out.read_text(encoding="utf-8")
    assert "not compared: no Parsing mask saved</td>" in _table_row(document, "cutout_only.png")
    assert ("1 of 2 images compared disagree on more than 1% of the cutout; 1 image not compared (the "
            "Disagreement column says why).") in document  # fmt: skip


def test_a_project_without_a_parsing_task_says_why_nothing_is_compared(tmp_path):
    with Project.create(tmp_path / "proj", tasks=("garment",), user="alice") as project:
        image_id = add_photo(project, tmp_path / "src", "look.png", 1)
        project.save_mask(image_id, "garment", square(2, 2, 12, 12))
        rows = score_project(project, "garment")
        document = build_html(project, "garment", rows)
        write_csv(rows, tmp_path / "qa.csv", "Dice", agreements=ReportAgreements(project, "garment"))
    assert ("Cutout and parsing masks: not compared (the project has no parsing task with classes to compare "
            "the Garment cutout masks with).") in document  # fmt: skip
    assert _table_row(document, "look.png").endswith("<td></td></tr>")
    row = _csv_rows(tmp_path / "qa.csv")["look.png"]
    assert (row["disagreement"], row["disagrees"]) == ("", "")


def test_a_parsing18_project_compares_its_masks_with_the_garment_cutout(tmp_path, capsys):
    """A hand test: in a project of garment and parsing18, ``qa-report`` said "not compared (the
    project has no garment cutout or parsing task that Garment cutout agrees with)": parsing18's
    proposals agree with no cutout (its spec's ``agrees_with`` is empty), and the check read that
    list."""
    top18 = load_taxonomy("parsing18").names.index("top")
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing18"), user="alice") as project:
        apart = add_photo(project, tmp_path / "src", "apart.png", 2)
        project.save_mask(apart, "garment", square(0, 0, 10, 20))
        parsing = square(0, 0, 10, 20, top18)
        parsing[10, 0:10] = top18  # the mannequin stand: top in the parsing mask only
        project.save_mask(apart, "parsing18", parsing)
        assert cutout_pair(project, "garment") == cutout_pair(project, "parsing18") == ("parsing18", "garment")
    out, table = tmp_path / "out" / "qa.html", tmp_path / "out" / "qa.csv"
    for task in ("garment", "parsing18"):
        capsys.readouterr()
        assert main(["qa-report", str(tmp_path / "proj"), "--task", task, "--out", str(out), "--csv", str(table)]) == 0
        assert "1 image whose cutout and parsing masks disagree" in capsys.readouterr().out
        assert _csv_rows(table)["apart.png"]["disagrees"] == "1"
        document = out.read_text(encoding="utf-8")
        assert "not compared (the project has no" not in document
        assert "Garment cutout and Parsing (18 classes) masks: 1 of 1 image compared disagree" in document


def test_the_narrower_cutout_is_compared_first(tmp_path):
    from fashion_annotator.qa.mask_agreement import compared_cutouts

    with Project.create(tmp_path / "proj", tasks=("person", "garment", "parsing18"), user="alice") as project:
        assert compared_cutouts(project, "parsing18") == ("garment", "person")
        assert cutout_pair(project, "person") == ("parsing18", "person")
        assert cutout_pair(project, "garment") == ("parsing18", "garment")
        assert compared_cutouts(project, "garment") == ()
    with Project.create(tmp_path / "p7", tasks=("person", "garment", "parsing7"), user="alice") as project:
        assert compared_cutouts(project, "parsing7") == ("garment", "person"), "the spec's agrees_with order"
    with Project.create(tmp_path / "alone", tasks=("parsing18",), user="alice") as project:
        assert ReportAgreements(project, "parsing18").not_compared == (
            "the project has no cutout task the Parsing (18 classes) masks can be compared with (the garment or "
            "person cutout, with a parsing task of shipped classes)")  # fmt: skip


def test_the_masks_the_scoring_read_are_not_read_again(project, tmp_path, monkeypatch):
    _two_images(project, tmp_path)
    reads: list[tuple[int, str]] = []
    load_mask = project.load_mask

    def counted(image_id: int, task: str, *args, **kwargs) -> np.ndarray | None:
        reads.append((image_id, task))
        return load_mask(image_id, task, *args, **kwargs)

    monkeypatch.setattr(project, "load_mask", counted)
    agreements = ReportAgreements(project, "parsing7")
    rows = score_project(project, "parsing7", read_mask=agreements.note)
    figures = agreements.figures(r.image_id for r in rows)
    assert sorted(round(f.share, 3) for f in figures.values()) == [0.0, 0.05]
    assert sorted(task for _, task in reads) == ["garment", "garment", "parsing7", "parsing7"]
    assert len(set(reads)) == 4, "each mask read once: the parsing masks by the scoring alone"
    reads.clear()
    build_html(project, "parsing7", rows, agreements=agreements)
    assert not [task for _, task in reads if task == "parsing7"]
