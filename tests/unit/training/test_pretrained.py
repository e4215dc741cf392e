"""ImageNet weights for the EfficientNet-Lite0 encoder: converted key for key, and they still see clothes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from fashion_annotator.core.images import load_image
from fashion_annotator.models.effunet import EffUNet
from training.pretrained import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    convert,
    imagenet_logits,
    init_from_imagenet,
    load_imagenet,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ccp_small" / "images"
#: ImageNet classes of garments and footwear (miniskirt, jean, cardigan, suit, trench coat, ...).
CLOTHING = {399, 400, 411, 465, 474, 501, 514, 568, 578, 601, 608, 610, 614, 617, 630, 652, 655,
            689, 697, 735, 770, 774, 775, 824, 834, 841, 869}  # fmt: skip


def test_every_encoder_weight_is_loaded_from_the_checkpoint() -> None:
    net = EffUNet(out_ch=2)
    before = {k: v.clone() for k, v in net.encoder.state_dict().items()}
    init_from_imagenet(net)  # strict: a key the conversion missed would raise
    after = net.encoder.state_dict()
    assert set(before) == set(after)
    assert all(not torch.equal(before[k], after[k]) for k in after if k.endswith("weight"))


def test_the_converted_encoder_still_recognises_clothing_in_ccp_photos() -> None:
    net = EffUNet(out_ch=2).eval()
    encoder, classifier = load_imagenet()
    net.encoder.load_state_dict(encoder)
    hits = 0
    photos = sorted(FIXTURE.glob("*.jpg"))[:4]
    for photo in photos:
        rgb = cv2.resize(load_image(photo).rgb, (224, 224), interpolation=cv2.INTER_AREA)
        x = (rgb.astype(np.float32) / 255 - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)
        with torch.no_grad():
            logits = imagenet_logits(net, classifier, torch.from_numpy(x.transpose(2, 0, 1))[None])
        top5 = set(logits[0].topk(5).indices.tolist())
        hits += bool(top5 & CLOTHING)
    assert hits == len(photos), "a garment class among the top 5 ImageNet classes of every street photo"


def test_an_unexpected_checkpoint_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unexpected key '_swish'"):
        convert({"_swish": torch.zeros(1)})
