"""Click inference: crops, paste-back of the changed area only, box prompts, GrabCut, effort."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fashion_annotator.evaluation import click_effort
from fashion_annotator.evaluation.effort import run_effort
from fashion_annotator.models.weights import ModelFileError
from fashion_annotator.segmentation.click_guide import guide_veto, proposed_object
from fashion_annotator.segmentation.clicks import (
    Click,
    ClickPredictor,
    _connected_to,
    _edge_distance,
    enforce_clicks,
)
from fashion_annotator.segmentation.grabcut import (
    MIN_SHRUNK_BOX_PX,
    grabcut_box,
    grabcut_seeded,
    shrunk_box_size,
    surround_busyness,
)


@pytest.fixture
def photo() -> np.ndarray:
    rgb = np.full((600, 400, 3), 120, np.uint8)
    rgb[150:450, 100:300] = (200, 40, 40)
    return rgb


def test_a_missing_or_foreign_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="none.safetensors: model file does not exist"):
        ClickPredictor(tmp_path / "none.safetensors")


def test_the_first_click_sees_the_whole_photo_and_later_ones_a_crop(disk_click_model, photo) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    predictor.set_image(photo)
    empty = np.zeros(photo.shape[:2], bool)
    first = predictor.crop_for(empty, [Click(300, 200, True)])
    assert first.y0 <= 0 and first.y0 + first.height >= 600
    mask = np.zeros_like(empty)
    mask[150:450, 100:300] = True
    crop = predictor.crop_for(mask, [Click(300, 200, True)])
    assert crop.y0 < 150 and crop.y0 + crop.height > 450  # one click: no focus crop yet


def test_paste_back_changes_only_the_crop(disk_click_model, photo, monkeypatch) -> None:
    from fashion_annotator.segmentation import clicks

    monkeypatch.setattr(clicks, "FOCUS_SCALE", 0.5)
    big = cv2.resize(photo, (1152, 1728), interpolation=cv2.INTER_NEAREST)
    predictor = ClickPredictor(disk_click_model(-5.0))
    predictor.set_image(big)
    mask = np.zeros(big.shape[:2], bool)
    mask[300:1500, 200:1000] = True
    clicks = [Click(900, 600, True), Click(400, 300, False)]
    update = predictor.predict(mask, clicks)
    y0, y1, x0, x1 = update.bounds
    outside = np.ones_like(mask)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(update.mask[outside], mask[outside])
    assert (y1 - y0) * (x1 - x0) < mask.size / 2  # a focus crop, not the whole photo
    # The negative click removed the pixels under it: bias -5 everywhere, the disk -20.
    assert not update.mask[400, 300]
    assert update.changed == int((update.mask != mask).sum()) > 0


def test_progressive_merge_keeps_only_changes_near_the_newest_click() -> None:
    diff = np.zeros((50, 50), bool)
    diff[5:10, 5:10] = True
    diff[30:40, 30:40] = True
    kept = _connected_to(diff, Click(35, 35, True), (0, 0), reach=3)
    assert kept[35, 35] and not kept[7, 7]


def test_a_click_on_a_pixel_that_was_right_takes_nothing() -> None:
    """Changes away from the click are never taken, one component or several."""
    far = np.zeros((80, 80), bool)
    far[40:50, 10:40] = True  # an edge sliver 20 px below a click inside the mask
    assert not _connected_to(far, Click(20, 20, True), (0, 0), reach=3).any()
    far[70:75, 70:75] = True  # and a speck
    assert not _connected_to(far, Click(20, 20, True), (0, 0), reach=3).any()
    # the crop's origin: the same change 100 px right of the crop's corner is near the click
    assert _connected_to(far, Click(45, 125, True), (0, 100), reach=3)[45, 25]


def test_box_prompt_adds_nothing_outside_the_box(disk_click_model, photo) -> None:
    predictor = ClickPredictor(disk_click_model(5.0))
    predictor.set_image(photo)
    update, click = predictor.predict_box((140, 90, 460, 310))
    assert click.positive and 140 <= click.y < 460 and 90 <= click.x < 310
    assert update.mask[150:450, 100:300].all()  # bias +5: everything inside is foreground
    assert not update.mask[:140].any() and not update.mask[:, :90].any()
    assert not update.mask[460:].any() and not update.mask[:, 310:].any()


def test_grabcut_from_a_box_finds_a_contrasting_object(photo) -> None:
    gt = np.zeros(photo.shape[:2], bool)
    gt[150:450, 100:300] = True
    found = grabcut_box(photo, (120, 70, 480, 330))
    assert click_effort.iou(found, gt) > 0.9
    assert not found[:120].any()


def test_noc_counts_clicks_to_the_threshold() -> None:
    assert click_effort.noc([0.5, 0.91, 0.96], 0.90) == 2
    assert click_effort.noc([0.5, 0.91, 0.96], 0.95) == 3
    assert click_effort.noc([0.5] * 20, 0.90) == 20


def test_effort_with_clicks_reports_the_click_methods(disk_click_model, tiny_dataset) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    result = run_effort(tiny_dataset, "garment", click_predictor=predictor)
    assert {"clicks", "box_grabcut", "noc"} <= set(result)
    for method in ("clicks", "box_grabcut"):
        assert 1 <= result[method]["median_actions"] <= 60
    assert 1 <= result["noc"]["noc90"] <= result["noc"]["noc95"] <= 20
    assert all(len(row["noc_ious"]) == 20 for row in result["per_image"])
    box = result["box_prompt"]
    assert set(box) == {
        "grabcut_1_action_median_dice",
        "model_1_actions_median_dice",
        "model_2_actions_median_dice",
        "model_3_actions_median_dice",
    }
    assert all(0.0 <= v <= 1.0 for v in box.values())
    json.dumps(result)


def test_box_prompt_curve_scores_grabcut_and_the_model_on_one_box(disk_click_model, photo) -> None:
    gt = np.zeros(photo.shape[:2], bool)
    gt[150:450, 100:300] = True
    predictor = ClickPredictor(disk_click_model(-5.0))
    predictor.set_image(photo)
    curve = click_effort.box_prompt_curve(predictor, photo, gt, clicks=2)
    assert len(curve["grabcut"]) == 1 and len(curve["model"]) == 3
    # the photo's object contrasts with its background: GrabCut from the tight box finds it
    assert curve["grabcut"][0] > 0.9
    # the disk model fills the box and stays inside it
    assert curve["model"][0] > 0.9
    assert all(0.0 <= v <= 1.0 for v in curve["model"])


def test_the_disk_model_follows_its_clicks(disk_click_model, photo) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    predictor.set_image(photo)
    empty = np.zeros(photo.shape[:2], bool)
    first = predictor.predict(empty, [Click(300, 200, True)])
    assert first.mask[300, 200] and not first.mask[50, 50]
    rect = np.zeros_like(empty)
    rect[150:450, 100:300] = True
    second = predictor.predict(rect, [Click(300, 200, False)])
    assert not second.mask[300, 200] and second.mask[170, 120]


def test_bench_noc_cli_writes_the_figures(disk_click_model, tiny_dataset, tmp_path, capsys) -> None:
    from fashion_annotator.cli import main

    out = tmp_path / "noc.json"
    argv = ["bench", "noc", "--data", str(tiny_dataset), "--task", "garment",
            "--click-model", str(disk_click_model(-5.0)), "--json", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["n_images"] == 2 and 1 <= result["noc90"] <= result["noc95"] <= 20
    assert [len(r["ious"]) for r in result["per_image"]] == [20, 20]
    assert result["click_ms_median"] > 0 and result["proposal_prior"] is True
    assert main([*argv[:-2], "--no-proposal", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["proposal_prior"] is False
    capsys.readouterr()
    # A missing model file is an error (exit 1) that names the file, not a usage error (2).
    assert main([*argv[:-2], "--click-model", str(tmp_path / "none.safetensors")]) == 1
    assert "none.safetensors: model file does not exist" in capsys.readouterr().err


def test_bench_noc_guides_the_clicks_with_the_proposal_the_window_shows(
    disk_click_model, tiny_dataset, monkeypatch, capsys
) -> None:
    """The guide is ``pipeline.propose``'s refined mask (what the operator sees), not the raw one."""
    from types import SimpleNamespace

    from fashion_annotator.cli import main
    from fashion_annotator.segmentation import pipeline

    seen: dict = {}

    def fake_run_noc(data, task, predictor, *, propose=None, **kwargs):
        seen["propose"] = propose
        return {"n_images": 0, "noc90": 1.0, "noc95": 1.0, "max_clicks": 20, "fail90": 0.0,
                "fail95": 0.0, "iou_at": {"1": 1.0, "3": 1.0, "5": 1.0}, "click_ms_median": 1.0}

    def fake_propose(rgb, predictor, *, regions=None, **kwargs):
        seen["regions"] = regions
        shown = np.zeros(rgb.shape[:2], np.uint8)
        shown[10:30, 5:25] = 1  # refined: unlike anything the raw network would give
        return SimpleNamespace(mask=shown, raw_mask=np.zeros_like(shown))

    monkeypatch.setattr(click_effort, "run_noc", fake_run_noc)
    monkeypatch.setattr(pipeline, "propose", fake_propose)
    argv = ["bench", "noc", "--data", str(tiny_dataset), "--task", "garment",
            "--click-model", str(disk_click_model(-5.0))]
    assert main(argv) == 0
    capsys.readouterr()
    rgb = np.full((80, 60, 3), 128, np.uint8)
    rgb[20:60, 10:35] = (200, 40, 40)
    guide = seen["propose"](rgb)
    expected = np.zeros((80, 60), bool)
    expected[10:30, 5:25] = True
    np.testing.assert_array_equal(guide, expected)
    # the refinements get the superpixels of the level the window shows
    assert seen["regions"].shape == (80, 60) and seen["regions"].dtype == np.int32


