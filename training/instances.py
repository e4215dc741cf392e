"""Train the fine-category instance classifier from a CCP-format folder.

Samples come from each training photo twice: the ground-truth instances (8-connected
components of every fine garment and accessory label) and the instances the proposal code
derives from the photo's parsing7 mask (what the classifier sees at prediction time, where a
blazer over a shirt may be one "top" component), labelled with their majority fine label.

With ``--unlabeled DIR`` (a folder of photos with image-level tags, ``tags.json``: CCP ids present
per photo, like ``ccp-unlabeled``) the shipped parsing7 and garment models propose instances on
those photos and an instance is kept, as a pseudo-labelled training sample, when the photo's tags
leave exactly one fine category under its parsing class (a "top" in a photo tagged blazer but no
other top); the rest are dropped. Validation stays on labelled CCP val.

    python -m training.instances --data ../shared/datasets/ccp --out runs/inst --max-minutes 35 \
        [--unlabeled ../shared/datasets/ccp-unlabeled --cache-dir runs/inst_cache]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fashion_annotator.core.labels import Taxonomy, load_taxonomy
from fashion_annotator.core.samples import read_sample
from fashion_annotator.instances.classifier import CATEGORY_TASK, InstanceNet
from fashion_annotator.instances.derive import (
    DerivedInstances,
    ground_truth_instances,
    instance_boxes,
    propose_instances,
)
from fashion_annotator.instances.features import MEAN, STD, crop_all, normalise
from fashion_annotator.instances.schema import InstanceTaxonomy, load_instance_taxonomy
from fashion_annotator.models.weights import save_model
from training.data import list_samples, split_samples, task_mapping

PARENT_TASK = "parsing7"


@dataclass
class InstanceSamples:
    """Crops ``(N, S, S, 4) uint8``, geometry ``(N, 6)``, parent ids ``(N,)``, labels ``(N,)``."""

    crops: np.ndarray
    geometry: np.ndarray
    parents: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def ccp_fine_ids(data_dir: Path, taxonomy: InstanceTaxonomy) -> dict[int, int]:
    """CCP label id -> category id, by name (``labels.json``)."""
    names = json.loads((Path(data_dir) / "labels.json").read_text())
    known = set(taxonomy.names)
    return {int(i): taxonomy.index(n) for i, n in names.items() if n in known}


def photo_instances(
    labels: np.ndarray, fine: dict[int, int], lut7: np.ndarray, tax7: Taxonomy, taxonomy: InstanceTaxonomy
) -> list[tuple[DerivedInstances, list[int], list[str]]]:
    """Ground-truth and parsing7-derived instances of one labelled photo.

    Returns
    -------
    list of (instances, category ids, parent class names), one entry per derivation.
    """
    gt = ground_truth_instances(labels, sorted(fine))
    gt_cats = [fine[c] for c in gt.classes]
    gt_par = [taxonomy.categories[c].parent(PARENT_TASK) for c in gt_cats]
    parsing = lut7[labels]
    garment = np.isin(labels, sorted(fine))
    coarse = propose_instances(parsing, tax7, taxonomy, garment)
    lut = np.full(256, -1, np.int64)
    for src, cat in fine.items():
        lut[src] = cat
    cats, pars, keep = [], [], []
    for k, cid in enumerate(coarse.classes, start=1):
        vals = lut[labels[coarse.map == k]]
        vals = vals[vals >= 0]
        if vals.size == 0:
            continue
        cats.append(int(np.bincount(vals).argmax()))
        pars.append(tax7.classes[cid].name)
        keep.append(k)
    remap = np.zeros(256, np.uint8)
    remap[keep] = np.arange(1, len(keep) + 1)
    coarse = DerivedInstances(remap[coarse.map], [coarse.classes[k - 1] for k in keep])
    return [(gt, gt_cats, gt_par), (coarse, cats, pars)]


def build_samples(samples, data_dir: Path, taxonomy: InstanceTaxonomy, size: int, parents: list[str]) -> InstanceSamples:
    """Crop every instance of ``samples`` (photos with CCP masks)."""
    fine = ccp_fine_ids(data_dir, taxonomy)
    _, lut7 = task_mapping(data_dir, PARENT_TASK)
    tax7 = load_taxonomy(PARENT_TASK)
    crops: list[np.ndarray] = []
    geoms: list[np.ndarray] = []
    pars: list[int] = []
    labels: list[int] = []
    for s in samples:
        rgb, mask = read_sample(s)
        for inst, cats, par in photo_instances(mask, fine, lut7, tax7, taxonomy):
            ids = list(range(1, len(inst) + 1))
            c, g = crop_all(rgb, inst.map, ids, instance_boxes(inst.map), size)
            crops.append(c)
            geoms.append(g)
            pars.extend(parents.index(p) for p in par)
            labels.extend(cats)
    return InstanceSamples(
        np.concatenate(crops), np.concatenate(geoms), np.array(pars, np.int64), np.array(labels, np.int64)
    )


def cached_samples(samples, data_dir, taxonomy, size, parents, cache_dir: Path | None, split: str) -> InstanceSamples:
    """:func:`build_samples`, kept in ``cache_dir/instances_<split>_<size>.npz`` when given."""
    path = None if cache_dir is None else Path(cache_dir) / f"instances_{split}_{size}_{len(samples)}.npz"
    return _cached(path, lambda: build_samples(samples, data_dir, taxonomy, size, parents))


def _cached(path: Path | None, build: Callable[[], InstanceSamples]) -> InstanceSamples:
    """``build()``, kept in the ``.npz`` file ``path`` (read from it when present)."""
    if path is not None and path.is_file():
        with np.load(path) as z:
            return InstanceSamples(z["crops"], z["geometry"], z["parents"], z["labels"])
    data = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, crops=data.crops, geometry=data.geometry, parents=data.parents, labels=data.labels)
    return data


def tag_pseudo_samples(
    unlabeled_dir: Path,
    data_dir: Path,
    taxonomy: InstanceTaxonomy,
    size: int,
    parents: list[str],
    limit: int | None = None,
    log=print,
) -> tuple[InstanceSamples, dict[str, int]]:
    """Pseudo-labelled instances of tagged photos (see the module docstring).

    Returns
    -------
    samples : InstanceSamples
    counts : dict
        ``photos``, ``proposed`` instances, ``kept`` (one candidate), ``ambiguous`` (several),
        ``untagged`` (none).
    """
    from fashion_annotator.core.images import load_image
    from fashion_annotator.segmentation.proposals import load_predictor

    tags = json.loads((Path(unlabeled_dir) / "tags.json").read_text())
    fine = ccp_fine_ids(data_dir, taxonomy)
    tax7 = load_taxonomy(PARENT_TASK)
    parsing = load_predictor(PARENT_TASK, device="cpu")
    garment = load_predictor("garment", device="cpu")
    counts = {"photos": 0, "proposed": 0, "kept": 0, "ambiguous": 0, "untagged": 0}
    crops: list[np.ndarray] = []
    geoms: list[np.ndarray] = []
    pars: list[int] = []
    labels: list[int] = []
    for stem in sorted(tags)[:limit]:
        path = Path(unlabeled_dir) / "images" / f"{stem}.jpg"
        if not path.is_file():
            continue
        rgb = load_image(path).rgb
        parsing.set_image(rgb)
        garment.set_image(rgb)
        derived = propose_instances(
            parsing.predict().mask, tax7, taxonomy, garment.predict().mask
        )
        present = {fine[int(t)] for t in tags[stem] if int(t) in fine}
        ids, cats, par_names = [], [], []
        for k, cid in enumerate(derived.classes, start=1):
            parent = tax7.classes[cid].name
            options = [c for c in present if taxonomy.categories[c].parent(PARENT_TASK) == parent]
            counts["proposed"] += 1
            if len(options) == 1:
                ids.append(k)
                cats.append(options[0])
                par_names.append(parent)
                counts["kept"] += 1
            else:
                counts["ambiguous" if options else "untagged"] += 1
        counts["photos"] += 1
        if ids:
            c, g = crop_all(rgb, derived.map, ids, instance_boxes(derived.map), size)
            crops.append(c)
            geoms.append(g)
            pars.extend(parents.index(p) for p in par_names)
            labels.extend(cats)
        if counts["photos"] % 100 == 0:
            log(json.dumps({"event": "pseudo", **counts}))
    if not labels:
        raise ValueError(f"{unlabeled_dir}: no instance got a single category from its tags")
    data = InstanceSamples(
        np.concatenate(crops), np.concatenate(geoms), np.array(pars, np.int64), np.array(labels, np.int64)
    )
    return data, counts


def cached_pseudo_samples(
    unlabeled_dir: Path, data_dir: Path, taxonomy, size: int, parents, cache_dir: Path | None, limit, log
) -> InstanceSamples:
    """:func:`tag_pseudo_samples`, kept in ``cache_dir/instances_pseudo_<size>_<limit>.npz``."""
    path = None if cache_dir is None else Path(cache_dir) / f"instances_pseudo_{size}_{limit}.npz"

    def build() -> InstanceSamples:
        data, counts = tag_pseudo_samples(unlabeled_dir, data_dir, taxonomy, size, parents, limit, log)
        log(json.dumps({"event": "pseudo_done", **counts}))
        return data

    return _cached(path, build)


def _augment(x: torch.Tensor, geom: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    geom = geom.clone()
    geom[flip, 1] = 1 - geom[flip, 1]
    scale = 1 + (torch.rand(n, generator=gen) - 0.5) * 0.2
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * 0.12
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    gain = 1 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.4
    bias = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.4
    x[:, :3] = x[:, :3] * gain + bias
    return x, geom


def _onehot(parents: np.ndarray, n: int) -> torch.Tensor:
    return F.one_hot(torch.from_numpy(parents), n).float()


def allowed_matrix(taxonomy: InstanceTaxonomy, parents: list[str]) -> torch.Tensor:
    """``(P, C) bool``: categories allowed for each parent class."""
    out = torch.zeros(len(parents), len(taxonomy), dtype=torch.bool)
    for i, p in enumerate(parents):
        for c in taxonomy.children(PARENT_TASK, p):
            out[i, c.id] = True
        if not out[i].any():
            out[i] = True
    return out


def masked_loss(
    logits: torch.Tensor, labels: torch.Tensor, allowed: torch.Tensor, weights: torch.Tensor, smoothing: float = 0.1
) -> torch.Tensor:
    """Class-weighted cross-entropy over the allowed categories, label smoothing among them."""
    logp = torch.log_softmax(logits.masked_fill(~allowed, -1e4), dim=1)
    target = allowed.float() * (smoothing / allowed.sum(1, keepdim=True).float())
    target.scatter_add_(1, labels[:, None], torch.full((len(labels), 1), 1 - smoothing))
    per = -(target * logp.masked_fill(~allowed, 0.0)).sum(1)
    w = weights[labels]
    return (per * w).sum() / w.sum()


@torch.no_grad()
def evaluate_top(net: InstanceNet, data: InstanceSamples, allowed: torch.Tensor, n_par: int) -> dict[str, float]:
    """Top-1 / top-3 accuracy with parent masking over ``data``."""
    net.eval()
    hits1 = hits3 = 0
    for i in range(0, len(data), 256):
        sl = slice(i, i + 256)
        x = torch.from_numpy(normalise(data.crops[sl]))
        logits = net(x, torch.from_numpy(data.geometry[sl]), _onehot(data.parents[sl], n_par))
        logits = logits.masked_fill(~allowed[torch.from_numpy(data.parents[sl])], -1e9)
        top = logits.topk(3, dim=1).indices
        y = torch.from_numpy(data.labels[sl])
        hits1 += int((top[:, 0] == y).sum())
        hits3 += int((top == y[:, None]).any(1).sum())
    return {"top1": hits1 / max(1, len(data)), "top3": hits3 / max(1, len(data))}


def train(
    data_dir: Path,
    out: Path,
    *,
    size: int = 64,
    width: int = 32,
    max_minutes: float = 35.0,
    epochs: int = 200,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    cache_dir: Path | None = None,
    unlabeled: Path | None = None,
    unlabeled_limit: int | None = None,
    log=print,
) -> dict:
    """Train and write ``out/instance_categories.safetensors`` (+ JSON); return the meta."""
    torch.manual_seed(seed)
    taxonomy = load_instance_taxonomy("ccp")
    parents = load_taxonomy(PARENT_TASK).names
    train_s, val_s = split_samples(list_samples(data_dir), data_dir)
    t0 = time.time()
    tr = cached_samples(train_s, data_dir, taxonomy, size, parents, cache_dir, "train")
    va = cached_samples(val_s, data_dir, taxonomy, size, parents, cache_dir, "val")
    n_pseudo = 0
    if unlabeled is not None:
        pseudo = cached_pseudo_samples(
            unlabeled, data_dir, taxonomy, size, parents, cache_dir, unlabeled_limit, log
        )
        n_pseudo = len(pseudo)
        tr = InstanceSamples(
            np.concatenate([tr.crops, pseudo.crops]),
            np.concatenate([tr.geometry, pseudo.geometry]),
            np.concatenate([tr.parents, pseudo.parents]),
            np.concatenate([tr.labels, pseudo.labels]),
        )
    log(json.dumps({"event": "data", "train": len(tr), "val": len(va), "seconds": round(time.time() - t0, 1)}))
    n_cat, n_par = len(taxonomy), len(parents)
    net = InstanceNet(n_cat, n_par, width)
    allowed = allowed_matrix(taxonomy, parents)
    counts = np.bincount(tr.labels, minlength=n_cat).astype(np.float64)
    weights = torch.tensor(np.where(counts > 0, 1 / np.sqrt(np.maximum(counts, 1)), 0.0), dtype=torch.float32)
    weights = weights / weights[counts > 0].mean()
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-3)
    gen = torch.Generator().manual_seed(seed)
    deadline = time.time() + 60 * max_minutes
    steps_per_epoch = math.ceil(len(tr) / batch_size)
    best, history = -1.0, []
    best_state: dict[str, torch.Tensor] | None = None
    start = time.time()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(tr), generator=gen).numpy()
        total = 0.0
        for b in range(steps_per_epoch):
            frac = min(1.0, (time.time() - start) / (deadline - start))
            for g in opt.param_groups:
                g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * frac))
            idx = order[b * batch_size : (b + 1) * batch_size]
            x = torch.from_numpy(normalise(tr.crops[idx]))
            geom = torch.from_numpy(tr.geometry[idx])
            x, geom = _augment(x, geom, gen)
            par = torch.from_numpy(tr.parents[idx])
            logits = net(x, geom, _onehot(tr.parents[idx], n_par))
            loss = masked_loss(logits, torch.from_numpy(tr.labels[idx]), allowed[par], weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        val = evaluate_top(net, va, allowed, n_par)
        history.append({"epoch": epoch, "loss": total / steps_per_epoch, **val})
        log(json.dumps({"event": "epoch", "epoch": epoch, "loss": round(total / steps_per_epoch, 4), "val": val, "elapsed_s": round(time.time() - start)}))
        if val["top1"] > best:
            best = val["top1"]
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        if time.time() > deadline:
            break
    if best_state is None:
        raise ValueError(f"no epoch ran (epochs={epochs}); nothing to save")
    net.load_state_dict(best_state)
    meta = {
        "task": CATEGORY_TASK,
        "classes": taxonomy.names,
        "architecture": "instance_net",
        "arch": {"width": width},
        "input_size": [size, size],
        "mean": list(MEAN),
        "std": list(STD),
        "parent_task": PARENT_TASK,
        "parent_classes": parents,
        "instance_taxonomy": taxonomy.name,
        "version": 1,
        "date": time.strftime("%Y-%m-%d"),
        "trained_on": [s.name for s in train_s],
        "train_samples": len(tr),
        "pseudo_samples": n_pseudo,
        "unlabeled": None if unlabeled is None else str(unlabeled),
        "val_samples": len(va),
        "metrics": {"val_instance_top1": best, "epochs": len(history), "minutes": round((time.time() - start) / 60, 1)},
        "note": "CCP train split: ground-truth fine instances plus parsing7-derived instances labelled by majority fine label"
        + ("; plus instances of tagged photos whose tags leave one fine category" if unlabeled is not None else "")
        + "; selected on CCP val instance top-1 (parent-masked).",
    }
    out.mkdir(parents=True, exist_ok=True)
    save_model(out / f"{CATEGORY_TASK}.safetensors", net, meta)
    (out / "history.json").write_text(json.dumps(history, indent=1))
    return meta


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-minutes", type=float, default=35.0)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--unlabeled", type=Path, default=None, help="tagged photos (tags.json) for pseudo-labels")
    p.add_argument("--unlabeled-limit", type=int, default=None, help="use at most N tagged photos")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    train(a.data, a.out, size=a.size, width=a.width, max_minutes=a.max_minutes, epochs=a.epochs, cache_dir=a.cache_dir,
          unlabeled=a.unlabeled, unlabeled_limit=a.unlabeled_limit, log=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
