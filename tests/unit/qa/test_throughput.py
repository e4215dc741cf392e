import pytest
from qa_synth import add_photo, square

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.throughput import throughput


def test_images_per_hour_per_operator_and_task(project, tmp_path):
    a = add_photo(project, tmp_path, "a.png", 0)
    b = add_photo(project, tmp_path, "b.png", 1)
    c = add_photo(project, tmp_path, "c.png", 2)
    mask = square(2, 2, 10, 10)
    project.save_mask(a, "garment", mask, seconds=600, actions=10)
    project.save_mask(a, "garment", mask, seconds=300, actions=5)  # a second pass, same image
    project.save_mask(b, "garment", mask, seconds=900, actions=20)
    project.save_mask(c, "garment", mask, source="import")  # no effort: left out
    with Project.open(project.root, user="bob") as bob:
        bob.save_mask(c, "garment", mask, seconds=120, actions=3)
        bob.save_mask(c, "parsing7", square(2, 2, 10, 10, label=3), seconds=360, actions=9)
    rows = {(t.operator, t.task): t for t in throughput(project)}
    assert set(rows) == {("alice", "garment"), ("bob", "garment"), ("bob", "parsing7")}
    alice = rows[("alice", "garment")]
    assert (alice.images, alice.saves, alice.actions) == (2, 3, 35)
    assert alice.hours == pytest.approx(0.5)
    assert alice.images_per_hour == pytest.approx(4.0)
    assert alice.seconds_per_image == pytest.approx(900.0)
    assert rows[("bob", "garment")].images_per_hour == pytest.approx(30.0)
    assert rows[("bob", "parsing7")].images_per_hour == pytest.approx(10.0)
    assert [t.task for t in throughput(project, ["parsing7"])] == ["parsing7"]
