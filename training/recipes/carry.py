"""What a lent GPU machine is sent for a continuation round (:file:`gpu_continue.sh`).

``python -m training.recipes.carry --pack PACK --lite0 JOINT --out DIR [--fit-photos N]``

A lent machine takes a working tree of at most 64 MiB, so the shipped models (67 MB) stay here
and the round is sent what it starts from, made here:

- ``DIR/u.safetensors`` (+ ``.json``): the U-Net member of the shipped parsing ensembles as a
  joint network (:func:`training.recipes.joint.joint_from_models`, the parsing7 file's trunk,
  the parsing18 file's fine rows). The shipped cutout models are the Lite0 network's, so the
  U-Net's person and garment rows are fitted here instead (:func:`fit_cutout_rows`);
- ``DIR/l0.safetensors`` (+ ``.json``): the Lite0 member's joint network (``--lite0``);
- both stored as float16 (half the bytes; :func:`training.recipes.joint.load_joint` loads them
  as float32);
- ``DIR/click.safetensors`` (+ ``.json``): the shipped click model, the click job's start;
- ``PACK/starts.npz``: the shipped cutout models' masks of the pack's train photos
  (:func:`training.click_data.cached_starts`), the click job's proposal starts.

Then ``gpu_continue.sh PACK DIR/l0.safetensors DIR/u.safetensors OUT MINUTES`` with
``CLICK_INIT=DIR/click.safetensors`` and ``CLICK_EXTRA="--proposal-starts --starts-file
PACK/starts.npz ..."``, the shipped model files left out of the tree that travels
(training/README.md, "Round 3").
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from fashion_annotator.models.preprocess import InputSpec, to_input
from training.click_data import TaskSpec, cached_starts, load_photos
from training.data import list_samples, split_samples, task_mapping
from training.recipes.joint import OFFSETS, coarse_parents, joint_from_models, save_joint

#: Pixels drawn per photo for the cutout rows' fit.
FIT_PIXELS = 4000


def head_features(net: nn.Module, spec: InputSpec, rgb: np.ndarray) -> torch.Tensor:
    """The features the joint network's last layer reads, ``(C, h, w) float32`` over the photo's
    content (the letterbox padding cut off), at the network's output resolution."""
    seen: dict[str, torch.Tensor] = {}
    head = net.get_submodule("head")
    hook = head.register_forward_hook(lambda m, i, o: seen.__setitem__("x", i[0].detach()))
    try:
        x, geo = to_input(rgb, spec)
        with torch.no_grad():
            net(torch.from_numpy(x)[None])
    finally:
        hook.remove()
    return seen["x"][0, :, : geo.content[0], : geo.content[1]].float()


