"""Combine trained model files of one task into one ensemble model file.

``python -m training.recipes.ensemble MEMBER.safetensors MEMBER.safetensors ... --out OUT.safetensors``
writes an :class:`~fashion_annotator.models.ensemble.Ensemble` whose members are the given
networks, each with its own per-class logit bias (``logit_bias`` of its meta) kept inside the
ensemble. The members must propose the same task with the same classes from the same input
(normalisation, letterbox, stride, training long side); the ensemble's inference settings are
the first member's unless ``--long-side`` / ``--flip-average`` say otherwise, and its
provenance (``trained_on``, ``val_images``) is the union of the members'. ``--half`` stores the
weights as float16 (the file is half the size; they load into float32 networks). The file is
written atomically and checked to load.

A member may be named inside an existing ensemble, ``ENSEMBLE.safetensors#I`` (its ``I``-th
member, from 0; :func:`member_of`): a new pair keeps one network of a shipped pair and takes a
continued one in place of the other without re-training or re-exporting the kept one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from torch import nn

from fashion_annotator.models.ensemble import MAX_MEMBERS, Ensemble
from fashion_annotator.models.registry import architecture_of
from fashion_annotator.models.weights import LoadedModel, ModelFileError, load_model, save_model

#: Meta keys every member must share with the first.
SHARED_KEYS = ("task", "classes", "input_size", "mean", "std", "resize", "long_side", "stride")


def member_of(path: Path, loaded: LoadedModel, index: int) -> LoadedModel:
    """Member ``index`` of the ensemble ``loaded`` (read from ``path``) as a model file of its own.

    Its meta is the ensemble's (task, classes, input, provenance) with the member's architecture
    and ``arch``, and the member's ``logit_bias`` when it has one.

    Raises
    ------
    ValueError
        ``path`` is not an ensemble, has no member ``index``, or the member carries a fine head
        (its network has the fine classes' outputs too: it is not a model of the task alone).
    """
    if architecture_of(loaded.meta) != "ensemble":
        raise ValueError(f"{path}: not an ensemble, so it has no member #{index}")
    specs = loaded.meta["arch"]["members"]
    if not 0 <= index < len(specs):
        raise ValueError(f"{path}: has members #0 to #{len(specs) - 1}, not #{index}")
    spec = specs[index]
    if spec.get("fine_head"):
        raise ValueError(f"{path}: member #{index} has a fine head (take it from the file without one)")
    meta = {k: v for k, v in loaded.meta.items() if k not in ("arch", "logit_bias", "model_card", "stored_dtype")}
    meta.update(architecture=architecture_of(spec), arch=dict(spec["arch"]))
    if spec.get("logit_bias") is not None:
        meta["logit_bias"] = [float(b) for b in spec["logit_bias"]]
    module = cast(Ensemble, loaded.module).members[index]
    return LoadedModel(module=module, meta=meta)


def load_member(name: str) -> tuple[Path, LoadedModel]:
    """``(path, model)`` for a member argument: a model file, or ``ENSEMBLE.safetensors#I``.

    Raises
    ------
    ValueError
        A ``#`` suffix that is not a whole number, or :func:`member_of`'s refusals.
    OSError, ModelFileError
        The file cannot be read or is not a model file.
    """
    base, sep, index = name.rpartition("#")
    if not sep or Path(name).exists():
        return Path(name), load_model(Path(name))
    if not index.isdigit():
        raise ValueError(f"{name}: the member after '#' must be a whole number, got {index!r}")
    return Path(name), member_of(Path(base), load_model(Path(base)), int(index))


def combine(members: list[tuple[Path, LoadedModel]]) -> tuple[nn.Module, dict[str, Any]]:
    """The ensemble of ``members`` (path, loaded model file) and its meta.

    Raises
    ------
    ValueError
        Fewer than 2 or more than ``MAX_MEMBERS`` members, a member that is itself an
        ensemble, or members that differ in a :data:`SHARED_KEYS` entry (naming the file).
    """
    if not 2 <= len(members) <= MAX_MEMBERS:
        raise ValueError(f"an ensemble has 2 to {MAX_MEMBERS} members, got {len(members)}")
    first_path, first = members[0]
    specs: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    for i, (path, loaded) in enumerate(members):
        meta = loaded.meta
        if architecture_of(meta) == "ensemble":
            raise ValueError(f"{path}: is an ensemble already; list its members instead")
        for key in SHARED_KEYS:
            if meta.get(key) != first.meta.get(key):
                raise ValueError(f"{path}: {key} {meta.get(key)!r} differs from {first_path}'s {first.meta.get(key)!r}")
        spec: dict[str, Any] = {"architecture": architecture_of(meta), "arch": meta["arch"]}
        if meta.get("logit_bias") is not None:
            spec["logit_bias"] = [float(b) for b in meta["logit_bias"]]
        specs.append(spec)
        state.update({f"members.{i}.{k}": v for k, v in loaded.module.state_dict().items()})
    out_ch = int(first.meta["arch"]["out_ch"])
    module = Ensemble(in_ch=int(first.meta["arch"].get("in_ch", 3)), out_ch=out_ch, members=specs)
    module.load_state_dict(state, strict=True)
    trained = sorted({s for _, m in members for s in m.meta.get("trained_on") or ()})
    val = sorted({s for _, m in members for s in m.meta.get("val_images") or ()} - set(trained))
    now = datetime.now(timezone.utc)
    meta = {key: first.meta[key] for key in SHARED_KEYS if key in first.meta}
    meta.update(
        architecture="ensemble",
        arch={"in_ch": int(first.meta["arch"].get("in_ch", 3)), "out_ch": out_ch, "members": specs},
        version=now.strftime("%Y%m%d-%H%M%S"),
        date=now.isoformat(),
        trained_on=trained,
        val_images=val,
        training_data_fingerprint=hashlib.sha256("\n".join(trained).encode()).hexdigest(),
        model_card={
            "members": [
                {"file": p.name, "version": m.meta.get("version"), "architecture": architecture_of(m.meta),
                 "model_card": m.meta.get("model_card")}
                for p, m in members
            ],  # fmt: skip
            "combination": "mean of the members' class probabilities (each after its own logit_bias)",
        },
    )
    for key in ("threshold", "infer_long_side", "flip_average", "crop_pass"):
        if key in first.meta:
            meta[key] = first.meta[key]
    return module, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recipes.ensemble", description=__doc__.split("\n")[0])
    parser.add_argument("members", nargs="+",
                        help="model files of one task (.safetensors), or ENSEMBLE.safetensors#I for an ensemble's I-th member")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="the ensemble's .safetensors (meta beside it)")
    parser.add_argument("--long-side", type=int, help="infer_long_side of the ensemble (default: the first member's)")
    parser.add_argument("--flip-average", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--half", action="store_true",
                        help="store the weights as float16 (half the file; loaded as float32)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        module, meta = combine([load_member(name) for name in args.members])
    except (ValueError, OSError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.long_side is not None:
        meta["infer_long_side"] = args.long_side
    if args.flip_average is not None:
        meta["flip_average"] = args.flip_average
    if args.half:
        meta["stored_dtype"] = "float16"
        module = module.half()
    save_model(args.out, module, meta)
    load_model(args.out)
    print(json.dumps({"out": str(args.out), "members": [str(p) for p in args.members], "version": meta["version"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