def test_the_shipped_click_model_segments_a_person_from_a_few_clicks(ccp_dir, ccp_splits) -> None:
    """Unguided (no proposal to take or to guide): the standard clicker's clicks from an empty
    mask; five clicks reach most of the person and each photo gains at least 0.1 IoU on the way
    (the shipped model of 2026-12-04 is weaker alone than with a proposal: the window always
    has one for the shipped tasks; training/README.md)."""
    from fashion_annotator.evaluation.effort import iter_dataset

    predictor = ClickPredictor()  # resources/models/click.safetensors
    for photo in iter_dataset(ccp_dir, "person", limit=2):
        gt = photo.gt == 1
        predictor.set_image(photo.rgb)
        curve = click_effort.noc_curve(predictor, gt, max_clicks=5)
        assert curve[-1] > 0.7 and curve[-1] > curve[0] + 0.1


def test_enforce_clicks_flips_a_clicked_pixel_the_logits_got_wrong_and_nothing_far_away() -> None:
    logits = np.full((64, 96), -3.0, np.float32)
    logits[:, 60:] = -0.5  # an uncertain area beside the click
    out = enforce_clicks(logits, np.array([[32.0, 58.0]]), [True], sigma=6.0, margin=1.0)
    assert out[32, 58] == pytest.approx(1.0, abs=1e-4)  # lifted exactly to the margin
    assert out[32, 62] > 0  # the uncertain neighbour flips with it
    assert out[32, 20] == pytest.approx(-3.0)  # far away: untouched
    assert np.array_equal(logits[:, :60], np.full((64, 60), -3.0, np.float32))  # input not modified


