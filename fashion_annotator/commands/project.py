"""Project subcommands: ``new``, ``import``, ``export``, ``info``, ``sync``.

Exit status: 0 done, 1 refused (nothing changed, or the command could not start),
3 partly done (some files refused; the summary on stderr lists each with its problem).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_annotator.core.labels import available_taxonomies
from fashion_annotator.core.wording import EXPORT_WRITES, counted
from fashion_annotator.dataset.postgres.url import describe_location, project_location
from fashion_annotator.runtime.arg_types import USER_HELP
from fashion_annotator.runtime.exit_codes import EXIT_OK, EXIT_PARTIAL, report_error
from fashion_annotator.runtime.progress import ProgressBar

if TYPE_CHECKING:
    from fashion_annotator.dataset.api import ProjectStore
    from fashion_annotator.dataset.formats import ImportSummary
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.dataset.unfinished import Making

# The format modules (cv2, pycocotools) load only when a command runs, so `info` and `--help`
# stay fast; a test checks these names against fashion_annotator.dataset.formats.
TOOL_FORMATS = ("labelme", "cvat", "voc", "labelstudio", "yolo")
IMPORT_FORMATS = ("photos", "plain", "alpha", "coco", *TOOL_FORMATS, "coco-instances")
EXPORT_FORMATS = ("plain", "coco", "cutout", *TOOL_FORMATS, "coco-instances")
SHAPE_KINDS = ("polygon", "mask")  # fashion_annotator.dataset.formats.SHAPE_KINDS
CUTOUT_EDGES = ("soft", "clean", "hard")  # fashion_annotator.dataset.formats.CUTOUT_EDGES
_EPILOG = "exit status: 0 done, 1 error (nothing imported), 3 some files refused (listed)"
_EPILOG_EXPORT = ("exit status: 0 done, 1 error or no image exported (the reason is said: e.g. no image has the "
                  "--status asked for), 3 some images failed (listed)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register ``new``, ``import``, ``export``, ``info`` and ``sync`` on ``subparsers``."""
    new = subparsers.add_parser(
        "new", help="make a project from a folder of photos", epilog=_EPILOG,
        description="Create a project folder and copy the photos of DIR into it. A creation cut short "
        "(killed, a power cut) leaves the project marked unfinished: it refuses to open and says so, and "
        "the same command run again adds the photos it lacks (one another computer started, which may "
        "still be running there: only with --force).",
    )  # fmt: skip
    new.add_argument("project", metavar="PROJECT", type=project_location,
                     help="project folder to create, or postgresql://user@host/db?project=NAME")  # fmt: skip
    new.add_argument("--images", metavar="DIR", type=Path, required=True, help="photos to add")
    new.add_argument(
        "--tasks", action="append", metavar="TASKS",
        help="comma-separated task (taxonomy) names or your own label set files (PATH.json, "
        "the format of README 'Your own labels'); may be given again (--tasks garment --tasks "
        "'/path/a,b.json'): a path that names an existing file is taken whole, commas and all; "
        "default: garment,parsing7; shipped: " + ", ".join(available_taxonomies()),
    )  # fmt: skip
    new.add_argument("--user", help=USER_HELP)
    new.add_argument("--force", action="store_true",
                     help="PROJECT is a creation another computer started, or one whose process "
                     "number another program of this computer now has (it says so), stopped since: add "
                     "the photos it lacks")  # fmt: skip
    new.set_defaults(func=_cmd_new)

    imp = subparsers.add_parser(
        "import", help="import photos, masks or cutouts into a project", epilog=_EPILOG,
        description="Import SRC into PROJECT. plain: a mask folder (images/, masks/, "
        "taxonomies.json); alpha: RGBA cutouts (alpha > 0 is garment); coco: an instance "
        "JSON (or a folder with annotations.json, or a dataset root with "
        "annotations/instances_SUBSET.json); photos: a folder of photos; labelme: a "
        "folder of labelme JSON; cvat: CVAT for images XML; voc: a Pascal VOC folder; "
        "labelstudio: a Label Studio JSON export; yolo: a YOLO segmentation folder; "
        "coco-instances: garment instances with category and attribute ids (Fashionpedia style).",
    )  # fmt: skip
    imp.add_argument("project", metavar="PROJECT", type=project_location,
                     help="project folder or postgresql://user@host/db?project=NAME")  # fmt: skip
    imp.add_argument("src", metavar="SRC", type=Path, help="the folder or file to import")
    imp.add_argument("--format", required=True, choices=IMPORT_FORMATS)
    imp.add_argument(
        "--taxonomy", metavar="NAME",
        help="task to import masks for (added to the project if absent); plain: the source's "
        "taxonomies.json mapping into NAME is used (default: every project task it defines; "
        "the others it defines are named in the summary)",
    )  # fmt: skip
    imp.add_argument(
        "--overwrite", action="store_true",
        help="save a mask that differs from the saved ones as a new version (default: refuse "
        "it and list it; masks equal to a saved version are never saved twice)",
    )  # fmt: skip
    imp.add_argument("--user", help=USER_HELP)
    imp.set_defaults(func=_cmd_import)

    exp = subparsers.add_parser(
        "export", help="export a project's masks", epilog=_EPILOG_EXPORT,
        description="Export the latest mask of each image in a format (--format, what each "
        "writes below). cutout: the background transparent and black (none of the photo is kept "
        "under alpha 0); the tools' layouts: see README.",
    )  # fmt: skip
    exp.add_argument("project", metavar="PROJECT", type=project_location)
    exp.add_argument("out", metavar="OUT", type=Path, help="folder to write")
    exp.add_argument("--format", required=True, choices=EXPORT_FORMATS, metavar="FORMAT",
                     help="; ".join(f"{name}: {EXPORT_WRITES[name]}" for name in EXPORT_FORMATS))
    exp.add_argument(
        "--task", metavar="NAME",
        help="task to export (default: the first task; garment for cutout; coco-instances exports "
        "the instances of the parsing task and takes no --task)",
    )  # fmt: skip
    exp.add_argument(
        "--shapes", choices=SHAPE_KINDS,
        help="regions as polygons or masks (coco: RLE, cvat: <mask>, labelstudio: brush); "
        "default: coco, voc, labelstudio mask; labelme, cvat, yolo polygon",
    )  # fmt: skip
    exp.add_argument(
        "--tolerance", type=float, metavar="PX",
        help="polygon simplification in pixels (default 0.7, core.polygons.DEFAULT_TOLERANCE; "
        "0 = exact)",
    )  # fmt: skip
    exp.add_argument(
        "--edges", choices=CUTOUT_EDGES,
        help="cutout: soft (default: the mask's edge pixels partly transparent as the photo's "
        "colours say, anti-aliased, their colours the photo's; alpha > 0 is still exactly the "
        "mask), clean (the same alpha, the edge pixels' colours the garment's with the "
        "backdrop's share taken out: no light halo on a white or black page) or hard (alpha 0 / 255)",
    )  # fmt: skip
    exp.add_argument(
        "--status", metavar="S[,S...]",
        help="export only images with these statuses (new, in_progress, done, approved, "
        "rejected), e.g. done,approved; default: every image with a mask",
    )  # fmt: skip
    exp.set_defaults(func=_cmd_export)

    info = subparsers.add_parser(
        "info", help="image count, counts by status and by task",
        description="Print the project's image count, counts by status and masks by task, and "
        "warn of a task whose active model's file is missing or of another task (the window then "
        "proposes with the shipped model; `models --task T` also loads the weights).",
    )  # fmt: skip
    info.add_argument("project", metavar="PROJECT", type=project_location)
    info.add_argument("--json", action="store_true", help="print one JSON object instead")
    info.set_defaults(func=_cmd_info)

    sync = subparsers.add_parser(
        "sync", help="bring a folder of photos' project in step with the folder",
        epilog="exit status: 0 done, 1 error (not a photo folder's project, read-only), 3 some new files refused "
        "or photos changed in place (listed)",
        description="What the window does when it opens a folder of photos (FOLDER/annotations, "
        "photos left in place): add the photos dropped in since, point a renamed photo at its "
        "new name (found by its content, its masks kept) and name the photos gone; also reads "
        "every photo to name those replaced in place (the same name, other content). A file "
        "refused once is not tried again until it changes.",
    )  # fmt: skip
    sync.add_argument("folder", metavar="FOLDER", type=Path, help="the folder of photos (or its annotations/ folder)")
    sync.set_defaults(func=_cmd_sync)


