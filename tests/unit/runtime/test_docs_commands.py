"""The documented command lines use real subcommands and options.

Every ``fashion-annotator SUBCOMMAND ...`` written in README.md, training/README.md and docs/*.md
names a subcommand the parser has (for ``bench``, a benchmark it has; ``ui|save`` names several),
and every ``--option`` on that line is one of that subcommand's options.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from pathlib import Path
from typing import Any

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


# --- every documented command line parses --------------------------------------------------------
#
# The check above sees option names only. Here each command line the docs write is parsed by the
# real parser (nothing runs): required options and positionals, values of options with choices
# (``--format coco-instances``, ``--device auto|cpu|cuda``: each alternative), mutually exclusive
# options, options of another benchmark. A synopsis's ``[...]`` parts are all included, ``a | b``
# and ``x|y`` alternatives are each parsed once, and an UPPER-CASE placeholder stands for any value
# (for an option with choices: its first choice). Type checks that look at the disk (``--data``
# must be a folder) are left out: the placeholders name no real files. A command in backquotes in
# the prose may name only the options a sentence is about (`fashion-annotator evaluate --task
# instances`): what it leaves out is not asked for, the rest is checked all the same.

TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|[\[\]()]|(?<=\s)\|(?=\s)|[^\s\[\]()]+")


def documented_lines(text: str) -> list[tuple[str, bool]]:
    """``(command line, complete)`` for the ``fashion-annotator ...`` command lines of a Markdown
    text: indented or fenced lines (complete; their descriptions after two spaces cut, their
    indented ``[...]`` / ``(...)`` continuation lines joined), and those in backquotes in the
    prose (perhaps a part of a command)."""
    lines: list[tuple[str, bool]] = []
    physical = text.replace("\\\n", " ").splitlines()
    for i, line in enumerate(physical):
        if not re.match(r"^\s+fashion-annotator\s", line):
            continue
        command = re.split(r"\s{2,}", line.strip())[0]
        for more in physical[i + 1 :]:
            if not re.match(r"^ {8,}[\[(]", more):
                break
            command += " " + re.split(r"\s{2,}", more.strip())[0]
        lines.append((command, True))
    for span in re.findall(r"`(fashion-annotator\s[^`]+)`", text):
        lines.append((" ".join(span.split()), False))
    return lines


def _placeholder(token: str) -> bool:
    return token == "..." or any(c.isupper() for c in token)


def _tree(tokens: list[str]) -> list[Any]:
    """Tokens as a tree: a group is ``(bracket, [alternative token lists])``; a comment group
    (``(deepfashion24 ships no model: it needs --model)``) is dropped."""
    stack: list[tuple[str, list[list[Any]]]] = [("", [[]])]
    for token in tokens:
        if token in "[(" and token:
            stack.append((token, [[]]))
        elif token in "])" and token and len(stack) > 1:
            bracket, alternatives = stack.pop()
            first = alternatives[0][0] if alternatives[0] else ""
            if bracket == "(" and isinstance(first, str) and not first.startswith("-"):
                continue  # words, not options
            stack[-1][1][-1].append((bracket, alternatives))
        elif token == "|":
            stack[-1][1].append([])
        elif token != "...":
            stack[-1][1][-1].append(token.strip("'\""))
    return stack[0][1][0]


def _choice_points(items: list[Any]) -> list[tuple[int, int]]:
    """``(id, number of alternatives)`` of every group and ``x|y`` token, depth first."""
    points = []
    for item in items:
        if isinstance(item, tuple):
            points.append((id(item), len(item[1])))
            for alternative in item[1]:
                points += _choice_points(alternative)
        else:
            alternatives = [a for a in item.split("|") if a != "..."]
            if len(alternatives) > 1 and not item.startswith("-"):
                points.append((id(item), len(alternatives)))
    return points


def _flatten(items: list[Any], chosen: dict[int, int]) -> list[str]:
    argv: list[str] = []
    for item in items:
        if isinstance(item, tuple):
            argv += _flatten(item[1][chosen.get(id(item), 0)], chosen)
        else:
            alternatives = [a for a in item.split("|") if a != "..."] or [item]
            argv.append(alternatives[chosen.get(id(item), 0)] if not item.startswith("-") else item)
    return argv


def command_variants(line: str) -> list[list[str]]:
    """The argument lists a documented line stands for (without ``fashion-annotator``)."""
    items = _tree(TOKEN.findall(line.split(None, 1)[1] if " " in line else ""))
    variants = [_flatten(items, {})]
    for point, count in _choice_points(items):
        variants += [_flatten(items, {point: n}) for n in range(1, count)]
    unique: list[list[str]] = []
    for argv in variants:
        if argv not in unique:
            unique.append(argv)
    return unique


def _without_disk_checks(parser: argparse.ArgumentParser, complete: bool = True) -> argparse.ArgumentParser:
    """``parser`` with no type conversions but to the choices' type; not ``complete``: with
    nothing required either."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _without_disk_checks(sub, complete)
            continue
        if action.choices is None or all(isinstance(c, str) for c in action.choices):
            action.type = None
        if not complete:
            action.required = False
            if not action.option_strings and action.nargs is None:
                action.nargs = "?"
    if not complete:
        for group in parser._mutually_exclusive_groups:
            group.required = False
    return parser


