"""What one training run is asked to do: :class:`TrainRequest`, and its command-line options.

Torch-free, so the command line builds a request without loading torch. The ``train`` command
and ``python -m training`` both use :func:`add_arguments` and :meth:`TrainRequest.from_args`;
:func:`training.runner.run` takes the request, never an ``argparse.Namespace``.
"""

from __future__ import annotations

import argparse
import math
import shlex
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fashion_annotator.dataset.postgres.url import project_location
from fashion_annotator.models.sizes import MODEL_SIZES
from fashion_annotator.runtime.exit_codes import PROG
from fashion_annotator.runtime.logs import redact
from fashion_annotator.runtime.paths import check_output_outside, project_around
from training.recipe import (
    CROP_LONG_SIDE,
    LR,
    MAX_EPOCHS,
    MAX_MINUTES,
    MIN_EPOCHS,
    OWN_SCHEDULE_TASKS,
    PRESENTATIONS,
    project_recipe,
)


@dataclass(frozen=True)
class TrainRequest:
    """One training run.

    Exactly one of ``project`` (a folder or a PostgreSQL project URL: train on its
    done/approved masks) and ``data`` (a plain mask folder, with ``out``) is set. ``task`` is
    a task (taxonomy) name, or several joined by ``+`` (with ``data``) to train one shared
    network. The other fields mirror the ``train`` command's options of the same name; their
    defaults here are ``train --data``'s. ``train --project`` fills the options its command line
    leaves out from the project-retrain recipe (:mod:`training.recipe`, :meth:`from_args`);
    ``epochs`` None (a project's mask task only) means the recipe's, from the number of training
    masks (:func:`training.recipe.epochs_for`), settled once the run has selected them.
    """

    task: str
    project: str | Path | None = None
    data: Path | None = None
    out: Path | None = None
    epochs: int | None = 40
    max_minutes: float | None = None
    device: str = "auto"
    init: str | None = None
    trunk: str | None = None
    resume: bool = False
    model_size: str = "default"
    promote_if_better: bool = False
    input_size: tuple[int, int] = (288, 192)
    #: None: the trainer's own (8 for the mask trainer, the click trainer's per device).
    batch_size: int | None = None
    lr: float = 2e-3
    patience: int = 12
    norm: str = "group"
    attention: bool = True
    boundary_head: bool = False
    dice_weight: float = 1.0
    background_weight: float = 0.5
    class_weighting: str = "inverse_sqrt"
    flip: bool = True
    freeze: str = "none"
    exclude_unchanged: bool = False
    jitter: float = 0.1
    object_crops: bool = False
    crop_long_side: int | None = None
    refit: bool = False
    choose_refinements: bool = False
    seed: int = 0
    threads: int = 0
    cache_dir: Path | None = None
    train_limit: int = 0
    val_limit: int = 0

    def __post_init__(self) -> None:
        if (self.project is None) == (self.data is None):
            raise ValueError("a training run needs exactly one of a project and a data folder")
        if self.data is not None and self.out is None:
            raise ValueError("--out is required with --data")
        if self.model_size not in MODEL_SIZES:
            raise ValueError(f"unknown model size {self.model_size!r}; one of {list(MODEL_SIZES)}")
        if not [t for t in self.task.split("+") if t]:
            raise ValueError(f"no task in {self.task!r}")
        self._check_numbers()
        if self.trunk is not None and self.init is not None:
            raise ValueError("--trunk and --init exclude each other: --trunk starts from another task's model")

    def _check_numbers(self) -> None:
        """Refuse option values no run can use, naming the option (``--batch-size 0`` ended in
        ``ZeroDivisionError``, ``--max-minutes -1`` meant no time limit)."""
        problems = []
        if self.epochs is None and (self.project is None or self.task in OWN_SCHEDULE_TASKS):
            problems.append("--epochs: only a project's mask retrain sets its epochs from its mask count")
        if self.epochs is not None and self.epochs < 1:
            problems.append(f"--epochs must be at least 1, got {self.epochs}")
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            problems.append(f"--max-minutes must be a positive number of minutes, got {self.max_minutes}")
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"--batch-size must be at least 1, got {self.batch_size}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            problems.append(f"--lr must be a positive number, got {self.lr}")
        if self.threads < 0:
            problems.append(f"--threads must be 0 (torch's default) or more, got {self.threads}")
        if min(self.input_size) < 16:
            problems.append(f"--input-size must be at least 16x16 pixels, got {self.input_size[0]} {self.input_size[1]}")
        if self.patience < 1:
            problems.append(f"--patience must be at least 1, got {self.patience}")
        if min(self.train_limit, self.val_limit) < 0:
            problems.append("--train-limit and --val-limit must be 0 (all) or more")
        if self.crop_long_side is not None and self.crop_long_side < 16:
            problems.append(f"--crop-long-side must be at least 16 pixels, got {self.crop_long_side}")
        if not 0 <= self.jitter < 1:  # a factor 1 +- jitter: 1 or more blacks out or inverts photos
            problems.append(f"--jitter must be at least 0 (none) and below 1, got {self.jitter}")
        if not (math.isfinite(self.dice_weight) and self.dice_weight >= 0):
            problems.append(f"--dice-weight must be 0 (none) or a positive number, got {self.dice_weight}")
        if not (math.isfinite(self.background_weight) and self.background_weight > 0):
            # 0: a batch of background pixels only has a NaN cross-entropy
            problems.append(f"--background-weight must be a positive number, got {self.background_weight}")
        if self.project is not None and self.cache_dir is not None:
            problems.append("--cache-dir: not used with --project (its retrains cache in PROJECT/cache/training)")
        if problems:
            raise ValueError("; ".join(problems))

    def check_folders(self) -> None:
        """Refuse an ``--out`` or ``--cache-dir`` that is a file, or lies in the data folder or
        in a project (a model, a checkpoint and a cache were written into the dataset; a
        project's next open moves files it does not know to its lost+found).

        Raises
        ------
        ValueError
            Naming the option, the folder and the problem.
        """
        if self.data is None:
            return
        for option, folder in (("--out", self.out), ("--cache-dir", self.cache_dir)):
            if folder is None:
                continue
            if folder.exists() and not folder.is_dir():
                raise ValueError(f"{option} {folder}: exists and is not a folder")
            above = next((p for p in folder.parents if p.exists()), None)
            if above is not None and not above.is_dir():  # --out FILE/sub: "[Errno 20] Not a directory"
                raise ValueError(f"{option} {folder}: {above} is a file, not a folder")
            try:
                check_output_outside(folder, self.data, "dataset")
            except ValueError as exc:
                raise ValueError(f"{option} {exc}") from None
            project = project_around(folder)
            if project is not None:
                raise ValueError(f"{option} {folder}: inside the project {project}; write the output elsewhere")

    @property
    def tasks(self) -> list[str]:
        """The task names (``task`` split on ``+``)."""
        return [t for t in self.task.split("+") if t]

    def record(self) -> dict[str, Any]:
        """The request as JSON values (every field; paths as text, a server project's
        password masked), for a model's ``training`` metadata."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else (
                value if value is None or isinstance(value, bool | int | float) else redact(str(value)))  # fmt: skip
        return out

    def command_line(self, resume: bool = True) -> str:
        """The ``train`` command that continues this run: its options, ``--resume`` last
        (without it when ``resume`` is False: the command that runs it again).

        Options at their defaults are left out, but a project retrain's recipe options are
        written out (a later change of the recipe does not change what a resume continues);
        a server project's password is masked
        (:func:`~fashion_annotator.runtime.logs.redact`).

        Returns
        -------
        str
            A shell-quoted command line, e.g. ``fashion-annotator train --task garment
            --project P --lr 0.0005 --object-crops --resume``.
        """
        words = [PROG, "train"]
        defaults = self.cli_defaults()
        recipe = defaults["epochs"] is None  # a project's mask retrain
        for f in fields(self):
            value = getattr(self, f.name)
            pinned = recipe and f.name in RECIPE_OPTIONS
            if f.name == "resume" or (value == defaults[f.name] and not pinned):
                continue
            option = "--" + f.name.replace("_", "-")
            if value is None:  # a recipe value turned off: only the time limit says so
                words += [option, "0"] if f.name == "max_minutes" else []
            elif isinstance(value, bool):  # attention and flip are on by default: --no-...
                words.append(option if value else f"--no-{option[2:]}")
            elif isinstance(value, tuple):
                words += [option, *(str(v) for v in value)]
            else:
                words += [option, str(value)]
        return redact(shlex.join([*words, "--resume"] if resume else words))

    def cli_defaults(self) -> dict[str, Any]:
        """The value of each field when the command line does not give it: the plain defaults,
        with ``--project`` and a mask task the project-retrain recipe's (:mod:`training.recipe`)."""
        return _defaults(self.project is not None, self.task)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TrainRequest:
        """Build a request from options parsed with :func:`add_arguments`.

        The recipe options the command line leaves out (None there) take
        :meth:`cli_defaults`: the project-retrain recipe with ``--project`` (a mask task), the
        plain defaults with ``--data``; ``--max-minutes 0`` means no time limit.
        """
        values = {f.name: getattr(args, f.name) for f in fields(cls)}
        defaults = _defaults(values["project"] is not None, values["task"])
        for key in RECIPE_OPTIONS:
            if values[key] is None:
                values[key] = defaults[key]
        if values["max_minutes"] == 0:
            values["max_minutes"] = None
        for key in ("data", "out", "cache_dir"):
            values[key] = None if values[key] is None else Path(values[key])
        if values["project"] is not None:  # a folder, or a PostgreSQL project URL
            values["project"] = project_location(str(values["project"]))
        values["input_size"] = (int(args.input_size[0]), int(args.input_size[1]))
        return cls(**values)


