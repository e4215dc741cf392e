"""The documented command lines use real subcommands and options.

Every ``fashion-annotator SUBCOMMAND ...`` written in README.md, training/README.md and docs/*.md
names a subcommand the parser has (for ``bench``, a benchmark it has; ``ui|save`` names several),
and every ``--option`` on that line is one of that subcommand's options.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from fashion_annotator.cli import build_parser

REPO = Path(__file__).resolve().parents[3]
DOCS = [REPO / "README.md", REPO / "training" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMMAND = re.compile(r"fashion-annotator[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z|-]*))?([^`\n]*)")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _joined(text: str) -> str:
    """``text`` with shell continuations and the synopsis's indented ``[...]`` / ``(...)``
    lines joined to the command line they continue."""
    text = text.replace("\\\n", " ")
    return re.sub(r"\n {8,}(?=[\[(])", " ", text)


def documented_commands(text: str) -> list[tuple[str, list[str], list[str]]]:
    """``(subcommand, its benchmarks or [], the --options on the line)`` per command line."""
    found = []
    for match in COMMAND.finditer(_joined(text)):
        command, second, rest = match.groups()
        benches = second.split("|") if command == "bench" and second else []
        rest = rest if command == "bench" else f"{second or ''} {rest}"
        found.append((command, benches, re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest)))
    return found


def test_a_documented_line_is_parsed() -> None:
    text = "`fashion-annotator bench refine|noc --data DIR --limit N` and `fashion-annotator info P --json`"
    assert documented_commands(text) == [
        ("bench", ["refine", "noc"], ["--data", "--limit"]),
        ("info", [], ["--json"]),
    ]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_documented_commands_use_real_subcommands_and_options(doc: Path) -> None:
    top = _subcommands(build_parser())
    benches = _subcommands(top["bench"])
    wrong = []
    for command, names, options in documented_commands(doc.read_text(encoding="utf-8")):
        if command not in top:
            wrong.append(f"fashion-annotator {command}: no such subcommand")
            continue
        targets = [(benches.get(n), f"bench {n}") for n in names] or [(top[command], command)]
        for parser, label in targets:
            if parser is None:
                wrong.append(f"fashion-annotator {label}: no such benchmark")
                continue
            wrong += [f"fashion-annotator {label} {o}: no such option" for o in options
                      if o not in parser._option_string_actions]  # fmt: skip
    assert not wrong, f"{doc.name}: " + "; ".join(sorted(set(wrong)))
