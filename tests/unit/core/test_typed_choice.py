"""The item letters typed into a closed drop-down box pick (``core/typed_choice``): a hand test
typed "pan" in the category box for pants and got panties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.core.typed_choice import typed_choice

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def ccp() -> list[str]:
    """The CCP categories in the order the category box lists them."""
    labels = json.loads((FIXTURES / "ccp_small" / "labels.json").read_text(encoding="utf-8"))
    return [labels[key] for key in sorted(labels, key=int)]


def _pick(items: list[str], typed: str, current: int = -1) -> str | None:
    index = typed_choice(items, typed, current)
    return None if index is None else items[index]


@pytest.mark.parametrize(
    ("typed", "picked"),
    [
        ("pan", "pants"),  # both start with "pan": the one fewer letters away
        ("pant", "pants"),
        ("panti", "panties"),
        ("panties", "panties"),
        ("PANTS", "pants"),  # case is not read
        ("sh", "shirt"),  # shirt and shoes tie on length: the first listed
        ("sho", "shoes"),
        ("short", "shorts"),
        ("sw", "sweater"),
        ("sweats", "sweatshirt"),
        ("t", "tie"),
        ("t-", "t-shirt"),
    ],
)
def test_the_item_typed_in_full_else_the_shortest_that_starts_with_the_letters(ccp, typed, picked):
    assert _pick(ccp, typed) == picked


def test_every_item_is_reached_by_typing_it_in_full(ccp):
    assert all(_pick(ccp, name) == name for name in ccp)


def test_an_item_equal_to_the_letters_wins_over_a_shorter_one_that_starts_with_them():
    assert _pick(["tops", "top-coat", "top"], "top") == "top"
    assert _pick(["tops", "top-coat"], "top") == "tops"


def test_a_later_word_is_searched_only_when_no_item_starts_with_the_letters():
    items = ["long dress", "maxi_dress", "dress shirt", "t-shirt", "polo/shirt"]
    assert _pick(items, "dress") == "dress shirt"
    assert _pick(items, "shirt") == "t-shirt"
    assert _pick(items, "ress") is None  # inside a word: not a match


def test_letters_no_item_has_pick_nothing():
    assert typed_choice(["pants", "skirt"], "x") is None
    assert typed_choice(["pants", "skirt"], "") is None
    assert typed_choice([], "p") is None


def test_one_letter_typed_again_steps_on_through_the_items_that_start_with_it(ccp):
    first = ccp.index("sandals")
    assert _pick(ccp, "ss", current=first) == "scarf"
    assert _pick(ccp, "sss", current=ccp.index("scarf")) == "shirt"
    assert _pick(ccp, "ss", current=ccp.index("wedges")) == "sandals"  # wraps round
    assert _pick(["sa", "ssb"], "ss", current=0) == "ssb"  # an item that starts "ss" comes first


@pytest.mark.parametrize(
    ("typed", "picked"),
    [
        ("t s", "t-shirt"),  # the space was dropped: "ts" matched nothing
        ("t shirt", "t-shirt"),
        ("v n", "V neck"),
        ("v-n", "V neck"),  # a hyphen typed matches a space
        ("faux l", "faux leather"),
        ("leather j", "faux leather jacket"),  # a later word, the space read as typed
        ("long_d", "long dress"),
    ],
)
def test_a_space_typed_matches_a_space_or_hyphen_in_the_item(typed, picked):
    items = ["tie", "t-shirt", "V neck", "faux leather", "faux leather jacket", "long dress"]
    assert _pick(items, typed) == picked


def test_an_item_written_as_typed_wins_over_one_with_another_separator():
    assert _pick(["t-shirt", "t shirt"], "t shirt") == "t shirt"
    assert _pick(["t-shirt", "t shirt"], "T-Shirt") == "t-shirt"


def test_separators_alone_pick_nothing():
    assert typed_choice(["t-shirt", " x"], " ") is None
    assert typed_choice(["t-shirt"], "-") is None