def test_enforce_clicks_leaves_obeyed_clicks_and_clicks_outside_the_crop_alone() -> None:
    logits = np.full((32, 32), -4.0, np.float32)
    logits[10, 10] = 5.0
    out = enforce_clicks(logits, np.array([[10.0, 10.0], [-5.0, 40.0], [20.0, 20.0]]),
                         [True, True, False], sigma=[3.0, 3.0, 3.0])
    assert np.array_equal(out, logits)  # the positive click is obeyed, the negative too, one is outside


def test_a_negative_click_removes_an_uncertain_region_under_it() -> None:
    logits = np.full((40, 40), 0.4, np.float32)
    out = enforce_clicks(logits, np.array([[20.0, 20.0]]), [False], sigma=5.0, margin=1.0)
    assert out[20, 20] == pytest.approx(-1.0, abs=1e-4)
    assert (out[15:26, 15:26] < 0).all() and out[0, 0] > 0


def test_edge_distance_measures_the_error_region_half_width() -> None:
    mask = np.zeros((100, 100), bool)
    mask[:, :50] = True
    assert _edge_distance(mask, Click(50, 60, True)) == pytest.approx(10, abs=1.5)
    assert _edge_distance(mask, Click(50, 20, False)) == pytest.approx(30, abs=1.5)
    assert _edge_distance(np.zeros((50, 50), bool), Click(25, 25, True)) == float("inf")


