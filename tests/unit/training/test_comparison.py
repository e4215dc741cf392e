"""What a retrain's comparison figures are, in words (``training.comparison.figures_of``)."""

from __future__ import annotations

from fashion_annotator.segmentation.proposals import default_model_path
from training.comparison import figures_of


def test_parsing_figures_say_they_come_before_the_refinements_and_the_cutout_agreement():
    """A hand test: the dialog's parsing7 figures (one network pass) were neither the window's
    proposals (refined, agreeing with the garment cutout) nor what `evaluate` prints."""
    text = figures_of("parsing7", False, [default_model_path("parsing7")])
    assert text == ("network output, one pass at the training size, before the window's refinements "
                    "and agreement with the garment and person cutouts")  # fmt: skip


def test_garment_figures_as_predicted_still_leave_out_the_refinements():
    text = figures_of("garment", True, [default_model_path("garment")])
    assert text.startswith("each model's network as it predicts (full photos")
    assert text.endswith(", before the window's refinements")
    assert "cutouts" not in text
