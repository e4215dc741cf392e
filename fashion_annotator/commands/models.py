"""``fashion-annotator models PROJECT``: list a project's model versions; roll back or forward.

The window's Train > Model history does the same (its "Make active" and "Use the shipped
model" buttons); this is the ML lead's way from a terminal or a script. An active version whose
file is missing, damaged or of another task is marked "(unusable)", with a warning saying why.
Activating a version whose recorded figure is worse than the active one's prints a warning with
both figures (the window asks first; a script is not asked).
"""

from __future__ import annotations

import argparse
import sys

from fashion_annotator.dataset.postgres.url import project_location
from fashion_annotator.runtime.exit_codes import EXIT_OK, report_error


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register ``models`` on ``subparsers``."""
    p = subparsers.add_parser(
        "models", help="list a project's model versions; make one active (a rollback)",
        description="List the registered model versions of a task (val figure, training masks, "
        "which one proposes), and with --activate N or --shipped choose the one that proposes "
        "from now on. Windows open on the project take it at their next image.",
        epilog="exit status: 0 done, 1 error (no such project, task or version; nothing changed)",
    )  # fmt: skip
    p.add_argument("project", metavar="PROJECT", type=project_location,
                   help="project folder or postgresql://user@host/db?project=NAME")  # fmt: skip
    p.add_argument("--task", default=None,
                   help="the task: one of the project's, click (Smart click) or instance_attributes "
                   "(default: the project's first task)")  # fmt: skip
    which = p.add_mutually_exclusive_group()
    which.add_argument("--activate", metavar="N", type=int, help="make version N the active model")
    which.add_argument("--shipped", action="store_true", help="go back to the shipped model")
    p.set_defaults(func=_cmd_models)


def _cmd_models(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.store import ProjectError, open_project
    from fashion_annotator.qa.model_history import (
        activation_warning,
        model_rows,
        model_tasks,
        row_text,
    )
    from fashion_annotator.segmentation.proposals import (
        activate_model,
        active_model_problem,
        default_model_path,
    )

    try:
        with open_project(args.project, writing=args.activate is not None or args.shipped) as project:
            args.task = args.task or project.tasks[0]
            if args.task not in model_tasks(project):
                raise ProjectError(f"{project.root}: no task {args.task!r}; tasks with models: "
                                   f"{', '.join(model_tasks(project))}")  # fmt: skip
            worse = None
            if args.activate is not None or args.shipped:
                worse = activation_warning(project, args.task, None if args.shipped else args.activate)
                activate_model(project, args.task, None if args.shipped else args.activate)
            rows = model_rows(project, args.task)
            problem = active_model_problem(project, args.task)
    except (ProjectError, KeyError) as exc:
        return report_error(exc.args[0] if isinstance(exc, KeyError) else exc, "models")
    if worse is not None:  # said, not asked: scripts run this
        print(f"warning: {worse} Made active as asked.", file=sys.stderr)
    fallback = (
        "the shipped model proposes"
        if default_model_path(args.task).is_file()
        else "no model ships for it: nothing is proposed until one is made active"
    )
    if not rows:
        print(f"{args.task}: no retrained version; {fallback}")
        return EXIT_OK
    texts = [row_text(r) for r in rows]
    wide = max(19, *(len(t["figure"]) for t in texts))  # "..., before refit" shifted the column
    print(f"{'version':>7}  {'created':16}  {'masks':>5}  {'val figure *':>{wide}}  {'lr':>7}  "
          f"{'epochs':>6}  {'seed':>4}  {'took':>9}  active")  # fmt: skip
    for r, t in zip(rows, texts, strict=True):
        active = f"{t['active']} (unusable)" if r["active"] and problem else t["active"]
        print(f"{t['version']:>7}  {t['created']:16}  {r['trained_on']:>5}  {t['figure']:>{wide}}  "
              f"{t['lr']:>7}  {t['epochs']:>6}  {t['seed']:>4}  {t['took']:>9}  {active}")  # fmt: skip
    for what in dict.fromkeys(r["figures_of"] for r in rows):
        print(f"* val figure: {what}, on each version's own val masks (the retrain's comparison; "
              "vN.json's 'metrics' are the training run's own, at the training input size); "
              "epochs: run/asked; vN.json 'training' holds the full request and command line")  # fmt: skip
    if problem:
        print(f"warning: {problem}; --activate N or --shipped chooses another", file=sys.stderr)
    if not any(r["active"] for r in rows):
        print(f"{args.task}: {fallback}")
    return EXIT_OK
