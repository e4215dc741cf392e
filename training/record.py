"""What a model's metadata records of the run that trained it (``training``, ``metrics_of``).

Torch-free. A version's ``vN.json`` then says how to run it again (the request, the seed, the
command line) and what its figures are, beside the registry's comparison figures that
``fashion-annotator models`` shows.
"""

from __future__ import annotations

import time
from typing import Any

from training.request import TrainRequest

#: What a trained model's ``metrics`` metadata are (the registry's figures, which ``models``
#: shows, are the comparison's: ``figures_of`` there).
METRICS_OF = ("the training run's own: the held-out network on its {n} val masks at the training "
              "input size, one pass")  # fmt: skip


def training_record(
    args: TrainRequest, device: str, n_train: int, n_val: int, result: Any, t_start: float,
) -> dict[str, Any]:
    """How a model was trained, for its metadata's ``training``: the request (every option,
    the seed), the command line that runs it again, the device, the mask counts, the epochs
    asked for and run, and the wall time from the start of the run to its export."""
    return {
        "request": args.record(), "command": args.command_line(resume=False), "device": device,
        "seed": args.seed, "masks": n_train + n_val, "train_masks": n_train, "val_masks": n_val,
        "epochs_requested": args.epochs, "epochs_run": result.epochs_run,
        "duration_s": round(time.monotonic() - t_start, 1),
    }  # fmt: skip
