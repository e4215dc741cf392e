"""``bench noc``'s summary: NoC and "never reached" agree on every curve."""

from __future__ import annotations

import json

import numpy as np

from fashion_annotator.evaluation import click_effort, effort


class _Predictor:
    version = "test"

    def set_image(self, rgb: np.ndarray) -> None:
        self.shape = rgb.shape


def test_a_curve_just_short_of_the_threshold_never_reaches_it_in_both_figures(monkeypatch) -> None:
    """A review: "never reached" read the curve rounded to 4 decimals, the NoC the curve itself:
    a photo peaking at IoU 0.89996 counted 20 clicks and yet as reaching 0.90."""
    photos = [effort.GroundTruthPhoto(f"p{i}", np.zeros((4, 4, 3), np.uint8), np.eye(4, dtype=np.uint8))
              for i in range(2)]  # fmt: skip
    curves = iter([[np.float64(0.89996)] * 20, [np.float64(0.91)] + [np.float64(0.96)] * 19])
    monkeypatch.setattr(effort, "iter_dataset", lambda *a, **k: iter(photos))
    monkeypatch.setattr(click_effort, "noc_curve", lambda *a, **k: next(curves))
    out = click_effort.run_noc("data", "garment", _Predictor())
    assert out["noc90"] == (20 + 1) / 2 and out["fail90"] == 0.5
    assert out["noc95"] == (20 + 2) / 2 and out["fail95"] == 0.5
    json.dumps(out)  # numpy scalars (the IoUs are float64) must not reach the JSON
