"""The joint network of the GPU recipe: one U-Net whose last layer holds every task's logits.

parsing7 (channels 0..6), person (7), garment (8) and, with a parsing18 head, the fine parsing
(9..26). Building it, saving and loading it (``joint.safetensors`` + JSON), starting it from
the shipped single-task models, and running it on a photo live here; training is in
:mod:`training.recipes.gpu`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.models.ensemble import Ensemble
from fashion_annotator.models.preprocess import InputSpec, to_input
from fashion_annotator.models.registry import architecture_of, build_model
from fashion_annotator.models.weights import meta_json
from training.pseudo import PSEUDO_TASKS

CLASSES = {
    "parsing7": ["background", "skin", "hair", "top", "shoes", "bottom", "dress"],
    "person": ["background", "person"],
    "garment": ["background", "garment"],
    "parsing18": [c.name for c in load_taxonomy("parsing18").classes],
}
#: Logit channels of the joint network: parsing7 0..6, person 7, garment 8 (and parsing18 9..26).
OFFSETS = {"parsing7": (0, 7), "person": (7, 8), "garment": (8, 9), "parsing18": (9, 27)}
#: Label channels of a pack: the pseudo-labelled tasks, then the fine parsing (CCP train only;
#: pseudo-labelled photos carry IGNORE there).
LABEL_TASKS = (*PSEUDO_TASKS, "parsing18")
BASE_CHANNELS = OFFSETS["garment"][1]
FULL_CHANNELS = OFFSETS["parsing18"][1]
SIZES: dict[str, dict[str, Any]] = {
    "small": {"base": 16, "depth": 5},
    "large": {"base": 32, "depth": 5},
    "lite0": {"decoder": [96, 64, 48, 32, 16]},
}
#: Sizes built as :class:`~fashion_annotator.models.effunet.EffUNet` (an ImageNet encoder), the
#: others as :class:`~fashion_annotator.models.unet.UNet`.
ENCODER_SIZES = ("lite0",)


def net_architecture(size: str) -> str:
    """The registry name (:data:`~fashion_annotator.models.registry.ARCHITECTURES`) of a size."""
    return "effunet" if size in ENCODER_SIZES else "unet"


def build_net(size: str, out_ch: int = BASE_CHANNELS) -> nn.Module:
    """The joint network: :data:`BASE_CHANNELS` logits, or :data:`FULL_CHANNELS` with parsing18."""
    return build_model({"architecture": net_architecture(size), "arch": net_arch(size, out_ch)})


def net_arch(size: str, out_ch: int = BASE_CHANNELS) -> dict[str, Any]:
    """The ``arch`` meta of :func:`build_net` (exported single-task models)."""
    if size in ENCODER_SIZES:
        return {"in_ch": 3, "out_ch": out_ch, **SIZES[size]}
    return {"in_ch": 3, "out_ch": out_ch, "norm": "group", "attention": True, "boundary_head": False, **SIZES[size]}


def net_tasks(net: nn.Module) -> tuple[str, ...]:
    """The tasks whose logits the joint network has (its head's width decides)."""
    return (*PSEUDO_TASKS, "parsing18") if head_channels(net) >= FULL_CHANNELS else PSEUDO_TASKS


def head_channels(net: nn.Module) -> int:
    """Output channels of a network's last layer (``head``, a 1x1 convolution)."""
    head = net.head
    if not isinstance(head, nn.Conv2d):
        raise TypeError(f"{type(net).__name__}.head is not a convolution")
    return int(head.out_channels)


def save_joint(path: Path, net: nn.Module, size: str, spec: InputSpec, extra: dict) -> None:
    """The joint network (all heads) for relabelling, distillation and later fine-tunes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().float().cpu().contiguous() for k, v in net.state_dict().items()}, str(path))
    path.with_suffix(".json").write_text(meta_json({"size": size, **spec.meta(), **extra}))


def load_joint(path: Path, device: torch.device) -> tuple[nn.Module, InputSpec]:
    meta = json.loads(path.with_suffix(".json").read_text())
    state = load_file(str(path))
    net = build_net(meta["size"], int(state["head.weight"].shape[0]))
    net.load_state_dict(state)
    return net.to(device).eval(), InputSpec.from_meta(meta)


def coarse_parents(taxonomies: dict, coarse: str = "parsing7", fine: str = "parsing18") -> list[int]:
    """Each ``fine`` class's ``coarse`` class: the one most source labels of it map to.

    Parameters
    ----------
    taxonomies : dict
        A CCP-style ``taxonomies.json`` (or the bundled ``resources/taxonomies/mappings/ccp.json``):
        task -> ``{"classes": [...], "from_ccp": {source label: class index}}``.

    Raises
    ------
    ValueError
        A task missing from ``taxonomies``, or a fine class no source label maps to.
    """
    for task in (coarse, fine):
        if task not in taxonomies:
            raise ValueError(f"the mapping has no {task!r} (it has {', '.join(taxonomies)})")
    src_fine, src_coarse = taxonomies[fine]["from_ccp"], taxonomies[coarse]["from_ccp"]
    votes = np.zeros((len(taxonomies[fine]["classes"]), len(taxonomies[coarse]["classes"])), np.int64)
    for src, dst in src_fine.items():
        votes[int(dst), int(src_coarse.get(src, 0))] += 1
    empty = [taxonomies[fine]["classes"][i] for i in np.flatnonzero(votes.sum(1) == 0)]
    if empty:
        raise ValueError(f"no source label maps to the {fine} classes {empty}")
    return [int(i) for i in votes.argmax(1)]


def add_parsing18_rows(weight: torch.Tensor, bias: torch.Tensor, parents: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """A :data:`BASE_CHANNELS` head's weight and bias with parsing18 rows appended, each a copy of
    its parsing7 class's row (``parents``: :func:`coarse_parents`)."""
    return torch.cat([weight, weight[parents].clone()]), torch.cat([bias, bias[parents].clone()])


def single_network(module: nn.Module, meta: dict[str, Any], architecture: str, path: Path) -> nn.Module:
    """``module`` itself, or for an ensemble model file its first member of ``architecture``
    (the shipped parsing7 is an ensemble of a U-Net and a Lite0 network: a joint network of
    either size goes on from its own kind).

    Raises
    ------
    ValueError
        An ensemble without a member of ``architecture`` (naming ``path``).
    """
    if not isinstance(module, Ensemble):
        return module
    for spec, member in zip(meta["arch"]["members"], module.members, strict=True):
        if architecture_of(spec) == architecture:
            return member
    raise ValueError(f"{path}: an ensemble with no {architecture} member")


def joint_from_models(files: dict[str, Path], size: str = "small", parents: list[int] | None = None,
                      trunk: str | None = None) -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """A joint network started from single-task model files of the same trunk architecture.

    The trunk comes from ``files["parsing7"]``; each task's slice of the last layer from its own
    file (the shipped person and garment models were fine-tuned apart, so their heads start
    close to, not exactly on, the parsing trunk's features; fine-tuning aligns them). With
    ``parents`` (:func:`coarse_parents`) the network also gets a parsing18 head: continued from
    ``files["parsing18"]`` when given (its trunk and its head, so a fine-tune goes on from the
    shipped fine parsing), else rows that start as copies of their parsing7 class's rows (the
    fine parsing starts as the coarse one). ``trunk`` names the file whose trunk is kept
    (default: parsing18 when it is given with ``parents``, else parsing7): ``"parsing7"`` keeps a
    parsing7 trunk that was trained longer than the shipped parsing18's, its parsing18 head rows
    still coming from ``files["parsing18"]``. Returns the network and the trunk model's meta (its
    normalisation is kept).

    Raises
    ------
    ValueError
        ``trunk`` names a task without a file in ``files``.
    """
    from fashion_annotator.models.weights import load_model

    loaded = {t: load_model(f) for t, f in files.items()}
    states = {t: single_network(m.module, m.meta, net_architecture(size), f).state_dict()
              for (t, m), f in zip(loaded.items(), files.values(), strict=True)}  # fmt: skip
    net = build_net(size, BASE_CHANNELS if parents is None else FULL_CHANNELS)
    if trunk is None:
        trunk = "parsing18" if parents is not None and "parsing18" in loaded else "parsing7"
    if trunk not in loaded:
        raise ValueError(f"trunk {trunk!r}: no model file given for it (files: {', '.join(files)})")
    state = {k: v.clone() for k, v in states[trunk].items() if not k.startswith("head.")}
    # A task's own rows come first (a parsing7 file whose members carry a fine head ends with them).
    width = {t: hi - lo for t, (lo, hi) in OFFSETS.items()}
    weight = torch.cat([states[t]["head.weight"][: width[t]] for t in PSEUDO_TASKS])
    bias = torch.cat([states[t]["head.bias"][: width[t]] for t in PSEUDO_TASKS])
    if parents is not None and "parsing18" in states:
        fine = states["parsing18"]
        weight, bias = torch.cat([weight, fine["head.weight"]]), torch.cat([bias, fine["head.bias"]])
    elif parents is not None:
        weight, bias = add_parsing18_rows(weight, bias, parents)
    state["head.weight"], state["head.bias"] = weight, bias
    net.load_state_dict(state)
    return net, loaded[trunk].meta


@torch.no_grad()
def joint_outputs(net: nn.Module, spec: InputSpec, rgb: np.ndarray, device: torch.device,
                  parsing_probs: bool = False) -> dict[str, np.ndarray]:  # fmt: skip
    """Full-resolution outputs of every head for one photo (letterbox, as in the app).

    Returns ``parsing7``: ``(7, H, W)`` probabilities when ``parsing_probs`` else ``(H, W) uint8``
    class ids (decided on the device, so only one map crosses to the host); ``person`` and
    ``garment``: ``(H, W) float32`` foreground probabilities; ``parsing18`` (networks with that
    head): ``(H, W) uint8`` class ids.
    """
    x, geo = to_input(rgb, spec)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        logits = net(torch.from_numpy(x)[None].to(device))
    logits = logits[:, :, : geo.content[0], : geo.content[1]].float()
    big = F.interpolate(logits, size=rgb.shape[:2], mode="bilinear", align_corners=False)[0]
    parsing = torch.softmax(big[0:7], 0) if parsing_probs else big[0:7].argmax(0).to(torch.uint8)
    out = {
        "parsing7": parsing.cpu().numpy(),
        "person": torch.sigmoid(big[7]).cpu().numpy(),
        "garment": torch.sigmoid(big[8]).cpu().numpy(),
    }
    if big.shape[0] >= FULL_CHANNELS:
        lo, hi = OFFSETS["parsing18"]
        out["parsing18"] = big[lo:hi].argmax(0).to(torch.uint8).cpu().numpy()
    return out
