"""``train --trunk TASK|FILE``: start a task's network from another task's model, with a new last layer.

A task no model of its own fits (a project's own label set, :mod:`fashion_annotator.core.label_sets`)
trains from scratch by default; with ``--trunk garment`` it starts from the shipped garment
network instead (its EfficientNet-Lite0 encoder and decoder, learnt on fashion photos) and only
the last 1x1 convolution, which maps features to the task's classes, starts afresh. The new
model keeps the trunk's architecture, input size and normalisation, as a fine-tune does
(``--model-size`` and ``--input-size`` are not used). An ensemble (the shipped parsing models)
has several networks and no single trunk: it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from fashion_annotator.core.labels import available_taxonomies
from fashion_annotator.models.weights import load_model
from fashion_annotator.segmentation.proposals import default_model_path

#: The last layer of the networks (``UNet.head``, ``EffUNet.head``): left out of a trunk.
HEAD_PREFIX = "head."
#: Meta keys about how the trunk's own task is proposed, not the new task's.
NOT_INHERITED = ("flip_average", "infer_long_side", "threshold", "crop_pass", "crop_long_side", "refinements")


def trunk_path(value: str) -> Path:
    """The model file ``--trunk`` names: a shipped task's model, or a ``.safetensors`` file.

    Raises
    ------
    ValueError
        A shipped task without a model, or no such file.
    """
    if value in available_taxonomies():
        path = default_model_path(value)
        if not path.is_file():
            raise ValueError(f"--trunk {value}: no shipped {value} model to start from")
        return path
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"--trunk {value}: no such model file (or a shipped task: garment, person)")
    return path


def trunk_init(path: Path, emit: Callable[[dict], None]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The weights and meta a training starts from: ``path``'s network without its last layer.

    Returns
    -------
    state : dict
        The network's parameters but :data:`HEAD_PREFIX` ones.
    meta : dict
        The model's meta without :data:`NOT_INHERITED` keys (its ``arch``, input size and
        normalisation are the new model's).

    Raises
    ------
    ValueError
        The model is an ensemble (naming the file).
    """
    loaded = load_model(path)
    meta = dict(loaded.meta)
    if meta.get("architecture") == "ensemble":
        members = len(meta.get("arch", {}).get("members", []))
        raise ValueError(
            f"--trunk {path}: an ensemble of {members} networks has no single trunk; start from a "
            "one-network model (the shipped garment or person model, or one trained by train)"
        )
    state = {k: v for k, v in loaded.module.state_dict().items() if not k.startswith(HEAD_PREFIX)}
    emit({"event": "info", "message": f"trunk from {path} (a {meta.get('task')!r} model); the last layer "
          "starts afresh for this task's classes"})  # fmt: skip
    return state, {k: v for k, v in meta.items() if k not in NOT_INHERITED}
