"""The ``bench`` subcommands' ``--help``: a one-line description of each and the defaults."""

from __future__ import annotations

import argparse
import copy

#: What each benchmark measures, the first line of its ``--help``.
DESCRIPTIONS: dict[str, str] = {
    "superpixels": "Score the superpixel hierarchy per level (ASA, boundary recall, regions) on a "
    "split of a mask folder, and time it on a 1152x1728 photo against the skimage RAG route.",
    "refine": "Score a model's raw proposals and each refinement (and each --chain of them) "
    "against a mask folder's labels.",
    "effort": "Simulate an operator correcting each photo: actions with the tool, without a model "
    "and with labelme-style polygons (--clicks: with clicks and box + GrabCut too).",
    "noc": "Count the click model's clicks to IoU 0.90 / 0.95 (NoC@90, NoC@95) on a binary "
    "task's photos.",
    "ui": "Measure the window's responsiveness: a brush stroke's repaint and an image switch.",
    "startup": "Time the launch of the window to its window, first photo, brush stroke and first "
    "proposal (medians of --runs launches).",
    "first-click": "Time a fresh process's first Smart click, with and without the click model's "
    "warm-up.",
    "save": "Time the store's durable mask save against encoding the PNG alone.",
    "infer": "Time each shipped model (or --model) on a 1152x1728 photo, resizing included: the "
    "mask, and the full-resolution probabilities.",
    "instances": "Time the instance proposals and their categories on a 1152x1728 photo.",
    "team": "Run N simulated operator processes on one project, some of them killed: save "
    "latency, lost saves, double claims.",
    "generalize": "Score the models on a mask folder's photos re-framed as studio, web and "
    "mannequin photos.",
    "loop": "Simulate a team's rounds: correct photos, retrain, score the rest, figures per round.",
    "studio": "Write CCP photos re-framed as studio photos, with their masks, as a plain mask "
    "folder.",
    "selection": "Time the Retrain dialog's count of a project's masks (those a retrain would use).",
    "huge": "Time superpixels, the window's proposal (on a copy and at full resolution) and Smart clicks on a very large photo.",
    "overlay": "Time showing a very large label mask (a task switch) and painting it: the colour "
    "table against recolouring the mask into an ARGB buffer.",
}


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that names each option's default, as :class:`argparse.ArgumentDefaultsHelpFormatter`
    does, but not where there is none to name (None, False, nothing) or its help names it."""

    def _format_action(self, action: argparse.Action) -> str:
        if not (action.help and action.help.strip()) and _named_default(action):
            action = copy.copy(action)  # an option without help: its default alone
            action.help = "default: %(default)s"
        return super()._format_action(action)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or not _named_default(action):
            return text
        return f"{text} (default: %(default)s)"


def _named_default(action: argparse.Action) -> bool:
    """Whether ``action`` is an option whose default says something (a value, not None, False
    or an empty list)."""
    default = action.default
    if not action.option_strings or default is None or default is argparse.SUPPRESS:
        return False
    return not (default is False or (isinstance(default, list | tuple) and not default))


def describe(sub: argparse._SubParsersAction) -> None:
    """Give every ``bench`` subcommand its description and the defaults in its ``--help``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``bench`` subcommands, all registered.

    Raises
    ------
    KeyError
        A subcommand without a description in :data:`DESCRIPTIONS`.
    """
    for name, parser in sub.choices.items():
        parser.description = DESCRIPTIONS[name]
        parser.formatter_class = DefaultsHelpFormatter
