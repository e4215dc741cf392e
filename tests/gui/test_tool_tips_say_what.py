"""Tool and Refine tips say what a click or drag does, in plain words: a studio head on a trial
week read "Superpixel (S)", "GrabCut edge band" and "Dice vs before 0.986" and learnt nothing,
and Help > Getting started did not say which tool fixes which mistake (a superpixel click
relabelled only a ragged piece of a wrong parsing blob that one Fill click fixed)."""

from __future__ import annotations

from fashion_annotator.ui.about import getting_started_text
from fashion_annotator.ui.help_dialog import mouse_rows
from fashion_annotator.ui.shortcuts import set_keys


def test_every_tool_tip_says_what_a_click_or_drag_does(opened, default_keys_after) -> None:
    window, _ = opened
    superpixel = window.actions_by_name["tool_superpixel"]
    assert superpixel.toolTip() == (
        "Superpixel (S): click a region to give it the selected label; drag to paint whole regions")
    assert superpixel.statusTip() == superpixel.toolTip()
    fill = window.actions_by_name["tool_fill"]
    assert fill.toolTip() == "Fill (F): click a blob of the mask to give all of it the selected label"
    smart = window.actions_by_name["tool_smartclick"].toolTip()
    assert smart.startswith("Smart click (C): left click") and "right-click removes" in smart
    for name in ("brush", "eraser", "polygon", "pick"):
        tip = window.actions_by_name[f"tool_{name}"].toolTip()
        assert tip.split(": ", 1)[1].startswith(("click", "drag")), tip
    set_keys(superpixel, ["Ctrl+Alt+S"])  # another key: the tip names it and still says what
    assert superpixel.toolTip().startswith("Superpixel (Ctrl+Alt+S): click a region")
    assert any("blob under the cursor" in what for what, _ in mouse_rows(window.actions())), "Help (F1) too"


def test_refine_tips_and_message_are_plain_words(opened) -> None:
    window, _ = opened
    tips = {name: window.actions_by_name[name].statusTip() for name in (
        "refine_consensus", "refine_grabcut", "refine_guided")}  # fmt: skip
    assert tips["refine_consensus"].endswith(": give each region the label the model gives most of it; your edits stay")
    assert "thin strip along the mask's edge" in tips["refine_grabcut"]
    assert tips["refine_guided"].endswith(": let the mask's edges follow the colour edges of the photo")
    mask = window.session.current.doc.masks[window.task]
    mask[200:260, 200:260] = 1
    mask[300:302, 300:302] = 1  # an island to clean
    window.actions_by_name["refine_clean"].trigger()
    text = window.status.currentMessage()
    assert "Dice" not in text and "overlap with the mask before 99.9%" in text, text


def test_getting_started_says_which_tool_for_which_job() -> None:
    text = getting_started_text()
    assert "a region of the photo (the backdrop, a sleeve): S superpixel" in text
    assert "a wrongly labelled blob of the mask" in text and "F fill, one click relabels all of it" in text
    assert "edges: B brush or C Smart click" in text
