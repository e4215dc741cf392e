"""Shared fixtures: the CCP photos from ``../shared/datasets/ccp`` and an offscreen Qt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
CCP_DIR = Path(os.environ.get("FA_CCP_DIR", REPO_ROOT.parent / "shared" / "datasets" / "ccp"))


@pytest.fixture(scope="session")
def ccp_dir() -> Path:
    """The CCP plain mask-folder dataset (images/, masks/, labels.json, taxonomies.json)."""
    if not (CCP_DIR / "images").is_dir():
        raise FileNotFoundError(
            f"CCP dataset not found at {CCP_DIR}; set FA_CCP_DIR to its folder"
        )
    return CCP_DIR


@pytest.fixture(scope="session")
def ccp_splits(ccp_dir: Path) -> dict[str, list[str]]:
    """The fixed train/val split: split name -> list of image stems."""
    return json.loads((ccp_dir / "splits.json").read_text())


@pytest.fixture
def disk_click_model(tmp_path: Path):
    """Factory of hand-set click model files (no training): ``make(bias) -> Path``.

    The logit is about ``bias + 20 * (positive disk - negative disk) + 10 * current mask``
    (each map normalised by GroupNorm): a positive click makes its disk foreground, a negative
    click its disk background, the current mask is kept elsewhere, and outside it the sign of
    ``bias`` decides.
    """
    import torch

    from fashion_annotator.models.click import build_click_net, click_meta
    from fashion_annotator.models.weights import save_model

    arch = {"in_ch": 6, "out_ch": 1, "base": 4, "depth": 2, "norm": "group",
            "attention": False, "boundary_head": False}

    def make(bias: float) -> Path:
        net = build_click_net(arch)
        with torch.no_grad():
            for p in net.parameters():
                p.zero_()
            stem, norm = net.stem.body[0], net.stem.body[1]
            stem.weight[0, 4, 1, 1] = 1.0  # stem channel 0 <- positive clicks
            stem.weight[1, 5, 1, 1] = 1.0  # stem channel 1 <- negative clicks
            stem.weight[2, 3, 1, 1] = 1.0  # stem channel 2 <- current mask
            norm.weight.fill_(1.0)
            last, last_norm = net.up[-1].body[0], net.up[-1].body[1]
            skip = last.in_channels - stem.out_channels  # the skip follows the upsampled input
            last.weight[0, skip, 1, 1] = 1.0  # the skip of stem channel 0 passes on
            last.weight[1, skip + 1, 1, 1] = 1.0
            last.weight[2, skip + 2, 1, 1] = 1.0
            last_norm.weight.fill_(1.0)
            net.head.weight[0, 0] = 20.0
            net.head.weight[0, 1] = -20.0
            net.head.weight[0, 2] = 10.0
            net.head.bias.fill_(bias)
        path = tmp_path / f"click{bias:+.0f}.safetensors"
        save_model(path, net, click_meta(arch, (96, 64), click_radius=5))
        return path

    return make