def _grey_square(model: Path) -> tuple[ClickPredictor, np.ndarray]:
    """A predictor on a plain grey 300x200 photo, and a 200x100 square mask in its middle."""
    predictor = ClickPredictor(model)
    predictor.set_image(np.full((300, 200, 3), 128, np.uint8))
    mask = np.zeros((300, 200), bool)
    mask[50:250, 50:150] = True
    return predictor, mask


def test_a_click_in_a_thin_missed_strip_adds_a_thin_strip(disk_click_model) -> None:
    # The hand-set model keeps the mask and makes only the click's disk foreground; the bump
    # adds the rest. A click 3 px from the mask edge must not swallow the photo.
    predictor, mask = _grey_square(disk_click_model(-5.0))
    update = predictor.predict(mask, [Click(150, 153, True)])
    added = update.mask & ~mask
    assert update.mask[150, 153]
    assert added.sum() < 0.02 * mask.size
    assert not update.mask[:40].any() and (update.mask == mask)[:, :45].all()


def test_guide_veto_is_where_the_proposal_is_sure_and_the_click_far() -> None:
    guide = np.zeros((300, 200), bool)
    guide[50:250, 50:150] = True  # depth 0.01 * 300 = 3 px, reach 0.066 * 300 = 19.8 px
    veto = guide_veto(guide, Click(150, 152, True), (0, 300, 0, 200))
    assert veto[150, 190] and veto[10, 10]  # deep outside the proposal, far from the click
    assert not veto[guide].any()  # a positive click may add anything the proposal covers
    assert not veto[150, 153:156].any()  # beside the proposal's edge: not sure
    assert not veto[150, 158]  # sure, but within reach of the click
    negative = guide_veto(guide, Click(150, 100, False), (100, 200, 50, 140))
    assert negative.shape == (100, 90)
    assert negative[0, 10] and not negative[50, 50]  # deep inside and far; the click itself
    assert not negative[:, :3].any() and negative[0, 3]  # within 3 px of the proposal's edge


def test_the_proposal_stops_a_click_from_bleeding_where_it_is_sure(disk_click_model) -> None:
    # A model biased to foreground everywhere: a positive click beside the square would add
    # the whole photo; with the proposal as guide it adds only near the click and the proposal.
    predictor, mask = _grey_square(disk_click_model(30.0))
    click = [Click(150, 155, True)]
    free = predictor.predict(mask, click).mask & ~mask
    guided = predictor.predict(mask, click, guide=mask).mask & ~mask
    assert free.sum() > 0.5 * mask.size
    assert guided[150, 155] and 0 < guided.sum() < 0.05 * mask.size
    from fashion_annotator.segmentation.click_guide import GUIDE_REACH

    ys, xs = np.nonzero(guided)
    near_click = np.hypot(ys - 150, xs - 155) <= GUIDE_REACH * 300 + 0.5
    near_proposal = (xs < 154) & (ys >= 47) & (ys < 253)
    assert (near_click | near_proposal).all()


def test_surround_busyness_separates_a_plain_backdrop_from_a_busy_scene() -> None:
    rng = np.random.default_rng(0)
    plain = np.full((400, 300, 3), 235, np.uint8)
    plain[100:300, 100:200] = (40, 60, 160)
    busy = rng.integers(0, 255, (400, 300, 3), dtype=np.uint8)
    box = (100, 100, 300, 200)
    assert surround_busyness(plain, box) < 1.0
    assert surround_busyness(busy, box) > 50.0
    assert surround_busyness(plain, (0, 0, 400, 300)) == float("inf")  # no ring: not plain