def fit_cutout_rows(
    net: nn.Module, spec: InputSpec, photos: list[np.ndarray], targets: dict[str, list[np.ndarray]], seed: int = 0
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Person and garment rows of a joint network's last layer fitted on its own features.

    A logistic regression per task (L-BFGS, a small L2 penalty) on :data:`FIT_PIXELS` pixels
    drawn from each photo.

    Parameters
    ----------
    net : nn.Module
        A joint network (eval mode) with a 1x1 ``head``.
    photos : list of ndarray
        ``(H, W, 3) uint8`` photos.
    targets : dict
        Task -> one ``(H, W) bool`` foreground mask per photo.

    Returns
    -------
    dict
        Task -> ``(weight (C,), bias ())`` of its row.
    """
    rng = np.random.default_rng(seed)
    feats: list[torch.Tensor] = []
    labels: dict[str, list[torch.Tensor]] = {t: [] for t in targets}
    for i, rgb in enumerate(photos):
        f = head_features(net, spec, rgb)
        c, h, w = f.shape
        idx = torch.from_numpy(rng.choice(h * w, min(FIT_PIXELS, h * w), replace=False))
        feats.append(f.reshape(c, -1)[:, idx].T)
        for task, masks in targets.items():
            small = F.interpolate(torch.from_numpy(masks[i])[None, None].float(), size=(h, w), mode="nearest")
            labels[task].append(small.reshape(-1)[idx])
    x = torch.cat(feats)
    rows = {}
    for task, ys in labels.items():
        y = torch.cat(ys)
        weight = torch.zeros(x.shape[1], requires_grad=True)
        bias = torch.zeros((), requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], max_iter=300)

        def closure(
            w: torch.Tensor = weight, b: torch.Tensor = bias, t: torch.Tensor = y, o: torch.optim.LBFGS = opt
        ) -> torch.Tensor:
            o.zero_grad()
            loss = F.binary_cross_entropy_with_logits(x @ w + b, t) + 1e-4 * (w**2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        rows[task] = (weight.detach(), bias.detach())
    return rows


def unet_joint(pack: Path, fit_photos: int) -> tuple[nn.Module, dict]:
    """The shipped ensembles' U-Net member as a joint network, its cutout rows fitted on the first
    ``fit_photos`` train photos of ``pack``; returns it and the trunk file's meta."""
    from fashion_annotator.segmentation.proposals import default_model_path

    data = pack / "ccp"
    parents = coarse_parents(json.loads((data / "taxonomies.json").read_text()))
    files = {t: default_model_path(t) for t in ("parsing7", "person", "garment", "parsing18")}
    net, meta = joint_from_models(files, "small", parents, trunk="parsing7")
    net.eval()
    train, _ = split_samples(list_samples(data), data)
    photos, labels = load_photos(train[:fit_photos], print)
    targets = {t: [task_mapping(data, t)[1][lab] == 1 for lab in labels] for t in ("person", "garment")}
    rows = fit_cutout_rows(net, InputSpec.from_meta(meta), photos, targets)
    head = net.get_submodule("head")
    assert isinstance(head, nn.Conv2d) and head.bias is not None
    with torch.no_grad():
        for task, (weight, bias) in rows.items():
            row = OFFSETS[task][0]
            head.weight[row, :, 0, 0] = weight
            head.bias[row] = bias
    return net, meta


def half_copy(joint: Path, out: Path) -> None:
    """``joint`` (+ its ``.json``) as float16 at ``out``."""
    state = load_file(str(joint))
    save_file({k: v.half().contiguous() for k, v in state.items()}, str(out))
    shutil.copy(joint.with_suffix(".json"), out.with_suffix(".json"))


def main(argv: list[str] | None = None) -> int:
    from fashion_annotator.segmentation.proposals import default_model_path

    p = argparse.ArgumentParser(prog="python -m training.recipes.carry", description=__doc__.split("\n")[0])
    p.add_argument("--pack", type=Path, required=True, help="a pack (python -m training.recipes.pack)")
    p.add_argument("--lite0", type=Path, required=True, help="the Lite0 member's joint.safetensors")
    p.add_argument("--out", type=Path, required=True, help="the folder that travels (git-ignored)")
    p.add_argument("--fit-photos", type=int, default=80, help="train photos the U-Net's cutout rows are fitted on")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    net, meta = unet_joint(args.pack, args.fit_photos)
    lite0_meta = json.loads(args.lite0.with_suffix(".json").read_text())
    spec = InputSpec.from_meta(lite0_meta)  # the members share the pack's letterbox and normalisation
    save_joint(args.out / "u_full.safetensors", net, "small", spec, {})
    half_copy(args.out / "u_full.safetensors", args.out / "u.safetensors")
    for suffix in (".safetensors", ".json"):
        (args.out / f"u_full{suffix}").unlink()
    half_copy(args.lite0, args.out / "l0.safetensors")
    click = default_model_path("click")
    shutil.copy(click, args.out / "click.safetensors")
    shutil.copy(click.with_suffix(".json"), args.out / "click.json")
    data = args.pack / "ccp"
    train, _ = split_samples(list_samples(data), data)
    photos, _ = load_photos(train, print)
    tasks = [TaskSpec(t, *task_mapping(data, t)) for t in ("garment", "person", "parsing7")]
    cached_starts(args.pack / "starts.npz", [s.name for s in train], photos, tasks, "cpu", print)
    sizes = {p.name: p.stat().st_size for p in sorted(args.out.iterdir())}
    print(json.dumps({"out": str(args.out), "bytes": sizes, "meta_of": meta.get("task")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
