import csv
from html.parser import HTMLParser

from fashion_annotator.qa.decisions import approve, reject
from fashion_annotator.qa.report import CSV_COLUMNS, build_html, histogram_svg, write_csv
from fashion_annotator.qa.scores import score_project


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, list[dict]] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.setdefault(tag, []).append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)

    @classmethod
    def text_of(cls, document: str) -> list[str]:
        parser = cls()
        parser.feed(document)
        return parser.text


def test_csv_lists_rows_worst_first(scored_project, tmp_path):
    project, ids = scored_project
    path = write_csv(score_project(project, "garment"), tmp_path / "t.csv", "Dice", k=1.0)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(r["image_id"]) for r in rows] == [
        ids["disjoint"], ids["half"], ids["same"], ids["unproposed"]
    ]  # fmt: skip
    assert rows[1]["score"] == "0.6667" and rows[3]["score"] == ""
    assert rows[0]["operator"] == "alice" and rows[0]["seconds"] == "90.0"


def test_csv_leaves_an_unscored_rows_outlier_flag_blank(scored_project, tmp_path):
    """An image without a proposal was never judged: its outlier flag is blank, not 0 (a
    spreadsheet's filter outlier = 0 counted it among the good masks)."""
    project, ids = scored_project
    path = write_csv(score_project(project, "garment"), tmp_path / "t.csv", "Dice", k=1.0)
    with path.open(newline="") as fh:
        rows = {int(r["image_id"]): r for r in csv.DictReader(fh)}
    assert (rows[ids["unproposed"]]["score"], rows[ids["unproposed"]]["outlier"]) == ("", "")
    assert rows[ids["same"]]["outlier"] == "0" and rows[ids["disjoint"]]["outlier"] == "1"


def test_html_report_is_self_contained(scored_project):
    project, ids = scored_project
    reject(project, ids["disjoint"], "garment", "model_error", "all wrong")
    document = build_html(project, "garment", score_project(project, "garment"), worst=2)
    parser = Collector()
    parser.feed(document)
    images = parser.tags["img"]
    assert len(images) == 2
    assert all(i["src"].startswith("data:image/jpeg;base64,") for i in images)
    assert "link" not in parser.tags and "script" not in parser.tags
    assert len(parser.tags["svg"]) == 1
    text = " ".join(parser.text)
    assert "Model error" in text and "Outlier rule" in text
    assert "Dice of each saved mask against the proposal the operator was shown" in text
    assert "disjoint.png" in text and "unproposed.png" in text
    n = len(score_project(project, "garment"))
    assert f"from {n} images with a saved mask; 1 without a proposal to compare with are listed but not scored" in text


class ScoresTable(HTMLParser):
    """The cells of the report's table of every image, as text, row by row."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._inside = dict(attrs).get("id") == "scores"
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._inside = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_table_shows_each_decision_its_reason_and_status_names(scored_project):
    """A QA hand test: no decision, no reviewer's text, and status keys ("done") in the table."""
    project, ids = scored_project
    reject(project, ids["disjoint"], "garment", "other", "<b>sleeve</b> & collar lost")
    approve(project, ids["same"], "garment")
    project.set_status(ids["half"], "in_progress")
    document = build_html(project, "garment", score_project(project, "garment"), worst=2)
    assert "<b>sleeve</b>" not in document and "&lt;b&gt;sleeve&lt;/b&gt; &amp; collar" in document
    parser = ScoresTable()
    parser.feed(document)
    header, *rows = parser.rows
    by_name = {r[header.index("Image")]: dict(zip(header, r, strict=True)) for r in rows}
    assert {k: by_name["disjoint.png"][k] for k in ("Status", "Decision", "Reason", "Why")} == {
        "Status": "Rejected", "Decision": "rejected", "Reason": "Other",
        "Why": "<b>sleeve</b> & collar lost",
    }  # fmt: skip
    assert (by_name["same.png"]["Status"], by_name["same.png"]["Decision"]) == ("Approved", "approved")
    assert (by_name["half.png"]["Status"], by_name["half.png"]["Decision"]) == ("In progress", "")
    cards = " ".join(Collector.text_of(document))
    assert "Rejected: Other" in cards and ", done" not in cards


def test_a_report_with_nothing_scored_says_so(project):
    """Found in a QA hand test: the rule line read "MAD = (newline) - 3 x - = <b></b>"."""
    document = build_html(project, "garment", [], worst=2)
    assert "no saved mask scored yet" in document and "<b></b>" not in document


def test_histogram_draws_the_threshold():
    svg = histogram_svg([0.0, 0.9, 0.95], threshold=0.5)
    assert svg.count("<rect") == 21
    assert 'x1="270.0"' in svg  # 40 px margin + half of the 460 px plot