def _filled(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``argv`` with a placeholder after an option with choices replaced by its first choice."""
    filled = list(argv)
    for i in range(1, len(filled)):
        action = parser._option_string_actions.get(filled[i - 1])
        if action is not None and action.choices and _placeholder(filled[i]):
            filled[i] = str(next(iter(action.choices)))
    return filled


def parse_error(argv: list[str], complete: bool = True) -> str | None:
    """Why the real parser refuses ``argv`` (not ``complete``: as a part of a command line), or None."""
    parser = _without_disk_checks(build_parser(), complete)
    target = _subcommands(parser)[argv[0]]
    if argv[0] == "bench" and len(argv) > 1:
        target = _subcommands(target).get(argv[1], target)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            parser.parse_args(_filled(argv, target))
    except SystemExit:
        return stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else "refused"
    return None


def test_a_documented_line_stands_for_each_alternative() -> None:
    line = ("fashion-annotator train (--project P | --data DIR --out DIR) --task garment|person"
            " [--device auto|cpu]")
    assert command_variants(line) == [
        ["train", "--project", "P", "--task", "garment", "--device", "auto"],
        ["train", "--data", "DIR", "--out", "DIR", "--task", "garment", "--device", "auto"],
        ["train", "--project", "P", "--task", "person", "--device", "auto"],
        ["train", "--project", "P", "--task", "garment", "--device", "cpu"],
    ]
    text = "    fashion-annotator info P [--json]   figures\n            [--x]  more\n`fashion-annotator new\nP`"
    assert documented_lines(text) == [
        ("fashion-annotator info P [--json] [--x]", True),
        ("fashion-annotator new P", False),
    ]
    assert parse_error(["info", "PROJECT", "--json"]) is None
    assert parse_error(["export", "P", "OUT", "--format", "tiff"]) is not None
    assert parse_error(["new", "--tasks", "garment"]) is not None  # no PROJECT, no --images
    assert parse_error(["new", "--tasks", "garment"], complete=False) is None
    assert parse_error(["export", "--format", "tiff"], complete=False) is not None
    assert parse_error(["models", "P", "--activate", "2", "--shipped"], complete=False) is not None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_documented_command_lines_parse(doc: Path) -> None:
    commands = set(_subcommands(build_parser()))
    wrong = []
    for line, complete in documented_lines(doc.read_text(encoding="utf-8")):
        for argv in command_variants(line):
            if argv and argv[0] in commands and (error := parse_error(argv, complete)):
                wrong.append(f"`{line}` as `fashion-annotator {' '.join(argv)}`: {error}")
    assert not wrong, f"{doc.name}:\n" + "\n".join(wrong)


def test_the_readme_names_every_benchmark_and_the_train_and_evaluate_options_that_matter() -> None:
    """A hand test: the README's command list left out ``bench selection`` and ``bench
    first-click``, ``train``'s --max-minutes, --refit, --object-crops, --seed and --threads, and
    ``evaluate``'s --split and --limit."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = documented_commands(readme)
    benches = set(_subcommands(_subcommands(build_parser())["bench"]))
    documented = {name for command, names, _ in found if command == "bench" for name in names}
    assert benches <= documented, f"benchmarks missing from README.md: {sorted(benches - documented)}"
    options = {command: set() for command in ("train", "evaluate")}
    for command, _, opts in found:
        if command in options:
            options[command].update(opts)
    assert {"--max-minutes", "--refit", "--object-crops", "--seed", "--threads", "--init"} <= options["train"]
    assert {"--split", "--limit"} <= options["evaluate"]