def _fail(args: argparse.Namespace, message: object) -> int:
    return report_error(message, args.command)


def _details(lines: list[str], heading: str) -> None:
    """Print a summary's lines after its totals on stderr, the refused files' (they follow the
    totals) under ``heading``: on stderr alone they had none, while the lists after them did."""
    if heading:
        print(heading, file=sys.stderr)
    for line in lines[1:]:
        print(line, file=sys.stderr)


def _report(summary: ImportSummary, seconds: float, src: Path, looked_for: str = "", *, new: bool = False) -> int:
    """Print the summary; exit status 3 when files were refused, 1 when an import found nothing
    (a wrong folder must not pass for a successful import; ``new`` made its project all the
    same, so it only warns)."""
    lines = summary.lines()
    print(f"{lines[0]} in {seconds:.1f} s")
    _details(lines, f"{counted(len(summary.errors), 'file')} refused:" if summary.errors else "")
    if summary.empty:
        if not new:
            return report_error(f"{src}: nothing found to import{looked_for}", "import")
        print(f"warning: {src}: nothing found to import{looked_for}", file=sys.stderr)
    return EXIT_PARTIAL if summary.errors else EXIT_OK


def _cmd_new(args: argparse.Namespace) -> int:
    from fashion_annotator.core.images import PHOTO_SUFFIXES
    from fashion_annotator.core.label_sets import split_task_entries
    from fashion_annotator.dataset import unfinished
    from fashion_annotator.dataset.formats import import_source
    from fashion_annotator.dataset.store import ProjectError

    tasks = split_task_entries(args.tasks or ["garment,parsing7"])
    if not args.images.is_dir():
        return _fail(args, f"{args.images}: not a folder of photos")
    try:
        project, cut_short = _started(args, tasks)  # marked unfinished until every photo was tried
        if cut_short is not None:  # a `new` killed half way: resumed
            print(f"note: {describe_location(args.project)}: its creation from {cut_short.source} was cut short; "
                  f"adding the photos of {args.images} it lacks", file=sys.stderr)  # fmt: skip
            if unfinished.forced_note(args.project, cut_short):
                print(unfinished.forced_note(args.project, cut_short), file=sys.stderr)
        with project:
            start = time.perf_counter()
            with ProgressBar("adding photos") as bar:
                summary = import_source(project, args.images, "photos", progress=bar.update)
            unfinished.unmark(project)
            suffixes = " ".join(sorted(PHOTO_SUFFIXES))
            return _report(summary, time.perf_counter() - start, args.images,
                           f" (photos: {suffixes}, not in subfolders)", new=True)  # fmt: skip
    except (ProjectError, ValueError, OSError, sqlite3.Error) as exc:
        return _fail(args, exc)


