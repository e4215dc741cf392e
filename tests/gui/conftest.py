"""Shared GUI fixtures: settings isolated per test, offscreen Qt (set in ``tests/conftest.py``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QSettings

ORG_NAME = "FashionAnnotatorTests"
APP_NAME = "fashion-annotator-tests"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp) -> Iterator[Path]:
    """Point every QSettings of the test at an INI file under ``tmp_path``.

    Yields the folder holding the settings, so a test can check what was written.
    """
    folder = tmp_path / "settings"
    folder.mkdir()
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    yield folder
    # Smart click's model warm-ups end here, cancelled and joined: none runs torch into the next
    # test (or allocates there, running Python's collector in its thread).
    from fashion_annotator.annotate.tools.click_model import stop_warmups

    stop_warmups()
    # Qt objects a test left in reference cycles are destroyed now, in the GUI thread. Left to
    # a later garbage collection, one may be destroyed in a worker thread, where Qt cannot
    # stop its timers, and a timer then fires on freed memory (a segfault two tests later).
    gc.collect()


@pytest.fixture(autouse=True)
def no_modal_stop_question(monkeypatch) -> None:
    """A Retrain dialog closed by a test's teardown while its trainer runs would wait on a
    modal question that nobody answers offscreen: the tests answer "cancel it"."""
    from fashion_annotator.ui.train import training_dialog

    monkeypatch.setattr(training_dialog, "ask_stop_running", lambda parent, message: True)


@pytest.fixture(autouse=True)
def own_work_approved(monkeypatch) -> None:
    """The Review tab asks before a reviewer approves a mask whose latest version they saved;
    the tests' projects save and review under one user name, so they answer Yes (the tests of
    the question answer it themselves: tests/gui/test_review_own_work.py)."""
    from fashion_annotator.ui import prompts

    monkeypatch.setattr(prompts, "ask_approve_own_work", lambda parent, name: True)


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir) -> Path:
    """A project of three CCP photos with cached superpixels (copied per test)."""
    from fashion_annotator.ui.testing import make_template

    return make_template(tmp_path_factory.mktemp("ccp_project"), ccp_dir)


@pytest.fixture(scope="module")
def masks_template(tmp_path_factory, ccp_dir) -> Path:
    """Three CCP photos with their ground-truth parsing7 and garment masks saved (instances
    are proposed from them)."""
    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.core.labels import mapping_from_taxonomies_json
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.testing import make_template

    root = make_template(tmp_path_factory.mktemp("masks_project"), ccp_dir)
    p7 = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    garment = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    with Project.open(root) as project:
        for record in project.images():
            labels = load_mask(ccp_dir / "masks" / f"{record.stem}.png", shape=record.shape)
            project.save_mask(record.id, "parsing7", p7.lut[labels])
            project.save_mask(record.id, "garment", garment.lut[labels])
    return root


@pytest.fixture
def answers():
    """Scripted answers to the window's questions."""
    from fashion_annotator.ui.testing import Answers

    return Answers()


@pytest.fixture
def opened(qtbot, template, tmp_path, answers):
    """A shown main window on a fresh copy of the template, and its project."""
    from fashion_annotator.ui.testing import copy_project, open_window

    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    yield window, project
    window.close()
    project.close()


@pytest.fixture
def default_keys_after(opened):
    """The default keys given back to every command after the test: messages of later tests,
    built without a window, name the operator's keys (:func:`~fashion_annotator.ui.shortcuts.key_name`)."""
    from fashion_annotator.ui.shortcuts import default_keys, set_keys

    yield
    window, _ = opened
    for action in window.actions_by_name.values():
        set_keys(action, default_keys(action))


@pytest.fixture
def loop_project(tmp_path: Path, ccp_dir: Path, ccp_splits):
    """Nine CCP photos with garment masks in the states a retrain tells apart.

    Six ``done`` and one ``in_progress`` mask differ from the recorded proposal (an eroded
    ground truth), one ``done`` mask is the proposal accepted unchanged, and one image is still
    ``new`` with only a proposal.
    """
    import cv2

    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
    from fashion_annotator.dataset.store import Project

    proj = Project.create(tmp_path / "loop", tasks=("garment",))
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    states = ["done"] * 6 + ["in_progress", "unchanged", "new"]
    stems = (ccp_splits["train"] + ccp_splits["val"])[:9]
    for stem, state in zip(stems, states, strict=True):
        record = proj.add_image(ccp_dir / "images" / f"{stem}.jpg")
        gt = apply_mapping(load_mask(ccp_dir / "masks" / f"{stem}.png"), mapping)
        proposal = cv2.erode(gt, np.ones((9, 9), np.uint8))
        proj.save_proposal(record.id, "garment", proposal, "1")
        if state == "unchanged":
            proj.save_mask(record.id, "garment", proposal, status="done")
        elif state != "new":
            proj.save_mask(record.id, "garment", gt, status=state)
    yield proj
    proj.close()


@pytest.fixture(params=["light", "dark"])
def theme(request):
    """Each test in the light and in the dark theme (the system's restored after it)."""
    from PySide6.QtWidgets import QApplication

    from fashion_annotator.ui.theme import apply_theme

    app = QApplication.instance()
    apply_theme(app, request.param)
    yield request.param
    apply_theme(app, "system")


@pytest.fixture
def team_url(pg_url: str, ccp_dir) -> str:
    """A PostgreSQL team project (its URL) with the first two test photos, made by "lead"."""
    from fashion_annotator.dataset.store import create_project
    from fashion_annotator.ui.testing import PHOTOS

    with create_project(pg_url, user="lead") as project:
        for stem in PHOTOS[:2]:
            project.add_image(ccp_dir / "images" / f"{stem}.jpg")
    return pg_url
