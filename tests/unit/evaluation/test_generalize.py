"""Off-CCP framings: deterministic, labels transformed with the photo, scoring per framing."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.evaluation.generalize import (
    FRAMINGS,
    IGNORE,
    SCORED_TASKS,
    figure_box,
    reframe,
    score_framings,
)


def figure_photo() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A 400x260 'street' photo with a standing figure: hair, skin, a top, bottoms, shoes."""
    h, w = 400, 260
    rng = np.random.default_rng(0)
    rgb = rng.integers(60, 120, (h, w, 3), dtype=np.uint8)
    parsing = np.zeros((h, w), np.uint8)
    parsing[40:70, 110:150] = 2  # hair
    parsing[70:95, 115:145] = 1  # face
    parsing[95:220, 90:170] = 3  # top
    parsing[220:350, 100:160] = 5  # bottom
    parsing[350:370, 100:160] = 4  # shoes
    colours = {1: (220, 180, 150), 2: (40, 30, 20), 3: (200, 30, 30), 4: (10, 10, 10), 5: (30, 30, 160)}
    for k, c in colours.items():
        rgb[parsing == k] = c
    person = (parsing > 0).astype(np.uint8)
    garment = np.isin(parsing, (3, 4, 5)).astype(np.uint8)
    return rgb, {"person": person, "garment": garment, "parsing7": parsing}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_each_framing_is_deterministic_and_consistent(framing: str) -> None:
    rgb, labels = figure_photo()
    a, la = reframe(rgb, labels, framing, "0001")
    b, lb = reframe(rgb, labels, framing, "0001")
    assert np.array_equal(a, b)
    for task in labels:
        assert la[task].shape == a.shape[:2]
        assert np.array_equal(la[task], lb[task])
    # Every scored task keeps part of the figure in frame.
    for task in SCORED_TASKS[framing]:
        assert (la[task] == 1).any() or (la[task] >= 1).any()


def test_crops_cut_the_legs_and_studio_frames_are_portrait() -> None:
    rgb, labels = figure_photo()
    _, upper = reframe(rgb, labels, "upper_body", "x")
    assert not (upper["parsing7"] == 4).any()  # shoes are out of an upper-body frame
    view, _ = reframe(rgb, labels, "landscape", "x")
    assert view.shape[1] > view.shape[0]
    studio, sl = reframe(rgb, labels, "studio_upper", "x")
    assert studio.shape[:2] == (1152, 768)
    # The backdrop is plain: far from the figure, pixels vary little.
    assert studio[:60, :60].std() < 12
    # The legs leave the bottom of the frame.
    assert (sl["person"][-1] == 1).any()


def test_mannequin_frame_scores_garments_only_and_matches_the_area_range() -> None:
    rgb, labels = figure_photo()
    view, gt = reframe(rgb, labels, "mannequin", "0007")
    assert view.shape[:2] == (1728, 1152)
    assert np.all(gt["person"] == IGNORE)
    share = (gt["garment"] == 1).mean()
    assert 0.02 < share < 0.2
    assert SCORED_TASKS["mannequin"] == ("garment",)


def test_scores_are_perfect_for_an_oracle_and_low_for_an_empty_model() -> None:
    rgb, labels = figure_photo()
    samples = [("a", rgb, labels)]
    framings = ["ccp", "studio_full", "knees_up", "group"]
    truth: dict[int, dict[str, np.ndarray]] = {}

    def oracle(task: str, view: np.ndarray) -> np.ndarray:
        return truth[id(view)][task]

    def capture(task: str, view: np.ndarray) -> np.ndarray:
        return np.zeros(view.shape[:2], np.uint8)

    import fashion_annotator.evaluation.generalize as gen

    real = gen.reframe

    def recording(rgb_, labels_, framing, name="", partner=None):
        view, gt = real(rgb_, labels_, framing, name, partner)
        truth[id(view)] = gt
        return view, gt

    gen.reframe = recording
    try:
        good = score_framings(samples, oracle, {"person": 2, "garment": 2, "parsing7": 7}, framings)
        bad = score_framings(samples, capture, {"person": 2, "garment": 2, "parsing7": 7}, framings)
    finally:
        gen.reframe = real
    for f in framings:
        assert good[f]["person"]["miou"] == pytest.approx(1.0)
        assert good[f]["garment"]["median_dice"] == pytest.approx(1.0)
        assert bad[f]["garment"]["median_dice"] == pytest.approx(0.0)


def test_group_frame_joins_two_people_at_one_height() -> None:
    import cv2

    rgb, labels = figure_photo()
    small = cv2.resize(rgb, (130, 200), interpolation=cv2.INTER_AREA)
    small_labels = {t: v[::2, ::2].copy() for t, v in labels.items()}
    view, gt = reframe(rgb, labels, "group", "0003", partner=(small, small_labels))
    assert view.shape[:2] == (400, 520) and view.shape[1] > view.shape[0]
    n_people, _ = cv2.connectedComponents(gt["person"])
    assert n_people - 1 == 2
    for task, own in labels.items():  # the photo itself is one half, untouched
        halves = (gt[task][:, :260], gt[task][:, 260:])
        assert any(np.array_equal(h, own) for h in halves)
    assert (gt["parsing7"] == 4).sum() == pytest.approx(2 * (labels["parsing7"] == 4).sum(), rel=0.05)
    alone, alone_gt = reframe(rgb, labels, "group", "0003")  # no partner: the photo mirrored
    assert alone.shape[1] == 2 * rgb.shape[1]
    assert (alone_gt["person"] == 1).sum() == 2 * (labels["person"] == 1).sum()