def _started(args: argparse.Namespace, tasks: list) -> tuple[Project, Making | None]:
    """The project ``new`` makes, or resumes (:func:`~fashion_annotator.dataset.unfinished.start_new`);
    one already there is refused with the command that adds photos to it."""
    from fashion_annotator.dataset.store import ProjectError
    from fashion_annotator.dataset.unfinished import start_new

    try:
        return start_new(args.project, args.images, tasks, user=args.user, force=args.force)
    except ProjectError as exc:
        if "already a project" not in str(exc):
            raise
        raise ProjectError(f"{exc}; to add the photos of {args.images} to it: fashion-annotator import "
                           f"{describe_location(args.project)} {args.images} --format photos") from exc  # fmt: skip


def _cmd_sync(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.photo_folder import is_photo_folder_project, sync_photo_folder
    from fashion_annotator.dataset.store import Project, ProjectError

    try:
        with Project.open(args.folder) as project:
            if not is_photo_folder_project(project):
                return _fail(args, f"{project.root}: not the project of a folder of photos (made by "
                             "fashion-annotator FOLDER in FOLDER/annotations); a project of copied "
                             "photos takes new ones with: fashion-annotator import PROJECT DIR --format photos")  # fmt: skip
            if project.readonly:
                return _fail(args, f"{project.root}: cannot be changed: {project.readonly}")
            with ProgressBar("adding new photos") as bar:
                result = sync_photo_folder(project, bar.update, check_content=True)
    except (ProjectError, OSError, sqlite3.Error) as exc:
        return _fail(args, exc)
    lines = result.lines() or ["no new, renamed or missing photos: the project and the folder agree"]
    print(lines[0])
    for line in lines[1:]:
        print(line, file=sys.stderr)
    return EXIT_PARTIAL if result.summary.errors or result.changed else EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.formats import import_source
    from fashion_annotator.dataset.leases import LeaseHeld
    from fashion_annotator.dataset.store import ProjectError, open_project

    if not args.src.exists():
        return _fail(args, f"{args.src}: not found")
    try:
        with open_project(args.project, user=args.user, writing=True) as project:
            start = time.perf_counter()
            with ProgressBar("importing") as bar:
                summary = import_source(
                    project, args.src, args.format, args.taxonomy, progress=bar.update,
                    overwrite=args.overwrite,
                )  # fmt: skip
            return _report(summary, time.perf_counter() - start, args.src)
    except (ProjectError, ValueError, OSError, LeaseHeld, sqlite3.Error) as exc:
        return _fail(args, exc)


def _cmd_export(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.formats import export_project
    from fashion_annotator.dataset.formats.empty_export import nothing_exported
    from fashion_annotator.dataset.formats.export_stop import ExportStopped
    from fashion_annotator.dataset.store import ProjectError, open_project

    try:
        with open_project(args.project) as project, ProgressBar("exporting") as bar:
            if args.format == "coco-instances" and args.task is not None:
                print(f"note: --task {args.task} is not used: coco-instances exports the garment instances "
                      "of the project's parsing task", file=sys.stderr)  # fmt: skip
            statuses = None if args.status is None else [x.strip() for x in args.status.split(",") if x.strip()]
            summary = export_project(
                project, args.out, args.format, args.task, progress=bar.update, statuses=statuses,
                shapes=args.shapes, tolerance=args.tolerance, edges=args.edges,
            )  # fmt: skip
            empty = nothing_exported(project, summary, statuses)
    except ExportStopped as exc:  # the images that failed before it are listed too
        for line in exc.lines():
            print(line, file=sys.stderr)
        return _fail(args, exc)
    except (ProjectError, ValueError, OSError, sqlite3.Error) as exc:
        return _fail(args, exc)
    lines = summary.lines()
    print(lines[0])
    _details(lines, f"{counted(len(summary.errors), 'image')} could not be exported:" if summary.errors else "")
    if empty:  # a script must not take an empty folder for a finished export
        return _fail(args, f"{args.out}: no image exported: {empty}")
    return EXIT_PARTIAL if summary.errors else EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.store import Project, ProjectError, open_project

    try:
        with open_project(args.project) as project:
            if isinstance(project, Project):  # counts read from a damaged index are no counts
                project.check_index()
            status = project.counts()
            tasks = project.task_counts()
            swept = getattr(project, "swept", None)
            set_aside = None if swept is None else swept.note(project.root)
            problems = {t: p for t in project.tasks if (p := _active_model_problem(project, t))}
    except (ProjectError, sqlite3.Error) as exc:
        return _fail(args, exc)
    if set_aside:
        print(f"warning: {set_aside}", file=sys.stderr)
    for problem in problems.values():
        print(f"warning: {problem}; the window proposes with the shipped model instead "
              "(`fashion-annotator models` makes another version active)", file=sys.stderr)  # fmt: skip
    if args.json:
        print(json.dumps({"images": sum(status.values()), "status": status, "tasks": tasks,
                          **({"model_problems": problems} if problems else {})}))  # fmt: skip
        return EXIT_OK
    print(f"project: {describe_location(args.project)}")
    print(f"images: {sum(status.values())}")
    print("by status: " + ", ".join(f"{k} {v}" for k, v in status.items()))
    print("masks by task: " + ", ".join(f"{k} {v}" for k, v in tasks.items()))
    return EXIT_OK


def _active_model_problem(project: ProjectStore, task: str) -> str | None:
    """Why ``task``'s active model cannot be used, read without torch (``info`` stays fast):
    its weights or meta file missing or unreadable, or its meta of another task. None: no
    active version, or one whose files look right (``models`` loads the weights:
    :func:`fashion_annotator.segmentation.proposals.active_model_problem`)."""
    record = project.models.active(task)
    if record is None:
        return None
    path = Path(record.path)
    try:
        if not path.is_file():
            raise OSError(f"{path}: weights file not found")
        meta = json.loads(path.with_suffix(".json").read_text())
        made_for = meta.get("task") if isinstance(meta, dict) else None
    except (OSError, ValueError) as exc:
        return f"the active {task} model v{record.version} cannot be used: {exc}"
    if made_for != task:
        return (f"the active {task} model v{record.version} cannot be used: {path}: the file is a "
                f"model of task {made_for!r}, not of {task!r}")  # fmt: skip
    return None
