"""Model files: weights in ``.safetensors`` (never pickled) plus a JSON meta file beside them."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.models.preprocess import InputSpec
from fashion_annotator.models.registry import architecture_of, build_model

#: Meta keys every model file carries (see docs/architecture.md).
REQUIRED_META = ("task", "classes", "arch", "input_size", "mean", "std")

#: Bounds checked before anything is allocated: U-Net ``arch`` integers, class count.
UNET_LIMITS = {"in_ch": (1, 16), "out_ch": (1, 256), "base": (1, 128), "depth": (1, 8)}
UNET_FLAGS = ("attention", "boundary_head")
#: Bounds of an EfficientNet-Lite U-Net's ``arch``: channels and the five decoder widths.
EFFUNET_LIMITS = {"in_ch": (1, 16), "out_ch": (1, 256)}
EFFUNET_DECODER = (5, 1, 512)
#: Keys of an ensemble's ``arch`` and of each of its members.
ENSEMBLE_LIMITS = {"in_ch": (1, 16), "out_ch": (1, 256)}
ENSEMBLE_MEMBER_KEYS = frozenset({"architecture", "arch", "logit_bias", "fine_head"})
MAX_CLASSES = 256
MAX_HEADER_BYTES = 16 << 20
FLOAT_DTYPES = frozenset({"F32", "F16", "BF16", "F64"})


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
    # safetensors writes 0600; model files get the umask's permissions like any file
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp))
    with atomic_path(meta_path(path)) as tmp:
        tmp.write_text(meta_json(meta))


def meta_json(meta: dict[str, Any]) -> str:
    """``meta`` as the JSON text of a model card: a figure that is not a number (NaN, not
    measured) is written ``null``, which every JSON reader accepts (``NaN`` is not JSON)."""

    def strict(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: strict(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [strict(v) for v in value]
        return value

    return json.dumps(strict(meta), indent=1, allow_nan=False) + "\n"


def update_meta(path: Path, **values: Any) -> dict[str, Any]:
    """Set ``values`` in the meta beside model file ``path`` (checked, written atomically).

    For settings chosen after training (inference settings, class biases); the weights are
    untouched. Raises :class:`ModelFileError` when the meta is unreadable or the result invalid.
    """
    meta = {**read_meta(path), **values}
    check_meta(meta, meta_path(path))
    with atomic_path(meta_path(path)) as tmp:
        tmp.write_text(meta_json(meta))
    return meta


def read_meta(path: Path) -> dict[str, Any]:
    """Read and check the JSON meta beside ``path``; raise :class:`ModelFileError` if bad."""
    path = Path(path)
    mpath = meta_path(path)
    if path.is_dir():
        raise ModelFileError(path, "a folder, not a model file")
    try:
        meta = json.loads(mpath.read_text())
    except FileNotFoundError:
        if not path.exists():  # the model itself first: "missing.json" hid a mistyped name
            raise ModelFileError(path, "model file does not exist") from None
        raise ModelFileError(mpath, f"meta JSON file not found (the model {path.name} needs it beside it)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(mpath, f"not valid JSON ({exc})") from None
    except RecursionError:
        raise ModelFileError(mpath, "not valid JSON (nested too deeply)") from None
    except OSError as exc:
        raise ModelFileError(mpath, f"cannot read ({exc.strerror or exc})") from None
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
    if (
        not isinstance(classes, list)
        or not 2 <= len(classes) <= MAX_CLASSES
        or not all(isinstance(c, str) for c in classes)
    ):
        raise ModelFileError(
            Path(where), f"classes must list two names or more (<= {MAX_CLASSES}), got "
            f"{str(classes)[:80]}"
        )
    if "arch" in required:
        _check_arch(meta, Path(where))
    size = meta.get("input_size")
    if not (isinstance(size, list) and all(_is_int(v) for v in size)):
        raise ModelFileError(Path(where), f"input_size must be [H, W] integers, got {str(size)[:60]}")
    try:
        InputSpec.from_meta(meta).for_inference(meta)
        threshold = float(meta.get("threshold", 0.5))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(Path(where), str(exc)) from None
    if not 0.0 < threshold < 1.0:
        raise ModelFileError(Path(where), f"threshold must lie in (0, 1), got {threshold}")
    for key in ("crop_pass", "flip_average"):
        if not isinstance(meta.get(key, False), bool):
            raise ModelFileError(Path(where), f"{key} must be true or false, got {str(meta[key])[:40]}")
    bias = meta.get("logit_bias")
    if bias is not None and not (
        isinstance(bias, list)
        and len(bias) == len(classes)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= 20 for v in bias)
    ):
        raise ModelFileError(
            Path(where), f"logit_bias must list one number in -20..20 per class, got {str(bias)[:60]}"
        )
    return meta


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_arch(meta: dict[str, Any], where: Path) -> None:
    """Bounds of a U-Net's ``arch``, so a hostile file cannot ask for a huge network."""
    try:
        name = architecture_of(meta)
    except ValueError as exc:
        raise ModelFileError(where, str(exc)) from None
    if name == "effunet":
        _check_effunet_arch(meta["arch"], where)
    if name == "ensemble":
        _check_ensemble_arch(meta["arch"], where)
    if name != "unet":
        return
    arch = meta["arch"]
    _check_ints(arch, UNET_LIMITS, {*UNET_FLAGS, "norm"}, where)
    if arch.get("norm", "group") not in ("group", "batch"):
        raise ModelFileError(where, f"bad 'arch': norm={str(arch['norm'])[:40]} not group or batch")
    for key in UNET_FLAGS:
        if not isinstance(arch.get(key, False), bool):
            raise ModelFileError(where, f"bad 'arch': {key} must be true or false")