@pytest.mark.parametrize("box", [(0, 0, 600, 400), (-30, -20, 650, 420)])
def test_a_box_over_the_whole_photo_still_finds_the_object(photo, box) -> None:
    """No photo around the box: the photo's rim stands in for the background GrabCut needs
    (it found nothing), and the box prompt does not lean on GrabCut as on a plain backdrop."""
    gt = np.zeros(photo.shape[:2], bool)
    gt[150:450, 100:300] = True
    assert click_effort.iou(grabcut_box(photo, box), gt) > 0.9


def test_grabcut_gives_the_same_mask_for_the_same_box(photo) -> None:
    noisy = np.clip(photo.astype(int) + np.random.default_rng(1).integers(-40, 40, photo.shape), 0, 255)
    rgb = noisy.astype(np.uint8)
    box = (120, 80, 480, 320)
    first = grabcut_box(rgb, box)
    cv2.setRNGSeed(1234)
    assert np.array_equal(grabcut_box(rgb, box), first)


def test_the_box_prompt_follows_grabcut_on_a_plain_backdrop(disk_click_model) -> None:
    # A model that calls everything foreground: on a plain backdrop the box keeps GrabCut's mask.
    rgb = np.full((600, 400, 3), 240, np.uint8)
    rgb[150:450, 100:300] = (180, 30, 30)
    predictor = ClickPredictor(disk_click_model(2.0))
    predictor.set_image(rgb)
    box = (100, 60, 500, 340)
    update, _ = predictor.predict_box(box)
    gc = grabcut_box(rgb, box)
    assert (update.mask == gc).mean() > 0.99


def test_a_positive_click_only_adds_and_a_negative_click_only_removes(disk_click_model) -> None:
    # A model biased to background everywhere would erase the mask around a positive click;
    # the operator asked to add, so nothing is removed.
    predictor, mask = _grey_square(disk_click_model(-30.0))
    added = predictor.predict(mask, [Click(150, 160, True)]).mask
    assert (added >= mask).all() and added[150, 160]
    predictor, _ = _grey_square(disk_click_model(30.0))  # biased to foreground everywhere
    removed = predictor.predict(mask, [Click(150, 100, False)]).mask
    assert (removed <= mask).all() and not removed[150, 100]


def test_a_negative_click_on_an_empty_mask_adds_nothing(disk_click_model) -> None:
    # "Not here" with none of the class in the mask (the first click of a session, or on a
    # class the photo lacks) painted the class wherever the model leaned to foreground: 1,500 px
    # of a 40x40 plain photo, and of a CCP photo, with the shipped model.
    predictor, mask = _grey_square(disk_click_model(30.0))  # biased to foreground everywhere
    empty = np.zeros_like(mask)
    update = predictor.predict(empty, [Click(150, 100, False)])
    assert not update.mask.any() and update.changed == 0


def _dress_on_a_mannequin() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """A red dress over a white mannequin's legs on a plain grey backdrop: photo, dress, legs, box."""
    rgb = np.full((600, 400, 3), 150, np.uint8)
    dress = np.zeros((600, 400), bool)
    dress[120:380, 120:280] = True
    legs = np.zeros((600, 400), bool)
    legs[380:540, 150:190] = legs[380:540, 210:250] = True
    rgb[dress] = (190, 30, 40)
    rgb[legs] = (245, 240, 235)
    return rgb, dress, legs, (100, 100, 560, 300)