def test_narrow_histogram_bins_are_titled_apart():
    """Bins 0.0075 wide were titled "0.96-0.96" (two decimals), several alike."""
    import re

    svg = histogram_svg([0.85, 0.9, 0.95, 1.0], threshold=0.9)
    titles = re.findall(r"<title>([0-9.]+-[0-9.]+): ", svg)
    assert len(titles) == 20 and len(set(titles)) == 20
    assert all(lo != hi for lo, hi in (t.split("-") for t in titles))


def test_a_missing_photo_leaves_a_card_saying_so_and_the_rest_of_the_report(scored_project):
    """A code review: one photo gone (a folder referenced in place, on a drive since moved)
    stopped the whole report, and the Review tab's HTML export with it."""
    project, ids = scored_project
    project.image_path(ids["disjoint"]).unlink()
    document = build_html(project, "garment", score_project(project, "garment"), worst=3)
    parser = Collector()
    parser.feed(document)
    text = " ".join(parser.text)
    assert "not scored because a file cannot be read: disjoint.png: the photo" in text
    assert "disjoint.png: disjoint.png" not in text
    assert len(parser.tags["img"]) == 2  # the worst images that can be shown still are


def test_a_missing_photo_is_listed_with_its_problem_in_the_csv(scored_project, tmp_path):
    """A re-test: a photo gone from the project left no trace in the CSV (and only a card in
    the HTML when it was among the worst shown)."""
    project, ids = scored_project
    project.image_path(ids["same"]).unlink()
    rows = score_project(project, "garment")
    (gone,) = [r for r in rows if r.image_id == ids["same"]]
    assert "the photo" in gone.problem and "is missing" in gone.problem
    write_csv(rows, tmp_path / "qa.csv", "Dice")
    text = (tmp_path / "qa.csv").read_text()
    assert "same.png" in text and "is missing" in text


def test_the_rule_and_an_outlier_near_it_read_apart(project, tmp_path):
    """A QA hand test: an outlier 0.95605 read "0.956" beside the rule's 0.956 (0.95622)."""
    from fashion_annotator.qa.scores import ImageScore

    values = [0.95605, 0.96, 0.97, 0.98, 0.99]
    rows = [ImageScore(i, f"{i}.png", "garment", "done", "olga", 1.0, 1, 1, 0.0, score=v)
            for i, v in enumerate(values)]  # fmt: skip
    document = build_html(project, "garment", rows, worst=0, k=(0.97 - 0.95622) / 0.01)
    assert "= <b>0.9562</b>; 1 outlier." in document
    parser = ScoresTable()
    parser.feed(document)
    assert [r[2] for r in parser.rows[1:3]] == ["0.9560", "0.9600"]  # 4 decimals: apart already
    assert "outlier threshold 0.9562</title>" in histogram_svg(values, 0.95622)


def test_the_title_names_the_photo_folder_and_the_task_as_the_window_does(tmp_path):
    """A hand test: the report of a project made inside a folder of photos was titled "QA
    report: annotations, task garment" (the store's folder and the task's key), where the window
    says "qa_proj" and "Garment cutout"."""
    from fashion_annotator.dataset.store import Project

    with Project.create(tmp_path / "shoot-0412" / "annotations", tasks=("garment",), user="rita") as project:
        document = build_html(project, "garment", [], worst=2)
    title = next(t for t in Collector.text_of(document) if t.startswith("QA report"))
    assert title == "QA report: shoot-0412, Garment cutout"


def test_operators_kinds_of_bad_ground_truth_are_counted_as_bad_ground_truth(scored_project, tmp_path):
    """A QA hand test: the reasons an operator understands ("Extra area") are counted, in the
    report's table and the CSV's ``reason``, as the category the outlier analysis groups."""
    project, ids = scored_project
    reject(project, ids["disjoint"], "garment", "extra_area", "stand pole")
    reject(project, ids["half"], "garment", "bad_ground_truth")
    scores = score_project(project, "garment")
    document = build_html(project, "garment", scores, worst=2)
    parser = ScoresTable()
    reasons = document[document.index('<table id="reasons"') : document.index("<h2>Throughput")]
    parser.feed(reasons.replace('id="reasons"', 'id="scores"'))
    counts = {r[0].strip(): r[1:] for r in parser.rows[1:]}
    assert counts["Bad ground truth"] == ["2", "2"]
    assert counts["of which Extra area (background, mannequin)"] == ["1", "1"]
    assert counts["of which Missed area"] == ["0", "0"] and counts["Other"] == ["0", "0"]
    text = " ".join(Collector.text_of(document))
    assert "Rejected: Extra area (background, mannequin) — Bad ground truth. Why: stand pole" in text
    assert "(background, mannequin) (Bad ground truth)" not in text, "no doubled parentheses"
    with write_csv(scores, tmp_path / "t.csv", "Dice").open(newline="") as fh:
        rows = {int(r["image_id"]): r for r in csv.DictReader(fh)}
    assert (rows[ids["disjoint"]]["reason"], rows[ids["disjoint"]]["reason_detail"]) == ("bad_ground_truth", "extra_area")
    assert (rows[ids["half"]]["reason"], rows[ids["half"]]["reason_detail"]) == ("bad_ground_truth", "")
    assert (rows[ids["same"]]["reason"], rows[ids["same"]]["reason_detail"]) == ("", "")


