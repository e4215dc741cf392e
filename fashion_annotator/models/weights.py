"""Model files: weights in ``.safetensors`` (never pickled) plus a JSON meta file beside them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.models.preprocess import InputSpec
from fashion_annotator.models.registry import build_model

#: Meta keys every model file carries (see docs/architecture.md).
REQUIRED_META = ("task", "classes", "arch", "input_size", "mean", "std")


class ModelFileError(ValueError):
    """A model file is missing, corrupt or does not match its meta; ``str()`` names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass
class LoadedModel:
    """A network ready for inference and the meta dict read from its JSON file."""

    module: nn.Module
    meta: dict[str, Any]


def meta_path(path: Path) -> Path:
    """Return the JSON meta path beside a ``.safetensors`` weights file."""
    return Path(path).with_suffix(".json")


def save_model(path: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write ``path`` (safetensors weights) and ``path.with_suffix(".json")`` (meta).

    Parameters
    ----------
    path : Path
        Destination ``.safetensors`` file; parent folders are created.
    model : nn.Module
        The network; its ``state_dict`` is saved on the CPU as contiguous tensors.
    meta : dict
        JSON-serialisable meta; must contain the keys in :data:`REQUIRED_META`.
    """
    path = Path(path)
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"meta for {path} lacks required keys {missing}")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # safetensors writes 0600; model files are shared like any resource
    with atomic_path(path, mode=0o644) as tmp:
        save_file(tensors, str(tmp))
    with atomic_path(meta_path(path), mode=0o644) as tmp:
        tmp.write_text(json.dumps(meta, indent=1))


def read_meta(path: Path) -> dict[str, Any]:
    """Read and check the JSON meta beside ``path``; raise :class:`ModelFileError` if bad."""
    path = Path(path)
    mpath = meta_path(path)
    try:
        meta = json.loads(mpath.read_text())
    except FileNotFoundError:
        raise ModelFileError(mpath, "meta JSON file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(mpath, f"not valid JSON ({exc})") from None
    return check_meta(meta, mpath)


def check_meta(
    meta: Any, where: Path | str, required: tuple[str, ...] = REQUIRED_META
) -> dict[str, Any]:
    """The one validator of model metadata; return ``meta`` or raise :class:`ModelFileError`.

    Parameters
    ----------
    meta : object
        The parsed JSON meta.
    where : Path or str
        Named in errors (the meta file, or the model file).
    required : tuple of str
        Keys that must be present (inference needs no ``arch`` when given a built network).
    """
    if not isinstance(meta, dict):
        raise ModelFileError(Path(where), "meta must be a JSON object")
    missing = [k for k in required if k not in meta]
    if missing:
        raise ModelFileError(Path(where), f"metadata lacks {', '.join(missing)}")
    if "arch" in required and not isinstance(meta["arch"], dict):
        raise ModelFileError(
            Path(where), "'arch' must be an object of the architecture's arguments"
        )
    classes = meta["classes"]
    if not isinstance(classes, list) or len(classes) < 2:
        raise ModelFileError(Path(where), f"classes must list two names or more, got {classes!r}")
    try:
        InputSpec.from_meta(meta)
        threshold = float(meta.get("threshold", 0.5))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(Path(where), str(exc)) from None
    if not 0.0 < threshold < 1.0:
        raise ModelFileError(Path(where), f"threshold must lie in (0, 1), got {threshold}")
    return meta


def load_model(path: Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a model file written by :func:`save_model`, in eval mode.

    Raises
    ------
    ModelFileError
        The weights or meta file is missing or corrupt, or the weights do not fit the
        architecture the meta describes.
    """
    path = Path(path)
    meta = read_meta(path)
    try:
        module = build_model(meta)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(meta_path(path), f"bad 'arch' {meta['arch']}: {exc}") from None
    if not path.is_file():
        raise ModelFileError(path, "weights file not found")
    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(path, f"corrupt safetensors file ({exc})") from None
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise ModelFileError(path, f"weights do not match the architecture: {first[:3]}") from None
    n_classes = len(meta["classes"])
    out_ch = getattr(getattr(module, "head", None), "out_channels", None)
    if out_ch is not None and out_ch != (1 if n_classes == 2 else n_classes):
        raise ModelFileError(path, f"{out_ch} outputs for {n_classes} classes {meta['classes']}")
    module.to(device).eval()
    return LoadedModel(module, meta)