def test_seeded_grabcut_fills_what_a_positive_click_asks_for() -> None:
    rgb, dress, legs, box = _dress_on_a_mannequin()
    mask = dress.copy()
    mask[300:] = False  # a first answer that missed the dress's hem
    clicks = [Click(200, 200, True), Click(340, 200, True)]  # the second one on the hem
    out = grabcut_seeded(rgb, mask, box, clicks)
    assert (out & dress).sum() > 0.98 * dress.sum()  # the whole hem: the dress's colour
    assert (out & legs).sum() < 0.02 * legs.sum() and not (out & ~dress & ~legs).any()
    assert not out[:100].any() and not out[:, 300:].any()  # never outside the box
    cv2.setRNGSeed(99)
    assert np.array_equal(grabcut_seeded(rgb, mask, box, clicks), out)
    # nothing left to call foreground (an empty mask, one negative click): nothing to learn
    empty = np.zeros_like(mask)
    assert not grabcut_seeded(rgb, empty, box, [Click(200, 200, False)]).any()


@pytest.mark.parametrize(("shape", "box"), [((4000, 6000), (0, 120, 3.5, 5880)), ((200, 20000), (90, 100, 94, 19900))])
def test_a_box_thin_on_the_shrunk_photo_gives_nothing_and_raises_nothing(shape, box) -> None:
    """A 3.5 px box across a 6000 px photo shrank to 0 rows for GrabCut: cv2.resize raised
    "dsize.empty()" out of the Smart-click tool (the crash dialog)."""
    rgb = np.random.default_rng(0).integers(0, 256, (*shape, 3), np.uint8)
    assert min(shrunk_box_size(box, shape)) < MIN_SHRUNK_BOX_PX
    assert not grabcut_box(rgb, box).any()
    mask = np.zeros(shape, bool)
    mask[int(box[0]) : int(box[2]), int(box[1]) : int(box[3])] = True
    out = grabcut_seeded(rgb, mask, box, [Click((box[0] + box[2]) / 2, shape[1] / 2, True)])
    assert out.shape == shape and not out[int(np.ceil(box[2])) + 1 :].any()


def test_a_click_after_a_box_on_a_plain_backdrop_follows_seeded_grabcut(disk_click_model) -> None:
    rgb, dress, legs, box = _dress_on_a_mannequin()
    predictor = ClickPredictor(disk_click_model(-1.0))  # keeps the mask, adds the click's disk
    predictor.set_image(rgb)
    mask = dress.copy()
    mask[300:] = False
    clicks = [Click(200, 200, True), Click(340, 200, True)]
    hem = dress & ~mask
    plain = predictor.predict(mask, clicks).mask
    seeded = predictor.predict_in_box(mask, clicks, box).mask
    # the change stays inside the focus crop around the click (152 of the hem's 160 columns);
    # a plain click adds only its disk
    assert (seeded & hem).sum() > 0.9 * hem.sum() > 5 * (plain & hem).sum()
    assert (seeded >= mask).all() and (seeded & legs).sum() < 0.02 * legs.sum()
    # a click outside the box is a plain click
    outside = [Click(200, 200, True), Click(580, 390, True)]
    assert np.array_equal(predictor.predict_in_box(mask, outside, box).mask,
                          predictor.predict(mask, outside).mask)  # fmt: skip


def test_the_proposed_object_is_the_whole_proposal_under_a_first_positive_click() -> None:
    proposal = np.zeros((60, 40), bool)
    proposal[10:30, 5:20] = True  # a garment's top
    proposal[40:50, 25:35] = True  # and its shoe: one cutout, both parts
    empty = np.zeros_like(proposal)
    first = Click(15, 10, True)
    obj = proposed_object(proposal, empty, [first])
    assert obj is not None and np.array_equal(obj, proposal)
    assert np.array_equal(proposed_object(proposal, empty, [Click(45, 30, True)]), proposal)
    assert proposed_object(proposal, empty, [Click(15, 10, False)]) is None  # negative
    assert proposed_object(proposal, empty, [Click(5, 35, True)]) is None  # off the proposal
    assert proposed_object(proposal, proposal, [first]) is None  # the mask is not empty
    assert proposed_object(proposal, empty, [first, Click(45, 30, True)]) is None  # a later click
    assert proposed_object(None, empty, [first]) is None
    # the pixel under the pointer: x 4.6 is pixel 5 (the proposal's first column), 19.6 pixel 20
    assert proposed_object(proposal, empty, [Click(15, 4.6, True)]) is not None
    assert proposed_object(proposal, empty, [Click(15, 19.6, True)]) is None


