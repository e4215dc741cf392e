"""Click network helpers: crop geometry, click maps, simulated clicks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from fashion_annotator.models.click import (
    CHANNELS,
    build_click_net,
    click_maps,
    click_meta,
    fit_box,
    load_click_model,
    next_click,
    paste_logits,
    simulated_clicks,
    warp_crop,
)
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import ModelFileError, save_model


def test_fit_box_keeps_the_aspect_and_covers_the_box() -> None:
    box = fit_box(100, 50, 400, 150, (384, 256))
    assert box.height / box.width == pytest.approx(384 / 256)
    assert box.y0 <= 100 and box.y0 + box.height >= 400
    assert box.x0 <= 50 and box.x0 + box.width >= 150
    yx = box.to_crop(np.array([[250.0, 100.0]]))
    np.testing.assert_allclose(yx, [[192.0, 128.0]])


def test_warp_crop_maps_photo_pixels_to_the_crop() -> None:
    photo = np.zeros((600, 400), np.uint8)
    photo[200:300, 100:200] = 255
    box = fit_box(150, 50, 350, 250, (96, 64))
    crop = warp_crop(photo, box)
    y, x = box.to_crop(np.array([[250.0, 150.0]]))[0]
    assert crop[round(y), round(x)] == 255
    assert crop[0, 0] == 0
    small = warp_crop(photo, fit_box(0, 0, 600, 400, (24, 16)))  # shrink > 2x: area path
    assert small.shape == (24, 16) and 0 < small.max()


def test_a_crop_inside_the_photo_reads_the_photo_to_its_last_row_and_column() -> None:
    """A review: the reader stopped at the box's last pixel, so the network's last rows and
    columns (sampled between it and the next) were blended with the zero border although the
    photo goes on there: up to 19 of 384 rows darker on a zoomed crop, in training and in use."""
    photo = np.full((1000, 800, 3), 200, np.uint8)
    rng = np.random.default_rng(0)
    for _ in range(200):
        y0, x0 = rng.uniform(50, 400, 2)
        h, w = rng.uniform(10, 400, 2)
        box = fit_box(y0, x0, y0 + h, x0 + w)
        if box.y0 < 0 or box.x0 < 0 or box.y0 + box.height > 997 or box.x0 + box.width > 797:
            continue
        crop = warp_crop(photo, box)
        assert crop.min() == 200, box


@pytest.mark.parametrize("shape", [(1152, 768), (1728, 1152), (8000, 6000)])
def test_a_shrunk_crop_pasted_back_lands_where_it_was(shape) -> None:
    """Crops shrunk by more than 2x (area-resized first) stay aligned with the photo: a
    rectangle warped into the network's input and pasted back has the same centre (the
    area resize is centre-aligned; corner-aligned maths moved it up-left by (r - 1) / 2 px)."""
    h, w = shape
    mask = np.zeros(shape, np.float32)
    mask[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1
    box = fit_box(0, 0, h, w, (384, 256))
    assert box.scale < 0.5
    region, (y0, y1, x0, x1) = paste_logits(warp_crop(mask, box), box, shape)
    back = np.zeros(shape, np.float32)
    back[y0:y1, x0:x1] = region
    ys, xs = np.mgrid[:h, :w]
    for grid in (ys, xs):
        shift = (back * grid).sum() / back.sum() - (mask * grid).sum() / mask.sum()
        assert abs(shift) < 0.5


def test_click_maps_draw_disks_in_their_channel() -> None:
    maps = click_maps([(10, 10, True), (30, 20, False)], (48, 32), radius=3)
    assert maps.shape == (2, 48, 32)
    assert maps[0, 10, 10] == 1 and maps[1, 10, 10] == 0
    assert maps[1, 30, 20] == 1 and maps[0, 30, 20] == 0
    assert maps[0].sum() == pytest.approx(29)  # lattice points within radius 3


def test_next_click_takes_the_exact_euclidean_peak_as_the_standard_protocol_does() -> None:
    """A review: the 5x5 approximate distance put 170 of 300 simulated clicks off the exact
    peak (RITM's protocol, and this function's docstring, say Euclidean)."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        gt = np.zeros((300, 200), np.uint8)
        for _ in range(3):
            centre = (int(rng.integers(30, 170)), int(rng.integers(30, 270)))
            axes = (int(rng.integers(10, 60)), int(rng.integers(10, 90)))
            cv2.ellipse(gt, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        pred = np.zeros((300, 200), np.uint8)
        cv2.ellipse(pred, (100, 150), (int(rng.integers(20, 80)), int(rng.integers(40, 120))), 0, 0, 360, 1, -1)
        y, x, positive = next_click(pred > 0, gt > 0)
        err = (gt > 0) & ~(pred > 0) if positive else (pred > 0) & ~(gt > 0)
        exact = cv2.distanceTransform(np.pad(err.astype(np.uint8), 1), cv2.DIST_L2, 0)[1:-1, 1:-1]
        assert exact[y, x] == pytest.approx(exact.max())


def test_next_click_goes_to_the_centre_of_the_larger_error() -> None:
    gt = np.zeros((60, 40), bool)
    gt[10:50, 5:35] = True
    pred = np.zeros_like(gt)
    y, x, positive = next_click(pred, gt)
    assert positive and 20 <= y <= 39 and 18 <= x <= 21
    pred = gt.copy()
    pred[0:6, :] = True  # a false-positive strip only
    y, x, positive = next_click(pred, gt)
    assert not positive and y < 6
    assert next_click(gt, gt) is None


def test_simulated_clicks_land_in_the_error_regions() -> None:
    gt = torch.zeros(3, 40, 40, dtype=torch.bool)
    gt[:, 5:35, 5:35] = True
    pred = torch.zeros_like(gt)
    pred[1] = gt[1]
    pred[1, 0:4, :] = True  # sample 1: only a false-positive strip
    pred[2] = gt[2]  # sample 2: exact
    yx, channel = simulated_clicks(pred, gt, generator=torch.Generator().manual_seed(0))
    assert channel.tolist() == [0, 1, -1]
    assert gt[0, yx[0, 0], yx[0, 1]] and not pred[0, yx[0, 0], yx[0, 1]]
    assert pred[1, yx[1, 0], yx[1, 1]] and not gt[1, yx[1, 0], yx[1, 1]]
    yx_det, _ = simulated_clicks(pred, gt, deterministic=True)
    assert abs(int(yx_det[0, 0]) - 19.5) <= 1 and abs(int(yx_det[0, 1]) - 19.5) <= 1


def test_click_model_file_round_trips_and_rejects_a_proposal_model(tmp_path) -> None:
    net = build_click_net({"base": 4, "depth": 2, "attention": False})
    arch = {"in_ch": len(CHANNELS), "out_ch": 1, "base": 4, "depth": 2, "norm": "group",
            "attention": False, "boundary_head": False}
    save_model(tmp_path / "click.safetensors", net, click_meta(arch, (96, 64)))
    loaded = load_click_model(tmp_path / "click.safetensors")
    x = torch.zeros(1, len(CHANNELS), 96, 64)
    assert loaded.module(x).shape == (1, 1, 96, 64)
    proposal = UNet(3, 1, 4, 2)
    meta = {"task": "garment", "classes": ["background", "garment"], "arch": {
        "in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}, "input_size": [96, 64],
        "mean": [0, 0, 0], "std": [1, 1, 1]}
    save_model(tmp_path / "garment.safetensors", proposal, meta)
    with pytest.raises(ModelFileError, match="not a click model"):
        load_click_model(tmp_path / "garment.safetensors")


def test_an_effunet_click_model_round_trips_and_other_architectures_are_refused(tmp_path) -> None:
    arch = {"in_ch": len(CHANNELS), "out_ch": 1, "decoder": [8, 8, 8, 8, 8]}
    net = build_click_net(arch, "effunet")
    save_model(tmp_path / "click.safetensors", net, click_meta(arch, (96, 64), architecture="effunet"))
    loaded = load_click_model(tmp_path / "click.safetensors")
    assert type(loaded.module).__name__ == "EffUNet"
    assert loaded.meta["architecture"] == "effunet"
    x = torch.randn(1, len(CHANNELS), 96, 64)
    torch.testing.assert_close(loaded.module.eval()(x), net.eval()(x))
    with pytest.raises(ValueError, match="click network is one of"):
        build_click_net(None, "instance_net")
    with pytest.raises(ValueError, match="6 inputs and 1 output"):
        build_click_net({"out_ch": 2}, "effunet")
