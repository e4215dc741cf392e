"""The new / import / export / info subcommands, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project


@pytest.mark.parametrize("command", ["new", "import", "export", "info"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: fashion-annotator {command}" in capsys.readouterr().out


def test_new_import_export_info(tmp_path: Path, write_photo, capsys) -> None:
    photos = tmp_path / "photos"
    for i in range(3):
        write_photo(photos / f"{i}.jpg", seed=i)
    (photos / "bad.jpg").write_bytes(b"")
    proj = tmp_path / "proj"
    assert main(["new", str(proj), "--images", str(photos), "--user", "eve"]) == 3
    captured = capsys.readouterr()
    assert "3 photos added" in captured.out
    assert "bad.jpg: file is empty" in captured.err
    # on stderr the refused file has a heading, as the lists after it do (a hand test: it had none)
    assert captured.err.startswith(f"1 file refused:\n  {photos / 'bad.jpg'}: file is empty"), captured.err

    cutouts = tmp_path / "cutouts"
    cutouts.mkdir()
    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[5:15, 5:20, 3] = 255
    Image.fromarray(rgba, "RGBA").save(cutouts / "1.png")
    assert main(["import", str(proj), str(cutouts), "--format", "alpha", "--user", "eve"]) == 0
    assert "1 mask saved" in capsys.readouterr().out

    assert main(["info", str(proj), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 3
    assert info["status"]["done"] == 1 and info["status"]["new"] == 2
    assert info["tasks"] == {"garment": 1, "parsing7": 0}
    assert main(["info", str(proj)]) == 0
    assert "images: 3" in capsys.readouterr().out

    for fmt in ("plain", "coco", "cutout"):
        assert (
            main(["export", str(proj), str(tmp_path / fmt), "--format", fmt, "--task", "garment"])
            == 0
        )
    assert "1 image exported" in capsys.readouterr().out
    # the one garment mask is done: an export of approved images only leaves it out, writes
    # nothing and says why (exit 1: a script must not take the empty folder for an export)
    assert main(["export", str(proj), str(tmp_path / "approved"), "--format", "plain", "--task", "garment",
                 "--status", "approved"]) == 1  # fmt: skip
    printed = capsys.readouterr()
    assert "0 images exported" in printed.out and "3 images of other statuses" in printed.out
    assert "no image exported: no image has status approved (the project's 3 images: 2 new, 1 done)" in printed.err
    assert main(["export", str(proj), str(tmp_path / "bad"), "--format", "plain", "--status", "finished"]) == 1
    assert "export statuses ['finished']" in capsys.readouterr().err
    out = np.asarray(Image.open(tmp_path / "cutout" / "1.png"))
    # soft edges by default: partly transparent only on the mask's own edge pixels
    np.testing.assert_array_equal(out[..., 3] > 0, rgba[..., 3] > 0)
    assert (out[8:12, 8:17, 3] == 255).all() and (out[5:15, 5:20, 3] < 255).any()
    assert main(["export", str(proj), str(tmp_path / "hard"), "--format", "cutout", "--edges", "hard"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "hard" / "1.png"))[..., 3], rgba[..., 3])
    assert main(["export", str(proj), str(tmp_path / "bad_edges"), "--format", "plain", "--edges", "hard"]) == 1
    assert "plain export takes no edges option" in capsys.readouterr().err
    with Project.open(proj) as project:
        (rec,) = project.images_by_stem("1")
        assert project.mask_versions(rec.id, "garment")[0].user == "eve"


def test_new_refuses_a_dataset_folder_and_leaves_its_files(tmp_path: Path, write_photo, capsys) -> None:
    """`new DATASET --images DATASET/images` made a project over a dataset's own images/ and
    masks/: its first open took every file there for a crash's leftover."""
    data = tmp_path / "mydata"
    write_photo(data / "images" / "0001.jpg")
    (data / "masks").mkdir()
    (data / "masks" / "0001.png").write_bytes(b"a label map")
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    assert main(["new", str(data), "--images", str(data / "images")]) == 1
    err = capsys.readouterr().err
    assert "images/, masks/ already hold files (a dataset?)" in err and "--format plain" in err
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    assert main(["new", str(tmp_path / "proj"), "--images", str(data / "images")]) == 0  # beside it: fine


def test_errors_are_clear_and_change_nothing(tmp_path: Path, write_photo, capsys) -> None:
    write_photo(tmp_path / "photos" / "a.jpg")
    assert main(["info", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "not a project" in err and f"fashion-annotator new {tmp_path / 'nowhere'} --images PHOTOS" in err
    # a folder of photos is told the window's layout (the general advice put a project among the photos)
    assert main(["info", str(tmp_path / "photos")]) == 1
    err = capsys.readouterr().err
    assert "a folder of photos" in err
    assert f"fashion-annotator new {tmp_path / 'photos' / 'annotations'} --images {tmp_path / 'photos'}" in err
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "nope")]) == 1
    assert "nope: not a folder" in capsys.readouterr().err
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "photos")]) == 0
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "photos")]) == 1
    assert "already a project" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "x"), "--format", "plain"]) == 1
    assert "x: not found" in capsys.readouterr().err
    evil = tmp_path / "evil.json"
    evil.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "../../../etc/passwd", "width": 1, "height": 1}],
                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 1, 0, 1, 1]]}],
                "categories": [{"id": 1, "name": "garment"}],
            }
        )
    )
    assert main(["import", str(tmp_path / "p"), str(evil), "--format", "coco"]) == 3
    assert "escapes the source folder" in capsys.readouterr().err
    with Project.open(tmp_path / "p") as project:
        assert len(project.images()) == 1


