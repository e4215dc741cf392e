"""Round, distinct x-axis ticks of the Review tab's score histogram (no widget needed)."""

from __future__ import annotations

import math

import pytest

from fashion_annotator.qa.stats import axis_ticks


def test_ticks_of_a_narrow_range_are_round_distinct_and_evenly_spaced() -> None:
    ticks = axis_ticks(0.95, 1.0)
    assert [text for _, text in ticks] == ["0.95", "0.96", "0.97", "0.98", "0.99", "1.00"]
    assert all(float(text) == pytest.approx(value) for value, text in ticks)
    steps = {round(b - a, 9) for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False)}
    assert steps == {0.01}


@pytest.mark.parametrize(
    ("lo", "hi", "max_ticks"),
    [(0.0, 1.0, 6), (0.95, 1.0, 4), (0.9, 1.0, 4), (0.85, 1.0, 6), (0.35, 1.0, 6), (0.5, 1.0, 3)],
)
def test_ticks_lie_inside_the_range_on_a_nice_step(lo: float, hi: float, max_ticks: int) -> None:
    ticks = axis_ticks(lo, hi, max_ticks)
    values = [value for value, _ in ticks]
    labels = [text for _, text in ticks]
    assert 2 <= len(ticks) <= max_ticks
    assert len(set(labels)) == len(labels)
    assert all(lo - 1e-9 <= v <= hi + 1e-9 for v in values)
    step = values[1] - values[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 2.5, 5)), step
    assert all(b - a == pytest.approx(step) for a, b in zip(values, values[1:], strict=False))
    assert all(float(text) == pytest.approx(value) for value, text in ticks)


def test_a_quarter_step_gets_a_third_decimal() -> None:
    labels = [text for _, text in axis_ticks(0.9, 1.0, 5)]
    assert labels == ["0.900", "0.925", "0.950", "0.975", "1.000"]


def test_degenerate_ranges() -> None:
    assert axis_ticks(math.nan, 1.0) == []
    assert axis_ticks(1.0, 0.5) == []
    assert axis_ticks(0.5, 0.5) == [(0.5, "0.5")]
