import numpy as np
import pytest

from fashion_annotator.qa.overlay import (
    AGREE,
    CATEGORIES,
    CONFUSED,
    EXTRA,
    MISSED,
    NONE,
    agreement_labels,
    blend,
    category_counts,
)


def test_every_pixel_gets_its_category():
    saved = np.array([[0, 1, 1, 2, 0]], dtype=np.uint8)
    model = np.array([[0, 1, 0, 1, 3]], dtype=np.uint8)
    labels = agreement_labels(saved, model)
    assert labels.tolist() == [[NONE, AGREE, MISSED, CONFUSED, EXTRA]]
    assert category_counts(labels) == {"agree": 1, "missed": 1, "extra": 1, "confused": 1}


def test_blend_paints_category_colours_and_keeps_the_size():
    rgb = np.full((2, 3, 3), 200, dtype=np.uint8)
    labels = np.array([[NONE, AGREE, MISSED], [EXTRA, CONFUSED, NONE]], dtype=np.uint8)
    out = blend(rgb, labels, alpha=1.0)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert tuple(out[0, 2]) == CATEGORIES[MISSED][2]
    assert tuple(out[1, 0]) == CATEGORIES[EXTRA][2]
    assert tuple(out[0, 0]) == (140, 140, 140)  # untouched pixels are dimmed, not coloured
    with pytest.raises(ValueError, match="differs"):
        blend(rgb, labels[:, :2])