def test_a_folder_without_photos_is_named_in_a_warning(tmp_path: Path, write_photo, capsys) -> None:
    # An empty project is fine (photos can be added later), but a wrong folder must not read
    # as a successful import: the warning names the folder and what was looked for.
    nested = tmp_path / "shoot"
    write_photo(nested / "day1" / "a.jpg")
    assert main(["new", str(tmp_path / "p"), "--images", str(nested)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {nested}: nothing found to import (photos: " in err
    assert ".jpg" in err and "not in subfolders" in err and "day1: a folder" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    # an import that found nothing is an error (exit 1, "nothing imported"), as the help says
    assert main(["import", str(tmp_path / "p"), str(empty), "--format", "photos"]) == 1
    assert f"fashion-annotator import: error: {empty}: nothing found to import" in capsys.readouterr().err
    write_photo(tmp_path / "photos" / "b.jpg")
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "photos"), "--format", "photos"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_models_lists_versions_and_rolls_back(tmp_path: Path, capsys) -> None:
    """A hand test found no way back from a promoted model but the Python API."""
    import shutil

    from fashion_annotator.resources import resource_path

    weights = tmp_path / "w.safetensors"  # a real model file: activation loads it first
    shutil.copyfile(resource_path("models", "garment.safetensors"), weights)
    shutil.copyfile(resource_path("models", "garment.json"), weights.with_suffix(".json"))
    with Project.create(tmp_path / "p") as project:
        for value, refit in ((0.91, False), (0.93, True)):
            project.register_model("garment", weights, {"median_dice": value, "before_refit": refit},
                                   ["a.jpg"], activate=True)  # fmt: skip
    assert main(["models", str(tmp_path / "p")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[0] == "v1" and lines[2].split()[-1] == "yes"
    assert "median_dice 0.9300, before refit" in lines[2]
    # the columns stay aligned with a "before refit" figure (its row's "active" was shifted)
    assert lines[0].index("active") == lines[2].index("yes") == len(lines[1].rstrip()) + 2
    assert main(["models", str(tmp_path / "p"), "--activate", "1"]) == 0
    with Project.open(tmp_path / "p") as project:
        assert project.active_model("garment").version == 1
    assert main(["models", str(tmp_path / "p"), "--shipped"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "garment: the shipped model proposes"
    assert main(["models", str(tmp_path / "p"), "--activate", "7"]) == 1
    assert "no model version 7 for task 'garment'" in capsys.readouterr().err
    with Project.open(tmp_path / "p") as project:
        assert project.active_model("garment") is None, "a refused change changes nothing"
        damaged = project.models("garment")[1].path
    damaged.write_bytes(b"cut short")  # a version whose file was damaged: every proposal failed
    assert main(["models", str(tmp_path / "p"), "--activate", "2"]) == 1
    assert "version 2 of garment not activated" in capsys.readouterr().err
    with Project.open(tmp_path / "p") as project:
        assert project.active_model("garment") is None


def test_models_refuses_to_activate_a_model_file_of_another_task(tmp_path: Path, capsys) -> None:
    """A code review: a person model copied in by hand as garment's version was activated, and
    the window then proposed nothing for garment, saying nothing."""
    import shutil

    from fashion_annotator.resources import resource_path

    weights = tmp_path / "w.safetensors"  # a real, loadable model file: of the person task
    shutil.copyfile(resource_path("models", "person.safetensors"), weights)
    shutil.copyfile(resource_path("models", "person.json"), weights.with_suffix(".json"))
    with Project.create(tmp_path / "p") as project:
        path = project.register_model("garment", weights, {"median_dice": 0.9}, ["a.jpg"]).path
    assert main(["models", str(tmp_path / "p"), "--task", "garment", "--activate", "1"]) == 1
    assert capsys.readouterr().err.strip().endswith(
        f"version 1 of garment not activated: {path}: the file is a model of task 'person', "
        "not of 'garment'"
    )
    with Project.open(tmp_path / "p") as project:
        assert project.active_model("garment") is None


def test_models_lists_and_rolls_back_click_and_attribute_models(tmp_path: Path, capsys) -> None:
    """A hand test: `models --task instance_attributes` said "no task": the attribute heads
    (and the click model) could not be listed or rolled back from a terminal."""
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"weights")
    with Project.create(tmp_path / "p") as project:
        project.register_model("instance_attributes", weights, {"mean_accuracy": 0.71}, ["a.jpg"], activate=True)
        project.register_model("click", weights, {"noc90": 2.4}, ["a.jpg"], activate=True)
    assert main(["models", str(tmp_path / "p"), "--task", "instance_attributes"]) == 0
    assert "mean_accuracy 0.7100" in capsys.readouterr().out
    assert main(["models", str(tmp_path / "p"), "--task", "click", "--shipped"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "click: the shipped model proposes"
    with Project.open(tmp_path / "p") as project:
        assert project.active_model("click") is None
        assert project.active_model("instance_attributes").version == 1
    # no attribute model ships: rolled back, nothing proposes (it said "the shipped model")
    assert main(["models", str(tmp_path / "p"), "--task", "instance_attributes", "--shipped"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "instance_attributes: no model ships for it: nothing is proposed until one is made active"
    )
    assert main(["models", str(tmp_path / "p"), "--task", "sleeves"]) == 1
    assert "no task 'sleeves'; tasks with models:" in capsys.readouterr().err


def test_an_import_into_a_locked_project_fails_once_instead_of_refusing_every_file(
    tmp_path: Path, write_photo, capsys, monkeypatch
) -> None:
    """Another process writing the index: the import opened read-only and refused each photo
    ("the project is read-only"), a line per file, exit 3."""
    import functools
    import sqlite3

    from fashion_annotator.dataset import schema

    write_photo(tmp_path / "photos" / "a.jpg")
    write_photo(tmp_path / "more" / "b.jpg", seed=1)
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "photos")]) == 0
    capsys.readouterr()
    monkeypatch.setattr(schema, "connect", functools.partial(schema.connect, timeout_s=0.2))
    holder = sqlite3.connect(tmp_path / "p" / "project.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert main(["import", str(tmp_path / "p"), str(tmp_path / "more"), "--format", "photos"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "database is locked" in err and "b.jpg" not in err
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "more"), "--format", "photos"]) == 0


def test_attribute_heads_versions_can_be_activated(tmp_path: Path, capsys) -> None:
    """The activation's load check built attribute heads as a network of their own and refused
    every version (a roll-back of the attribute heads was impossible)."""
    from fashion_annotator.instances.classifier import (
        ATTRIBUTE_TASK,
        AttributeHeads,
        save_attribute_heads,
    )
    from fashion_annotator.instances.schema import load_attribute_schema

    schema = load_attribute_schema()
    group = schema.flat[0][0]
    heads = AttributeHeads(16, {group: sum(1 for g, _ in schema.flat if g == group)})
    weights = tmp_path / "heads.safetensors"
    save_attribute_heads(weights, heads, schema, {"input_size": [224, 224], "version": "x"})
    with Project.create(tmp_path / "p") as project:
        project.register_model(ATTRIBUTE_TASK, weights, {"mean_accuracy": 0.7}, ["a.jpg"], activate=False)
    assert main(["models", str(tmp_path / "p"), "--task", ATTRIBUTE_TASK, "--activate", "1"]) == 0
    with Project.open(tmp_path / "p") as project:
        assert project.active_model(ATTRIBUTE_TASK).version == 1


def test_models_defaults_to_the_projects_first_task(tmp_path: Path, capsys) -> None:
    """An admin's day: `models P` on a parsing18 project said there was no task 'garment'."""
    with Project.create(tmp_path / "p", tasks=("parsing18",)):
        pass
    assert main(["models", str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.strip() == "parsing18: no retrained version; the shipped model proposes"


def test_a_photo_stored_under_a_clash_name_is_not_called_renamed_when_imported_again(
    tmp_path: Path, write_photo, capsys
) -> None:
    """`look-<sha>.jpg` imported again was listed "under another name: the same photo as
    look-<sha>.jpg" (its own name)."""
    write_photo(tmp_path / "a" / "look.png", seed=1)
    write_photo(tmp_path / "b" / "look.png", seed=2)  # another photo of the same name
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path / "a")]) == 0
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "b"), "--format", "photos"]) == 0
    with Project.open(tmp_path / "p") as project:
        clash = next(r for r in project.images() if r.name != "look.png")
    again = tmp_path / "c" / clash.name
    again.parent.mkdir()
    again.write_bytes((tmp_path / "p" / "images" / clash.name).read_bytes())
    capsys.readouterr()
    assert main(["import", str(tmp_path / "p"), str(again.parent), "--format", "photos"]) == 0
    assert "under another name" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["mysql://alice:secret@host/db?project=p", "http://host/p", "s3://bucket/p", "file:///tmp/p"]
)
def test_a_url_of_another_scheme_is_refused_not_made_a_folder(
    url: str, tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A CLI test: ``new mysql://host/db?project=p`` made a local project folder
    ``mysql:/host/db?project=p`` and said it was done (0)."""
    monkeypatch.chdir(tmp_path)
    write_photo(tmp_path / "photos" / "a.jpg", seed=1)
    assert main(["new", "p", "--images", "photos"]) == 0
    capsys.readouterr()
    for argv in (["new", url, "--images", "photos"], ["info", url], ["migrate", url, "copy"],
                 ["migrate", "p", url], ["export", url, "out", "--format", "plain"]):  # fmt: skip
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert f"{url.split('://')[0]}:// is not a project location" in err, err
        assert "secret" not in err, "a password stays out of the message"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "photos"], "no folder made"
