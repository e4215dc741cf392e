"""Give a coarse parsing ensemble the fine head of the same trunks.

``python -m training.recipes.fine_head COARSE.safetensors FINE.safetensors --out OUT.safetensors``

The shipped parsing7 and parsing18 ensembles are the same two networks (U-Net and Lite0, trained
jointly by the GPU recipe) exported with different heads. This writes COARSE again with each
member's network ending in both heads (the coarse logits, then the fine ones) and a
``fine_head`` spec: the member's coarse probabilities become ``(1 - weight)`` times its own
softmax plus ``weight`` times the fine softmax summed into each fine class's coarse parent
(:class:`~fashion_annotator.models.ensemble.Ensemble`). The parents come from the taxonomy
mapping (default: the bundled CCP one; :func:`~training.recipes.joint.coarse_parents`): each
fine class goes to the coarse class most of its source labels map to. The members must match
one to one, with the same architecture and equal weights everywhere but the last layer (else
the two heads would not read the same features).

Measured (CCP val, the networks' cutouts, weight 0.5 chosen on CCP train photos 0-199): parsing7
mIoU 0.7102 -> 0.7117, pixel accuracy 0.9474 -> 0.9484. ``--figures EVAL.json`` (an
``evaluate`` JSON of the result) writes its CCP val figures into the meta. The file is written
atomically and checked to load.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import torch

from fashion_annotator.models.ensemble import Ensemble
from fashion_annotator.models.registry import architecture_of
from fashion_annotator.models.weights import LoadedModel, load_model, save_model
from fashion_annotator.resources import resource_path
from training.recipes.joint import coarse_parents

#: Share of the fine head in a member's coarse probabilities (chosen on CCP train, see above).
DEFAULT_WEIGHT = 0.5
HEAD = "head."


def with_fine_head(
    coarse: tuple[Path, LoadedModel], fine: tuple[Path, LoadedModel], parents: list[int], weight: float = DEFAULT_WEIGHT
) -> tuple[Ensemble, dict[str, Any]]:
    """The coarse ensemble whose members also read the fine ensemble's heads.

    Returns
    -------
    module, meta
        The new :class:`Ensemble` (float32) and its meta (the coarse file's, with a new version,
        the members' ``fine_head`` specs and the fine file named in the model card; its CCP
        figures removed, since they were the coarse file's).

    Raises
    ------
    ValueError
        Either file is not an ensemble or has a fine head already, the members do not pair up
        (count, architecture, weights outside the last layer), ``parents`` does not fit the two
        files' classes, or ``weight`` lies outside [0, 1].
    """
    (cpath, c), (fpath, f) = coarse, fine
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the fine head's weight must lie in [0, 1], got {weight}")
    for path, loaded in ((cpath, c), (fpath, f)):
        if architecture_of(loaded.meta) != "ensemble":
            raise ValueError(f"{path}: not an ensemble")
    n_coarse, n_fine = len(c.meta["classes"]), len(f.meta["classes"])
    if len(parents) != n_fine or not all(0 <= p < n_coarse for p in parents):
        raise ValueError(f"parents must give one of {n_coarse} {cpath.name} classes for each of {n_fine} {fpath.name} classes")
    cspecs, fspecs = c.meta["arch"]["members"], f.meta["arch"]["members"]
    cmembers, fmembers = cast(Ensemble, c.module).members, cast(Ensemble, f.module).members
    if len(cspecs) != len(fspecs):
        raise ValueError(f"{cpath} has {len(cspecs)} members, {fpath} {len(fspecs)}")
    specs, state = [], {}
    for i, (cs, fs, cnet, fnet) in enumerate(zip(cspecs, fspecs, cmembers, fmembers, strict=True)):
        for path, member in ((cpath, cs), (fpath, fs)):
            if member.get("fine_head"):
                raise ValueError(f"{path}: member {i} has a fine head already (start from a file without one)")
        if architecture_of(cs) != architecture_of(fs):
            raise ValueError(f"member {i}: {architecture_of(cs)} in {cpath.name} but {architecture_of(fs)} in {fpath.name}")
        cstate, fstate = cnet.state_dict(), fnet.state_dict()
        for key, value in cstate.items():
            if not key.startswith(HEAD) and not torch.equal(value.float(), fstate[key].float()):
                raise ValueError(f"member {i}: {key} differs between {cpath.name} and {fpath.name}: not one trunk")
        spec = copy.deepcopy(cs)
        spec["arch"]["out_ch"] = n_coarse + n_fine
        spec["fine_head"] = {"parents": list(parents), "weight": float(weight)}
        specs.append(spec)
        for key, value in cstate.items():
            if key.startswith(HEAD):
                value = torch.cat([value.float(), fstate[key].float()])
            state[f"members.{i}.{key}"] = value.float()
    arch = {**c.meta["arch"], "members": specs}
    module = Ensemble(in_ch=int(arch.get("in_ch", 3)), out_ch=n_coarse, members=specs)
    module.load_state_dict(state, strict=True)
    now = datetime.now(timezone.utc)
    meta = {k: v for k, v in copy.deepcopy(c.meta).items() if k not in ("figures_val", "metrics")}
    meta.update(arch=arch, version=now.strftime("%Y%m%d-%H%M%S"), date=now.isoformat())
    fine_names = [str(x) for x in f.meta["classes"]]
    meta["model_card"] = {
        **(meta.get("model_card") or {}),
        "fine_head": {
            "file": fpath.name, "version": f.meta.get("version"), "task": f.meta.get("task"), "weight": float(weight),
            "parents": {fine_names[j]: str(c.meta["classes"][p]) for j, p in enumerate(parents)},
            "combination": "each member: (1 - weight) x its own softmax + weight x its fine softmax summed into the parents",
        },
    }  # fmt: skip
    meta["trained_on"] = sorted({*(c.meta.get("trained_on") or ()), *(f.meta.get("trained_on") or ())})
    return module, meta


def figures_from(evaluation: dict[str, Any]) -> dict[str, float]:
    """``miou`` and ``pixel_accuracy`` of an ``evaluate --json`` result (``ValueError`` if absent)."""
    try:
        return {k: round(float(evaluation[k]), 4) for k in ("miou", "pixel_accuracy")}
    except (KeyError, TypeError, ValueError):
        raise ValueError("the evaluation JSON has no miou and pixel_accuracy") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recipes.fine_head", description=__doc__.split("\n")[0])
    parser.add_argument("coarse", type=Path, help="the coarse ensemble (e.g. resources/models/parsing7.safetensors)")
    parser.add_argument("fine", type=Path, help="the fine ensemble of the same trunks (e.g. parsing18.safetensors)")
    parser.add_argument("--out", type=Path, required=True, help="the new coarse model's .safetensors (meta beside it)")
    parser.add_argument("--weight", type=float, default=DEFAULT_WEIGHT, help="share of the fine head (0..1)")
    parser.add_argument("--mapping", type=Path, default=None,
                        help="taxonomy mapping JSON (default: the bundled CCP mapping)")  # fmt: skip
    parser.add_argument("--figures", type=Path, default=None, help="an `evaluate --json` result of this model: its CCP val figures")
    args = parser.parse_args(argv)
    try:
        cm, fm = load_model(args.coarse), load_model(args.fine)
        mapping_path = args.mapping or resource_path("taxonomies", "mappings", "ccp.json")
        mapping = json.loads(Path(mapping_path).read_text(encoding="utf-8"))
        parents = coarse_parents(mapping, str(cm.meta["task"]), str(fm.meta["task"]))
        module, meta = with_fine_head((args.coarse, cm), (args.fine, fm), parents, args.weight)
        if args.figures is not None:
            evaluation = json.loads(args.figures.read_text(encoding="utf-8"))
            meta["figures_val"] = meta["metrics"] = figures_from(evaluation)
            meta["model_card"]["figures_val_measured"] = {
                k: evaluation.get(k) for k in ("split", "n_images", "cutouts", "refinements", "per_class_iou")
            }
    except (ValueError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if meta.get("stored_dtype") == "float16":
        module = module.half()
    save_model(args.out, module, meta)
    load_model(args.out)
    print(json.dumps({"out": str(args.out), "version": meta["version"], "parents": meta["model_card"]["fine_head"]["parents"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
