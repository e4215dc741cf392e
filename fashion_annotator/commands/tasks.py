"""``fashion-annotator tasks PROJECT [--add TASKS]``: list a project's tasks; add tasks to it.

``--add`` takes what ``new --tasks`` takes (shipped task names and label set files, README "Your
own labels"), so that a studio adds its own label set to a project made without it, on a folder
or a PostgreSQL project; the window's File > Add tasks does the same. Every entry is checked
before any is added. Photos annotated so far get no mask of a new task until it is painted: the
listing counts, per task, the images marked done (or approved) without a mask of it.
"""

from __future__ import annotations

import argparse
import sqlite3

from fashion_annotator.dataset.postgres.url import describe_location, project_location
from fashion_annotator.runtime.arg_types import USER_HELP
from fashion_annotator.runtime.exit_codes import EXIT_OK, report_error


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register ``tasks`` on ``subparsers``."""
    p = subparsers.add_parser(
        "tasks", help="list a project's tasks; add shipped tasks or your own label sets",
        description="List the project's tasks (title, classes, masks, shipped or the project's own "
        "label set), and with --add add tasks: shipped names or label set files (PATH.json, the "
        "format of README 'Your own labels'), as `new --tasks` takes them. Photos annotated so far "
        "get no mask of a new task until it is painted: done-no-mask counts the images marked done "
        "or approved without a mask of the task, and the window's image list shows them with the "
        "filter \"Done, no mask of TITLE\"; a window open on the project shows the "
        "new task when the project is opened again.",
        epilog="exit status: 0 done, 1 error (no such project, an unknown task or a label set's "
        "problem, named; nothing added)",
    )  # fmt: skip
    p.add_argument("project", metavar="PROJECT", type=project_location,
                   help="project folder or postgresql://user@host/db?project=NAME")  # fmt: skip
    p.add_argument("--add", metavar="TASKS", action="append",
                   help="comma-separated shipped task names or label set files to add; may be given "
                   "again, and a path that names an existing file is taken whole, commas and all")  # fmt: skip
    p.add_argument("--user", help=USER_HELP)
    p.set_defaults(func=_cmd_tasks)


def _cmd_tasks(args: argparse.Namespace) -> int:
    from fashion_annotator.core.label_sets import split_task_entries
    from fashion_annotator.core.tasks import task_title
    from fashion_annotator.core.wording import counted, unmasked_filter_text
    from fashion_annotator.dataset.label_sets import resolve_tasks
    from fashion_annotator.dataset.leases import LeaseHeld
    from fashion_annotator.dataset.store import ProjectError, open_project

    wanted = split_task_entries(args.add or [])
    if args.add is not None and not wanted:
        return report_error("--add: no task given", "tasks")
    try:
        with open_project(args.project, user=args.user, writing=bool(wanted)) as project:
            present = [t for t in wanted if t in project.tasks]
            rest = [t for t in wanted if t not in present]
            specs = resolve_tasks(rest, describe_location(args.project)) if rest else []
            project.add_task(*specs)  # all or none: checked together, stored in one transaction
            tasks = project.tasks
            own = project.label_sets.specs
            classes = {t: project.taxonomy(t).num_classes for t in tasks}
            masks = project.task_counts()
            missing = {t: len(ids) for t, ids in project.label_sets.without_mask().items()}
    except (ProjectError, OSError, LeaseHeld, sqlite3.Error) as exc:
        return report_error(exc, "tasks")
    for name in present:
        print(f"{name}: already a task of the project")
    for spec in specs:
        print(f"added task {spec.name} ({spec.title}: {', '.join(spec.taxonomy.names)}); photos "
              "annotated so far have no mask of it until it is painted")  # fmt: skip
    wide = max(4, *(len(t) for t in tasks))
    print(f"{'task':{wide}}  {'title':28}  classes  masks  done-no-mask  kind")
    for name in tasks:
        kind = "label set" if name in own else "shipped"
        print(f"{name:{wide}}  {task_title(name)[:28]:28}  {classes[name]:>7}  {masks.get(name, 0):>5}  "
              f"{missing.get(name, 0):>12}  {kind}")  # fmt: skip
    for name in (t for t in tasks if missing.get(t)):
        one = missing[name] == 1
        print(f"{counted(missing[name], 'image')} marked done {'has' if one else 'have'} no mask of {name}: the "
              f"window's image list shows {'it' if one else 'them'} with the filter "
              f"\"{unmasked_filter_text(task_title(name))}\"")  # fmt: skip
    return EXIT_OK
