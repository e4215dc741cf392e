import numpy as np
import pytest

from fashion_annotator.qa.stats import (
    describe,
    display_range,
    histogram,
    mad_text,
    outlier_mask,
    outlier_threshold,
    score_digits,
    summarize,
    threshold_digits,
)


def test_threshold_is_median_minus_k_mad():
    values = [0.90, 0.92, 0.94, 0.96, 0.98, 0.10]
    # median 0.93, absolute deviations 0.03 0.01 0.01 0.03 0.05 0.83 -> MAD 0.03
    threshold, mad = outlier_threshold(values, k=2.0)
    assert mad == pytest.approx(0.03)
    assert threshold == pytest.approx(0.93 - 0.06)
    assert outlier_mask(values, k=2.0).tolist() == [False] * 5 + [True]


def test_k_is_adjustable():
    values = np.array([0.9, 0.8, 0.85, 0.7, 0.5])
    few = outlier_mask(values, k=3.0).sum()
    many = outlier_mask(values, k=0.5).sum()
    assert few < many
    assert not outlier_mask(values, k=100).any()


def test_nan_scores_are_ignored_and_never_outliers():
    values = [0.9, float("nan"), 0.91, 0.2, 0.92]
    out = outlier_mask(values, k=3.0)
    assert out.tolist() == [False, False, False, True, False]
    assert describe(values).n == 4


def test_summary_with_and_without_outliers():
    values = [0.9, 0.9, 0.92, 0.94, 0.1]
    s = summarize(values, k=3.0)
    assert s.outliers == 1
    assert s.all.n == 5 and s.inliers.n == 4
    assert s.all.mean == pytest.approx(np.mean(values))
    assert s.inliers.mean == pytest.approx(np.mean(values[:4]))
    assert s.inliers.std == pytest.approx(np.std(values[:4]))
    assert s.all.median == pytest.approx(0.9)


def test_empty_scores_give_nan_and_negative_k_is_refused():
    s = summarize([], k=3.0)
    assert s.all.n == 0 and np.isnan(s.all.mean) and np.isnan(s.threshold) and s.outliers == 0
    with pytest.raises(ValueError, match="k must be"):
        outlier_threshold([0.5], k=-1)


def test_histogram_counts_every_finite_score():
    counts, edges = histogram([0.0, 0.05, 0.5, 1.0, float("nan")], bins=10)
    assert counts.sum() == 4
    assert counts[0] == 2 and counts[5] == 1 and counts[-1] == 1
    assert edges[0] == 0.0 and edges[-1] == 1.0


def test_display_range_starts_below_the_lowest_score_or_threshold():
    assert display_range([0.93, 0.97, 0.99]) == pytest.approx((0.9, 1.0))
    assert display_range([0.93, 0.97], threshold=0.81) == pytest.approx((0.8, 1.0))
    assert display_range([0.0, 0.5]) == (0.0, 1.0)
    assert display_range([1.0, 1.0]) == pytest.approx((0.95, 1.0))
    assert display_range([]) == (0.0, 1.0)


def test_tied_perfect_scores_do_not_make_every_other_score_an_outlier():
    accepted = [1.0] * 11  # proposals accepted unchanged: Dice exactly 1
    values = [*accepted, 0.998, 0.995, 0.99, 0.985, 0.98, 0.975, 0.97, 0.96, 0.4]
    threshold, mad = outlier_threshold(values, k=3.0)
    assert mad == pytest.approx(0.01) and threshold == pytest.approx(0.97)
    assert [v for v, o in zip(values, outlier_mask(values, k=3.0), strict=True) if o] == [0.96, 0.4]
    assert not outlier_mask([1.0, 1.0, 0.999], k=3.0).any()


def test_a_floored_mad_says_it_is_the_floor():
    tied = summarize([*([1.0] * 11), 0.998, 0.99, 0.97, 0.4], k=3.0)
    assert tied.mad_floored and tied.mad == pytest.approx(0.01)
    assert mad_text(tied) == "0.010 (the floor: most scores tie)"
    spread = summarize([0.9, 0.93, 0.94, 0.96, 0.98, 0.1], k=2.0)
    assert not spread.mad_floored and mad_text(spread) == f"{spread.mad:.3f}"
    assert mad_text(summarize([])) == "-"


def test_a_score_is_shown_with_the_decimals_that_tell_it_from_the_threshold():
    """A QA hand test: an outlier 0.95605 read "0.956" beside the rule's 0.956 (0.95622)."""
    assert score_digits(0.95605, 0.95622) == 4
    assert score_digits(0.95, 0.95622) == 3 and score_digits(0.95622, 0.95622) == 3
    assert score_digits(0.956220001, 0.95622) == 6, "at most 6"
    assert score_digits(float("nan"), 0.95622) == 3 and score_digits(0.9, float("nan")) == 3
    assert threshold_digits([0.95605, 0.99, float("nan")], 0.95622) == 4
    assert threshold_digits([], 0.95622) == 3
    summary = summarize([0.95605, 0.96, 0.97, 0.98, 0.99], (0.97 - 0.95622) / 0.01)
    assert summary.digits == 4


def test_a_single_scores_floor_is_not_said_to_be_ties():
    """A hand test: with one score the Review's outlier line said "most scores tie"."""
    single = summarize([0.93], k=3.0)
    assert single.mad_floored
    assert mad_text(single) == "0.010 (the floor: one score has no spread)"
    from fashion_annotator.ui.review.summary import summary_html  # the Review tab's line

    line = summary_html(single, "Dice")
    assert "; MAD 0.010 (the floor: one score has no spread)</p>" in line and "tie" not in line
