"""The Review tab follows the store on the window's poll and on F5: another desktop's saves,
whoever made them (the same operator on two desktops included), show without a full re-read."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.dataset.store import create_project
from fashion_annotator.ui.testing import PHOTOS, Answers, copy_project, drag, open_window


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request, template: Path, tmp_path: Path, ccp_dir: Path) -> str:
    """One project two desktops open: a project folder, or a PostgreSQL project."""
    if request.param == "sqlite":
        return str(copy_project(template, tmp_path / "project"))
    url = request.getfixturevalue("pg_url")
    with create_project(url, user="lead") as project:
        for stem in PHOTOS[:2]:
            project.add_image(ccp_dir / "images" / f"{stem}.jpg")
    return url


@pytest.fixture
def two_desktops(qtbot, shared: str, tmp_path: Path):
    """Two windows of the same operator on one project: ``(a, b)``."""
    a, a_project = open_window(qtbot, shared, tmp_path / "a.ini", Answers())
    b, b_project = open_window(qtbot, shared, tmp_path / "b.ini", Answers())
    yield a, b
    for window, project in ((b, b_project), (a, a_project)):
        window.close()
        project.close()


def _review_row(window, image_id: int):
    return next((r for r in window.review.model.rows() if r.image_id == image_id), None)


def test_a_save_on_the_operators_other_desktop_shows_in_review_on_the_poll(
    qtbot, two_desktops, shared: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another desktop of the same operator saved: the image list moved its row on the poll,
    the Review tab kept the mask unlisted until F5 ("another session" was another user). Where
    the store tells which images changed (a server project) Review reads only their rows."""
    a, b = two_desktops
    b.tabs.setCurrentIndex(1)
    image_id = a.session.image_id
    assert _review_row(b, image_id) is None
    assert not b.queue_refresh.reload(only_if_changed=True)
    drag(a, [(120, 250), (220, 250)])
    assert a.mark_done()
    reads: list = []
    real = b.project.images
    monkeypatch.setattr(b.project, "images", lambda *args, **kw: reads.append(kw.get("ids")) or real(*args, **kw))
    assert b.queue_refresh.reload(only_if_changed=True)
    row = _review_row(b, image_id)
    assert row is not None and row.status == "done" and row.versions == 1
    if "?project=" in shared:  # a project folder cannot tell which rows another connection changed
        assert None not in reads and [image_id] in reads  # no full read of the image list


def test_f5_shows_the_instance_figures_another_desktop_saved(qtbot, masks_template: Path, tmp_path: Path) -> None:
    """The instance panel read its figures when the tab was shown only: F5 (and the poll)
    re-read the statuses, and another desktop's category change stayed unseen."""
    from fashion_annotator.ui.testing import choose_category, instance_of

    root = copy_project(masks_template, tmp_path / "project")
    a, a_project = open_window(qtbot, root, tmp_path / "a.ini", Answers())
    b, b_project = open_window(qtbot, root, tmp_path / "b.ini", Answers())
    try:
        image_id = a.session.image_id
        b.tabs.setCurrentIndex(1)
        panel = b.instance_review
        assert all(r.category_changed == 0 for r in panel.rows)
        choose_category(a, instance_of(a, "dress"), "romper")
        assert a.mark_done()
        b.review.refresh()  # what F5 and the Refresh button call
        row = next(r for r in panel.rows if r.image_id == image_id)
        assert row.category_changed == 1 and row.status == "done"
        assert "category changed vs proposed: 1 " in panel.summary.text()
    finally:
        for window, project in ((b, b_project), (a, a_project)):
            window.close()
            project.close()


def test_a_full_reload_of_the_image_list_does_not_hide_another_desktops_save_from_review(
    qtbot, two_desktops
) -> None:
    """A full reload of the image list (a scoring batch ended: ``ranker.scoresChanged``; a
    background import filled the list) read the token past another desktop's commit without
    refreshing Review: every later poll found the token unchanged and Review kept the old row
    until F5 or a visit of the tab."""
    a, b = two_desktops
    b.tabs.setCurrentIndex(1)
    image_id = a.session.image_id
    assert _review_row(b, image_id) is None
    drag(a, [(120, 250), (220, 250)])
    assert a.mark_done()
    b.reload_queue()  # what ranker.scoresChanged calls, before the poll
    b.queue_refresh.reload(only_if_changed=True)  # the poll
    row = _review_row(b, image_id)
    assert row is not None and row.status == "done" and row.versions == 1


def _instances(project, image_id: int, changed: bool):
    """The instances proposed from the image's parsing mask; ``changed``: the first one's
    category changed (a colleague's edit)."""
    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.instances.derive import propose_instances
    from fashion_annotator.instances.model import Instance, InstanceSet
    from fashion_annotator.instances.schema import load_instance_taxonomy

    parsing = project.load_mask(image_id, "parsing7")
    d = propose_instances(parsing, load_taxonomy("parsing7"), load_instance_taxonomy())
    insts = {k: Instance(k, c, colour="blue") for k, c in enumerate(d.classes, start=1)}
    if changed:
        insts[1].category, insts[1].proposed_category = "romper", "dress"
    return InstanceSet(d.map, insts)


def test_a_decision_shows_the_instance_figures_a_colleague_saved_just_before(
    qtbot, pg_url: str, ccp_dir: Path, tmp_path: Path
) -> None:
    """A colleague changed an image's instances; before the next poll the reviewer decided on
    it: the decision's write made the row's stamp this session's, the poll found no other
    session's commit, and the Instances panel kept the image's old figures until F5."""
    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.core.labels import mapping_from_taxonomies_json
    from fashion_annotator.dataset.store import open_project

    p7 = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    garment = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    with create_project(pg_url, user="lead") as lead:
        for stem in PHOTOS[:2]:
            record = lead.add_image(ccp_dir / "images" / f"{stem}.jpg")
            labels = load_mask(ccp_dir / "masks" / f"{stem}.png", shape=record.shape)
            lead.save_mask(record.id, "parsing7", p7.lut[labels])
            lead.save_mask(record.id, "garment", garment.lut[labels])
            lead.save_instances(record.id, _instances(lead, record.id, changed=False))
    a, a_project = open_window(qtbot, pg_url, tmp_path / "a.ini", Answers())
    try:
        x = next(r.id for r in a_project.images() if r.id != a.session.image_id)
        a.tabs.setCurrentIndex(1)
        panel = a.instance_review
        assert next(r for r in panel.rows if r.image_id == x).category_changed == 0
        with open_project(pg_url, user="bob") as bob:
            bob.save_instances(x, _instances(bob, x, changed=True))
        assert a.review.select_image(x) and a.review.approve_selected()
        row = next(r for r in panel.rows if r.image_id == x)
        assert row.category_changed == 1 and row.status == a_project.image(x).status
    finally:
        a.close()
        a_project.close()