def test_take_makes_the_mask_the_object_and_frames_the_change() -> None:
    mask = np.zeros((60, 40), bool)
    obj = np.zeros_like(mask)
    obj[10:30, 5:20] = True
    obj[40:50, 25:35] = True
    update = ClickPredictor.take(mask, obj)
    assert np.array_equal(update.mask, obj) and update.mask is not obj
    assert update.bounds == (10, 50, 5, 35) and update.changed == int(obj.sum())
    assert update.crop is None  # no network ran
    same = ClickPredictor.take(obj, obj)
    assert same.changed == 0 and same.bounds == (0, 0, 0, 0)


def test_noc_curve_with_a_proposal_starts_from_the_proposed_object(disk_click_model, photo) -> None:
    predictor = ClickPredictor(disk_click_model(-3.0))
    predictor.set_image(photo)
    gt = np.zeros(photo.shape[:2], bool)
    gt[150:450, 100:300] = True
    alone = click_effort.noc_curve(predictor, gt, max_clicks=3)
    helped = click_effort.noc_curve(predictor, gt, max_clicks=3, proposal=gt)
    assert helped[0] == 1.0 > 0.95 > alone[0]  # one click on the proposed object takes it all


def test_the_focus_crop_grows_to_see_a_large_part_the_click_adds() -> None:
    """From the second click on a large object, the crop zooms in around the click; a click in
    a thin missed strip gets the small focus box, one in a large missed part a box wide enough
    to hold that part (FOCUS_REACH times its half-width)."""
    from fashion_annotator.segmentation.clicks import FOCUS_FRACTION, FOCUS_REACH, correction_crop

    size = (384, 256)
    mask = np.zeros((1728, 1152), bool)
    mask[100:1600, 200:950] = True
    thin = mask.copy()
    thin[800:806, 200:950] = False  # a 6-pixel strip missed across the object
    thin_click = Click(803.0, 575.0, True)
    obj = correction_crop(thin, [thin_click], size)
    focus = correction_crop(thin, [Click(300.0, 575.0, True), thin_click], size)
    assert focus.height == pytest.approx(obj.height * FOCUS_FRACTION, rel=0.02)
    big = mask.copy()
    big[800:1000, 200:950] = False  # a 200-pixel band missed: half-width 100
    big_click = Click(900.0, 575.0, True)
    wide = correction_crop(big, [Click(300.0, 575.0, True), big_click], size)
    assert min(wide.height, wide.width) >= 2 * FOCUS_REACH * _edge_distance(big, big_click) * 0.99
    assert wide.height > 1.5 * focus.height


def test_a_box_around_a_garment_the_mask_has_keeps_it_off_the_mannequin(ccp_dir, tmp_path) -> None:
    """A hand test: a box drawn around a well-proposed garment on a mannequin took the
    mannequin's neck, arms and legs (Dice 0.986 -> 0.790). Mannequin composites of the fixture
    photos, the ground truth as the mask, a hand's box (8 % margin): the box keeps the garment."""
    from PIL import Image

    from fashion_annotator.evaluation.studio import make_studio_set

    make_studio_set(ccp_dir, tmp_path / "studio", 4, split="train")
    predictor = ClickPredictor()  # resources/models/click.safetensors
    scores = []
    for path in sorted((tmp_path / "studio" / "images").glob("*.jpg")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        gt = np.asarray(Image.open(tmp_path / "studio" / "masks" / f"{path.stem}.png")) == 1
        y0, x0, y1, x1 = click_effort.gt_box(gt)
        my, mx = 0.08 * (y1 - y0), 0.08 * (x1 - x0)
        box = (max(0.0, y0 - my), max(0.0, x0 - mx), min(gt.shape[0], y1 + my), min(gt.shape[1], x1 + mx))
        predictor.set_image(rgb)
        update, _ = predictor.predict_box(box, gt)
        scores.append(float(click_effort.dice(update.mask, gt)))
    assert min(scores) > 0.97, scores
