"""Soft cutout edges: partial alpha on the mask's own edge pixels, decided by the photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from fashion_annotator.core.guided import SOFT_EDGE_PX, soft_edge_alpha
from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import mapping_from_taxonomies_json


def test_soft_edges_are_on_the_masks_own_edge_pixels_of_a_real_photo(ccp_dir: Path) -> None:
    rgb = load_image(ccp_dir / "images" / "0019.jpg").rgb
    lut = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment").lut
    garment = lut[load_mask(ccp_dir / "masks" / "0019.png", shape=rgb.shape[:2])] == 1
    alpha = soft_edge_alpha(rgb, garment)
    assert alpha.dtype == np.uint8 and alpha.shape == garment.shape
    np.testing.assert_array_equal(alpha > 0, garment)  # an alpha import gives the mask back
    kernel = np.ones((2 * SOFT_EDGE_PX + 1,) * 2, np.uint8)
    deep = cv2.erode(garment.view(np.uint8), kernel) > 0
    assert (alpha[deep] == 255).all()  # opaque away from the edge
    edge = alpha[garment & ~deep]
    # the photo decides: most edge pixels fade, not one flat value
    assert (edge < 255).mean() > 0.3 and len(np.unique(edge)) > 50
    np.testing.assert_array_equal(soft_edge_alpha(rgb, garment, 0), np.where(garment, 255, 0))


def test_soft_edges_of_an_empty_a_full_and_a_tiny_mask() -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    empty = np.zeros((40, 30), bool)
    assert not soft_edge_alpha(rgb, empty).any()
    assert (soft_edge_alpha(rgb, ~empty) == 255).all()
    dot = empty.copy()
    dot[20, 15] = True
    alpha = soft_edge_alpha(rgb, dot)
    assert alpha[20, 15] >= 1 and np.count_nonzero(alpha) == 1
