import pytest
from qa_synth import add_photo, save_as_the_window, square

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.throughput import throughput


def test_images_per_hour_per_operator_and_task(project, tmp_path):
    a = add_photo(project, tmp_path, "a.png", 0)
    b = add_photo(project, tmp_path, "b.png", 1)
    c = add_photo(project, tmp_path, "c.png", 2)
    mask = square(2, 2, 10, 10)
    # each version stores the image's running totals
    project.save_mask(a, "garment", mask, seconds=600, actions=10)
    project.save_mask(a, "garment", mask, seconds=900, actions=15)  # a second pass, same image
    project.save_mask(b, "garment", mask, seconds=900, actions=20)
    project.save_mask(c, "garment", mask, source="import")  # no effort: left out
    with Project.open(project.root, user="bob") as bob:
        bob.save_mask(c, "garment", mask, seconds=120, actions=3)
        bob.save_mask(c, "parsing7", square(2, 2, 10, 10, label=3), seconds=480, actions=12)
    rows = {(t.operator, t.task): t for t in throughput(project)}
    assert set(rows) == {("alice", "garment"), ("bob", "garment"), ("bob", "parsing7")}
    alice = rows[("alice", "garment")]
    assert (alice.images, alice.saves, alice.actions) == (2, 3, 35)
    assert alice.hours == pytest.approx(0.5)
    assert alice.images_per_hour == pytest.approx(4.0)
    assert alice.seconds_per_image == pytest.approx(900.0)
    assert rows[("bob", "garment")].images_per_hour == pytest.approx(30.0)
    assert rows[("bob", "parsing7")].images_per_hour == pytest.approx(10.0)
    assert rows[("bob", "parsing7")].actions == 9
    assert [t.task for t in throughput(project, ["parsing7"])] == ["parsing7"]


def test_an_operator_is_credited_the_effort_of_his_own_save(project, tmp_path):
    image_id = add_photo(project, tmp_path, "a.png", 0)
    mask = square(2, 2, 10, 10)
    project.save_mask(image_id, "garment", mask, seconds=60.0, actions=10, edited=True)
    project.save_mask(image_id, "parsing7", mask, seconds=60.0, actions=10, edited=True)
    with Project.open(project.root, user="bob") as bob:
        save_as_the_window(bob, image_id, tmp_path / "journal", seconds=5.0)  # one edit in 5 s
        rows = {(t.operator, t.task): t for t in throughput(bob)}
    bob_garment = rows[("bob", "garment")]
    assert (bob_garment.saves, bob_garment.actions) == (1, 1)
    assert bob_garment.hours * 3600 == pytest.approx(5.0)
    assert rows[("alice", "garment")].hours * 3600 == pytest.approx(60.0)
    assert rows[("alice", "parsing7")].actions == 10, "a save of two tasks credits each task"


def test_a_reworked_image_counts_as_worked_on_for_both_and_as_latest_for_one(project, tmp_path):
    """A QA hand test: alice showed 4 images though only 3 latest versions were hers (bob
    reworked 0004), and the rows added up to one more image than there are masks. An image
    counts as worked on for each operator who saved it; ``latest`` counts it once, for the
    operator whose version is its latest, and adds up to the masks."""
    from fashion_annotator.qa.report import build_html
    from fashion_annotator.qa.scores import score_project

    mask = square(2, 2, 10, 10)
    ids = [add_photo(project, tmp_path, f"000{i}.png", i) for i in range(1, 6)]
    for n, image_id in enumerate(ids[:4]):
        project.save_mask(image_id, "garment", mask, seconds=60.0 * (n + 1), actions=n + 1)
    with Project.open(project.root, user="bob") as bob:
        bob.save_mask(ids[3], "garment", square(2, 2, 10, 11), seconds=400.0, actions=9)  # rework
        bob.save_mask(ids[4], "garment", mask, seconds=30.0, actions=2)
    rows = {t.operator: t for t in throughput(project, ["garment"])}
    assert (rows["alice"].images, rows["alice"].latest) == (4, 3)
    assert (rows["bob"].images, rows["bob"].latest) == (2, 2)
    assert sum(t.latest for t in rows.values()) == len(ids)
    document = build_html(project, "garment", score_project(project, "garment"), worst=0)
    table = document[document.index('<table id="throughput"'):]
    assert "<th>Images worked on</th>" in table and "<th>Latest version theirs</th>" in table
    assert '<td class="l">alice</td><td class="l">garment</td><td>4</td><td>3</td>' in table