#: The options whose default depends on ``--project`` (the recipe) or ``--data`` (plain);
#: :func:`add_arguments` leaves them None so that :meth:`TrainRequest.from_args` sees which
#: the command line gave.
RECIPE_OPTIONS = ("epochs", "lr", "freeze", "patience", "max_minutes", "object_crops",
                  "crop_long_side", "refit", "choose_refinements")  # fmt: skip


def _defaults(project: bool, task: str) -> dict[str, Any]:
    """Each :class:`TrainRequest` field's default: :meth:`TrainRequest.cli_defaults`."""
    values = {f.name: f.default for f in fields(TrainRequest)}
    if project and task not in OWN_SCHEDULE_TASKS:
        values.update(project_recipe(), epochs=None)
    return values


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the training options to ``p`` (the ``train`` command and ``python -m training``)."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--project", help="project folder or postgresql://user@host/db?project=NAME:"
                     " train on its done, approved and edited in-progress masks")  # fmt: skip
    src.add_argument("--data", help="plain mask folder (images/, masks/, taxonomies.json)")
    p.add_argument("--out", help="output folder (required with --data)")
    p.add_argument(
        "--task",
        required=True,
        help="task (taxonomy) name: garment, person, parsing7, parsing18, ..., or with --project "
        "click (Smart click's model) or instance_attributes; with --data several joined by '+' "
        "train one shared network. click and instance_attributes keep their own schedules "
        "(--epochs, --lr and --freeze are the mask trainer's; click refuses --init and --resume)",
    )
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the training masks (default 40; --project: the recipe's, "
                   f"{PRESENTATIONS} mask presentations, {MIN_EPOCHS}-{MAX_EPOCHS} epochs)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="time budget; LR follows it (default none; --project: the recipe's "
                   f"{MAX_MINUTES:g}; 0: none)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--init", default=None,
                   help="current | scratch | a .safetensors model file (default: current, the "
                   "project's active model, with --project; scratch with --data)")
    p.add_argument("--trunk", default=None, metavar="TASK|FILE",
                   help="start from another task's network with a new last layer: a shipped task's "
                   "model (garment, person) or a one-network .safetensors file; for a task no model "
                   "of its own fits, e.g. a project's own label set (training/trunk.py)")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--model-size", choices=tuple(MODEL_SIZES), default="default",
                   help="U-Net width for a model trained from scratch (a fine-tune keeps its model's)")
    p.add_argument("--promote-if-better", action="store_true",
                   help="--project: make the new model the active one when it beats the current "
                   "model on the same validation photos")
    p.add_argument("--json-progress", action="store_true",
                   help="print progress and the result as JSON lines (what the window reads)")
    p.add_argument("--input-size", type=int, nargs=2, default=(288, 192), metavar=("H", "W"))
    p.add_argument("--batch-size", type=int, default=None,
                   help="photos per step (default 8; --task click: the click trainer's own)")
    p.add_argument("--lr", type=float, default=None,
                   help=f"peak learning rate (default 0.002; --project: the recipe's {LR:g})")
    p.add_argument("--patience", type=int, default=None,
                   help=f"early stopping (epochs; default 12; --project: the recipe's {MAX_EPOCHS}, none)")
    p.add_argument("--norm", choices=("group", "batch"), default="group")
    p.add_argument("--no-attention", dest="attention", action="store_false")
    p.add_argument("--boundary-head", action="store_true")
    p.add_argument("--dice-weight", type=float, default=1.0)
    p.add_argument("--background-weight", type=float, default=0.5)
    p.add_argument(
        "--class-weighting",
        choices=("background", "inverse_sqrt"),
        default="inverse_sqrt",
        help="parsing cross-entropy weights: lower background only, or 1/sqrt(frequency)",
    )
    p.add_argument("--no-flip", dest="flip", action="store_false")
    p.add_argument("--freeze", choices=("none", "encoder"), default=None,
                   help="layers kept fixed while training (encoder: decoder and head move; "
                   "default none, the recipe's too)")
    p.add_argument("--exclude-unchanged", action="store_true",
                   help="--project: leave out accepted proposals saved unchanged")
    p.add_argument("--jitter", type=float, default=0.1)
    p.add_argument("--object-crops", action=argparse.BooleanOptionalAction, default=None,
                   help="binary tasks: also train on each photo's crop around its subject; the "
                        "model then predicts with the crop pass (metadata crop_pass; default off; "
                        "--project: on, the recipe's)")
    p.add_argument("--crop-long-side", type=int, default=None, metavar="N",
                   help="with --object-crops, letterbox models: the crop pass looks at the object "
                        "crop at this long side (metadata crop_long_side; default: the first "
                        f"pass's; --project: the recipe's {CROP_LONG_SIDE})")
    p.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                   help="after choosing the epochs, threshold and promotion on the held-out "
                        "masks, train again on every mask (train + val) for those epochs "
                        "(default off; --project: on, the recipe's)")
    p.add_argument("--choose-refinements", action=argparse.BooleanOptionalAction, default=None,
                   help="--project, binary tasks: give the model the refinement chain whose "
                        "proposals score best on the project's val masks (metadata refinements; "
                        "off: the task's; --project: on, the recipe's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--cache-dir", default=None, help="decoded-photo cache (default OUT/cache)")
    p.add_argument("--train-limit", type=int, default=0, help="use the first N training images")
    p.add_argument("--val-limit", type=int, default=0, help="use the first N val images")