def test_reject_reasons_count_every_rejection_made_and_those_still_open(scored_project):
    """A QA hand test: "Missed area" read 0 once 0004 was fixed, so a lead could not follow
    rejection rates; the table counts every rejection made from the decision history, and
    those still open apart."""
    from qa_synth import square

    project, ids = scored_project
    reject(project, ids["disjoint"], "garment", "missed_area", "left sleeve")
    reject(project, ids["half"], "garment", "missed_area")
    reject(project, ids["same"], "garment", "low_contrast")
    approve(project, ids["same"], "garment")  # rejected, then approved: made, not open
    project.save_mask(ids["disjoint"], "garment", square(5, 5, 15, 16), status="done")  # fixed
    document = build_html(project, "garment", score_project(project, "garment"), worst=2)
    parser = TableCells()
    parser.feed(document)
    header, *rows = parser.tables["reasons"]
    assert header == ["Reason", "Rejections made", "Still open"]
    counts = {r[0].strip(): r[1:] for r in rows}
    assert counts["of which Missed area"] == ["2", "1"]
    assert counts["Bad ground truth"] == ["2", "1"]
    assert counts["Low contrast"] == ["1", "0"]
    assert counts["Model error"] == ["0", "0"]


class TableCells(HTMLParser):
    """The cells of each table of the report, by the table's id, row by row."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif self._table is not None and tag == "tr":
            self.tables[self._table].append([])
        elif self._table is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_each_unscored_image_is_listed_with_its_reason_in_the_report_the_csv_and_the_command(
    scored_project, tmp_path, capsys
):
    """qa-report counted the unscored images ("1 without a proposal to compare with") but
    named none nor said why (no proposal shown, or only proposals made after an import): the
    HTML lists them under "Not scored", the CSV's unscored column and the command say why."""
    from qa_synth import add_photo, square

    from fashion_annotator.cli import main
    from fashion_annotator.qa.scores import LATER_ONLY, NONE_SHOWN

    project, ids = scored_project
    imported = add_photo(project, tmp_path / "src", "imported.png", 12)
    project.save_import(imported, "garment", square(5, 5, 15, 15))
    project.save_proposal(imported, "garment", square(5, 5, 15, 15), "test-v2")  # after the import
    project.image_path(ids["half"]).unlink()  # a file that cannot be read: its problem, listed too
    rows = score_project(project, "garment")
    parser = TableCells()
    parser.feed(build_html(project, "garment", rows, worst=2))
    listed = {name: why for name, why in parser.tables["unscored"][1:]}
    assert listed["unproposed.png"] == NONE_SHOWN
    assert listed["imported.png"] == LATER_ONLY
    assert listed["half.png"].startswith("the photo ") and "is missing" in listed["half.png"]
    assert set(listed) == {"unproposed.png", "imported.png", "half.png"}, "scored images are not listed"
    write_csv(rows, tmp_path / "qa.csv", "Dice")
    with (tmp_path / "qa.csv").open(newline="") as fh:
        cells = {r["name"]: r for r in csv.DictReader(fh)}
    assert (cells["imported.png"]["score"], cells["imported.png"]["unscored"]) == ("", LATER_ONLY)
    assert (cells["unproposed.png"]["score"], cells["unproposed.png"]["unscored"]) == ("", NONE_SHOWN)
    assert cells["same.png"]["unscored"] == "" and cells["same.png"]["score"] == "1.0000"
    project.close()
    capsys.readouterr()
    out = tmp_path / "out" / "qa.html"
    assert main(["qa-report", str(project.root), "--out", str(out)]) == 3  # the missing photo
    said = capsys.readouterr().out
    assert f"1 image not scored: {LATER_ONLY}" in said and f"1 image not scored: {NONE_SHOWN}" in said
    written = TableCells()
    written.feed(out.read_text(encoding="utf-8"))
    assert dict(written.tables["unscored"][1:]) == listed