def _check_ints(arch: dict[str, Any], limits: dict[str, tuple[int, int]], other: set[str], where: Path) -> None:
    """No key outside ``limits`` and ``other``; each integer key of ``limits`` within its bounds."""
    unknown = sorted(set(arch) - {*limits, *other})
    if unknown:
        raise ModelFileError(where, f"bad 'arch': unknown keys {unknown}")
    for key, (lo, hi) in limits.items():
        if key in arch and not (_is_int(arch[key]) and lo <= arch[key] <= hi):
            raise ModelFileError(where, f"bad 'arch': {key}={str(arch[key])[:40]} outside {lo}..{hi}")


def _check_effunet_arch(arch: dict[str, Any], where: Path) -> None:
    _check_ints(arch, EFFUNET_LIMITS, {"decoder"}, where)
    n, lo, hi = EFFUNET_DECODER
    decoder = arch.get("decoder", [lo] * n)
    if not (isinstance(decoder, list) and len(decoder) == n and all(_is_int(c) and lo <= c <= hi for c in decoder)):
        raise ModelFileError(where, f"bad 'arch': decoder must list {n} widths in {lo}..{hi}, got {str(decoder)[:60]}")


def _check_ensemble_arch(arch: dict[str, Any], where: Path) -> None:
    """An ensemble's members: 2 to ``MAX_MEMBERS``, each checked as its own architecture."""
    from fashion_annotator.models.ensemble import MAX_MEMBERS, fine_head_of

    _check_ints(arch, ENSEMBLE_LIMITS, {"members"}, where)
    members = arch.get("members")
    if not (isinstance(members, list) and 2 <= len(members) <= MAX_MEMBERS):
        raise ModelFileError(where, f"bad 'arch': an ensemble lists 2 to {MAX_MEMBERS} members")
    for i, member in enumerate(members):
        if not isinstance(member, dict) or set(member) - ENSEMBLE_MEMBER_KEYS or not isinstance(member.get("arch"), dict):
            raise ModelFileError(where, f"bad 'arch': member {i} must be an object of {sorted(ENSEMBLE_MEMBER_KEYS)}")
        if member.get("architecture") == "ensemble":
            raise ModelFileError(where, f"bad 'arch': member {i} is an ensemble")
        bias = member.get("logit_bias")
        if bias is not None and not (
            isinstance(bias, list) and all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bias)
        ):
            raise ModelFileError(where, f"bad 'arch': member {i} logit_bias must list finite numbers")
        try:
            fine_head_of(member.get("fine_head"), int(arch.get("out_ch", 1)), i)
        except ValueError as exc:
            raise ModelFileError(where, f"bad 'arch': {exc}") from None
        _check_arch(member, where)


def safetensors_header(path: Path) -> dict[str, Any]:
    """Read and check the header of a ``.safetensors`` file without reading the tensors.

    Returns
    -------
    dict
        Tensor name -> ``{"dtype", "shape", "data_offsets"}``.

    Raises
    ------
    ModelFileError
        Not a safetensors file (a pickle or a zip checkpoint is named as such; it is never
        unpickled), a damaged header, or tensors that are not floating point.
    """
    try:
        with open(path, "rb") as handle:
            size = Path(path).stat().st_size
            head = handle.read(8)
            first = handle.read(1)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            if not 0 < n <= min(MAX_HEADER_BYTES, size - 8) or first != b"{":
                raise ModelFileError(path, f"not a safetensors file ({_sniff(head)})")
            text = first + handle.read(n - 1)
    except OSError as exc:
        raise ModelFileError(path, f"cannot read ({exc.strerror or exc})") from None
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFileError(path, "not a safetensors file (damaged header)") from None
    if not isinstance(header, dict):
        raise ModelFileError(path, "not a safetensors file (header is not an object)")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    for name, info in tensors.items():
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list):
            raise ModelFileError(path, f"damaged header entry for {name!r}")
        if info.get("dtype") not in FLOAT_DTYPES:
            raise ModelFileError(
                path, f"tensor {name!r} has dtype {info.get('dtype')!r}; weights must be floating point"
            )
    return tensors


def _sniff(head: bytes) -> str:
    if head[:2] == b"PK":
        return "a zip archive, e.g. a torch.save checkpoint; refused, never unpickled"
    if head[:1] == b"\x80":
        return "a Python pickle; refused, never unpickled"
    if not head:
        return "empty file"
    return "unknown content"


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
        with torch.device("meta"):  # shapes only: nothing is allocated before the checks
            expected = build_model(meta).state_dict()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(meta_path(path), f"bad 'arch' {meta['arch']}: {exc}") from None
    if not path.is_file():
        raise ModelFileError(path, "weights file not found")
    header = safetensors_header(path)
    shapes = {k: list(v.shape) for k, v in expected.items()}
    found = {k: v["shape"] for k, v in header.items()}
    if shapes != found:
        diff = sorted(k for k in set(shapes) | set(found) if shapes.get(k) != found.get(k))
        raise ModelFileError(path, f"weights do not match the architecture: {diff[:3]}")
    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(path, f"corrupt safetensors file ({exc})") from None
    bad = [k for k, v in state.items() if not bool(torch.isfinite(v).all())]
    if bad:
        raise ModelFileError(path, f"weights hold NaN or infinite values ({', '.join(bad[:3])})")
    module = build_model(meta)
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
