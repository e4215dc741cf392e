"""The project-retrain recipe: the one place that says how a project's model is fine-tuned.

Torch-free. The Retrain dialog, the background retrain and ``bench loop`` pass it to ``train``
(:func:`training.finetune.retrain_command`), and ``train --project`` uses it for every recipe
option its command line does not give (:meth:`training.request.TrainRequest.from_args`), so
the terminal and the window run the same recipe. ``train --data`` keeps the plain defaults of
:class:`~training.request.TrainRequest` (training from scratch on a mask folder). The numbers
and the measurements that chose them are in :mod:`training.finetune`'s docstring and here.
"""

from __future__ import annotations

import math
from typing import Any

#: Peak learning rate of a fine-tune (from-scratch training uses 2e-3).
LR = 5e-4
#: Which layers move: ``"none"`` frozen (all layers train) or ``"encoder"`` (decoder and head only).
FREEZE = "none"
#: Binary tasks: train on each photo's object crop too (``train --object-crops``), so the
#: fine-tuned model predicts with the crop pass. On 20 held-out mannequin-framed photos after an
#: 8-minute fine-tune on 45 others, median / mean Dice of the shown proposals 0.968 / 0.952
#: against 0.947 / 0.942 without (training/README.md).
OBJECT_CROPS = True
#: Long side (pixels) of the crop pass's input for a fine-tune with object crops (letterbox
#: models; the first pass stays at the model's). Chosen on the 100 photos left after 100 of 200
#: mannequin composites of CCP train photos were corrected in ``bench loop``: median Dice of
#: the masks of the model active then (fine-tuned after 50) 0.978 / 0.980 / 0.982 / 0.983 /
#: 0.983 / 0.982 at 448 / 512 / 576 / 640 / 768 / 896. On CCP street photos (subject filling the frame) the larger crop can
#: lose, so each retrain keeps it only when it beats the first pass's side on the project's
#: own val photos (``training.runner._choose_crop_side``).
CROP_LONG_SIDE = 640
#: After the held-out run chose the epochs, threshold and promotion, train again on every mask
#: (``train --refit``). On 200 mannequin composites of CCP train photos (``bench loop``, tool
#: order), median Dice of the network's masks on the photos not yet corrected after 10 / 25
#: corrected photos: 0.9645 / 0.9744 with the refit against 0.9598 / 0.9711 without.
REFIT = True
#: Binary tasks: the retrain chooses the refinement chain whose proposals score best on the
#: project's val masks (``train --choose-refinements``; :data:`training.finetune.REFINEMENT_CHOICES`).
CHOOSE_REFINEMENTS = True
#: Sample presentations a fine-tune aims for (epochs x training masks).
PRESENTATIONS = 400
MIN_EPOCHS, MAX_EPOCHS = 5, 40
#: Default time bound of one retrain (minutes).
MAX_MINUTES = 8.0
#: ``--project`` tasks that are not a taxonomy's mask model: they keep their own trainers'
#: schedules and the plain defaults (``training.runner.SPECIAL_TRAINERS``).
OWN_SCHEDULE_TASKS = frozenset({"click", "instance_attributes"})


def epochs_for(n_train: int) -> int:
    """Epochs for ``n_train`` training masks: ``ceil(PRESENTATIONS / n)`` within 5..40."""
    if n_train < 1:
        return MIN_EPOCHS
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(PRESENTATIONS / n_train))))


def project_recipe() -> dict[str, Any]:
    """The recipe's option values, keyed by :class:`~training.request.TrainRequest` field.

    ``epochs`` is not among them: it follows the number of training masks
    (:func:`epochs_for`), known only once the run has selected them.

    Returns
    -------
    dict
        ``lr``, ``freeze``, ``patience`` (early stopping is off: :data:`MAX_EPOCHS`),
        ``max_minutes``, ``object_crops``, ``crop_long_side``, ``refit``, ``choose_refinements``.
    """
    return {
        "lr": LR, "freeze": FREEZE, "patience": MAX_EPOCHS, "max_minutes": MAX_MINUTES,
        "object_crops": OBJECT_CROPS, "crop_long_side": CROP_LONG_SIDE, "refit": REFIT,
        "choose_refinements": CHOOSE_REFINEMENTS,
    }  # fmt: skip


def recipe_arguments(recipe: dict[str, Any]) -> list[str]:
    """``recipe`` (as :func:`project_recipe` returns it) as ``train`` options.

    Returns
    -------
    list of str
        e.g. ``["--lr", "0.0005", "--freeze", "none", ..., "--object-crops", ...]``.
    """
    words: list[str] = []
    for key, value in recipe.items():
        option = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            words.append(option if value else f"--no-{key.replace('_', '-')}")
        elif value is None:  # max_minutes: no limit
            words += [option, "0"] if key == "max_minutes" else []
        else:
            words += [option, f"{value:g}" if isinstance(value, float) else str(value)]
    return words