def test_figure_box_of_an_empty_mask_is_the_whole_photo() -> None:
    assert figure_box(np.zeros((10, 20), np.uint8)) == (0, 0, 10, 20)


def test_unknown_framing_is_refused() -> None:
    rgb, labels = figure_photo()
    with pytest.raises(ValueError, match="unknown framing"):
        reframe(rgb, labels, "fisheye")


def test_bench_generalize_scores_the_shipped_models_per_framing(ccp_dir, tmp_path, capsys) -> None:
    import json

    from fashion_annotator.cli import main

    out = tmp_path / "gen.json"
    argv = ["bench", "generalize", "--data", str(ccp_dir), "--limit", "2", "--device", "cpu",
            "--framing", "ccp", "--framing", "studio_upper", "--framing", "mannequin", "--json", str(out)]  # fmt: skip
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 2
    f = result["framings"]
    assert set(f) == {"ccp", "studio_upper", "mannequin"}
    assert 0.5 < f["ccp"]["person"]["miou"] <= 1.0
    assert 0.0 <= f["mannequin"]["garment"]["median_dice"] <= 1.0
    assert "person" not in f["mannequin"]
    assert "studio_upper" in capsys.readouterr().out
    assert result["refine"] is False


def test_bench_generalize_refine_scores_the_masks_as_the_window_shows_them(ccp_dir, tmp_path) -> None:
    import json

    from fashion_annotator.cli import main
    from fashion_annotator.evaluation.generalize import load_labelled, score_framings
    from fashion_annotator.segmentation.pipeline import AgreeingPredictor, propose
    from fashion_annotator.segmentation.proposals import load_predictor

    figures = {}
    for name, flags in (("networks", []), ("shown", ["--refine"])):
        out = tmp_path / f"{name}.json"
        argv = ["bench", "generalize", "--data", str(ccp_dir), "--limit", "2", "--device", "cpu",
                "--framing", "studio_knees", "--json", str(out), *flags]  # fmt: skip
        assert main(argv) == 0
        figures[name] = json.loads(out.read_text())
    assert figures["shown"]["refine"] is True
    networks, shown = (figures[n]["framings"]["studio_knees"] for n in ("networks", "shown"))
    assert shown["parsing7"]["miou"] != networks["parsing7"]["miou"]
    # the same figures as scoring the window's proposal pipeline on the re-framed photos
    models = {t: load_predictor(t, device="cpu") for t in ("person", "garment", "parsing7")}
    models["parsing7"] = AgreeingPredictor(models["parsing7"], {t: models[t] for t in ("garment", "person")})
    direct = score_framings(load_labelled(ccp_dir, "val", 2), lambda t, rgb: propose(rgb, models[t]).mask,
                            {"person": 2, "garment": 2, "parsing7": 7}, ["studio_knees"])  # fmt: skip
    assert direct["studio_knees"]["parsing7"]["miou"] == shown["parsing7"]["miou"]
    assert direct["studio_knees"]["person"]["miou"] == shown["person"]["miou"]


def test_bench_generalize_refuses_an_unknown_framing(ccp_dir, capsys) -> None:
    from fashion_annotator.cli import main

    assert main(["bench", "generalize", "--data", str(ccp_dir), "--framing", "fisheye"]) != 0
    assert "fisheye" in capsys.readouterr().err


@pytest.mark.parametrize("scale", [0.37, 0.5, 1.7, 2.0])
def test_pasted_labels_lie_on_the_pasted_photo(scale: float) -> None:
    # The composites' ground truth must sit where the pasted garment is: a label map resized
    # with top-left sampling lands up to half a pixel down and right of the photo.
    from fashion_annotator.evaluation.generalize import _paste

    yy, xx = np.mgrid[:120, :90]
    disk = (((yy - 61.3) ** 2 + (xx - 44.6) ** 2) < 30**2).astype(np.uint8)
    canvas = np.zeros((400, 400, 3), np.uint8)
    rgb = np.full((120, 90, 3), 255, np.uint8)
    out = _paste(canvas, rgb, disk.astype(np.float32), {"garment": disk}, scale, 13, 17)
    ys, xs = np.mgrid[:400, :400]
    weight = canvas[..., 0].astype(np.float64)
    photo_centre = np.array([(ys * weight).sum(), (xs * weight).sum()]) / weight.sum()
    label = out["garment"].astype(np.float64)
    label_centre = np.array([(ys * label).sum(), (xs * label).sum()]) / label.sum()
    assert np.all(np.abs(label_centre - photo_centre) < 0.15), label_centre - photo_centre


def test_a_class_the_crops_lack_weighs_on_miou_but_not_on_the_gt_classes_mean() -> None:
    from fashion_annotator.evaluation.generalize import FramingScore

    gt = np.zeros((10, 10), np.uint8)
    gt[:, 5:] = 1  # background and skin only: an upper-body crop has no shoes
    pred = gt.copy()
    clean, stray = FramingScore("parsing7", 7), FramingScore("parsing7", 7)
    clean.update(pred, gt)
    pred[0, 0] = 4  # one "shoes" pixel
    stray.update(pred, gt)
    assert clean.figures()["miou"] == pytest.approx(1.0)
    # the stray pixel: shoes IoU 0 counts in miou, a third of the mean of three classes
    assert stray.figures()["miou"] == pytest.approx((49 / 50 + 1.0 + 0.0) / 3)
    assert stray.figures()["miou_gt_classes"] == pytest.approx((49 / 50 + 1.0) / 2)
    assert stray.figures()["pixel_accuracy"] == pytest.approx(0.99)
