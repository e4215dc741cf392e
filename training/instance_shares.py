"""Train the share classifier: fine categories from the parsing model's class probabilities.

For every photo of a CCP-format folder the parsing model (default: the shipped parsing18) runs
once, as it does in the app (its inference settings, flip averaging included); samples are the
photo's ground-truth instances (8-connected components of each fine label) and the proposed
instances that match one of them at IoU >= 0.5 (what the classifier sees in use), each with
:func:`~fashion_annotator.instances.features.share_features` and the ground-truth category.
A few MLPs (``--members``, different seeds) learn on the train split and are averaged; the val
split is only reported (top-1 / top-3 over matched proposals, the figures of ``evaluate --task
instances``), never used to pick anything. Features are cached (``--cache``), so trying other
training settings costs seconds, not the parsing model's minutes.

With ``--unlabeled DIR`` (photos with image-level tags, ``tags.json``: CCP ids present per photo,
like ``ccp-unlabeled``) the parsing model also proposes instances on those photos, and an
instance becomes a training sample when the photo's tags leave exactly one fine category under
its parsing class (an "outer" in a photo tagged coat and blouse is the coat). Their features come
from a network that never saw these photos, as in use; the labelled train photos' features come
from the network that trained on them.

    python -m training.instance_shares --data ../shared/datasets/ccp --out runs/shares \
        [--parsing-model FILE] [--members 5] [--epochs 20] [--lr 1e-3] [--cache runs/shares/features.npz] \
        [--unlabeled ../shared/datasets/ccp-unlabeled --unlabeled-cache runs/shares/tagged.npz]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.evaluation.datasets import list_samples
from fashion_annotator.instances.derive import ground_truth_instances, instance_boxes
from fashion_annotator.instances.evaluation import IOU_THRESHOLD, ccp_category_names, iou_matrix
from fashion_annotator.instances.features import MEAN, STD, share_features
from fashion_annotator.instances.proposer import InstanceProposer, needs_garment
from fashion_annotator.instances.schema import load_instance_taxonomy
from fashion_annotator.instances.shares import SHARES_ARCHITECTURE, SHARES_TASK, ShareNet
from fashion_annotator.models.weights import save_model
from fashion_annotator.segmentation.proposals import load_predictor

#: Sample kinds: a ground-truth instance, a proposal matched to one, a tag-labelled proposal.
GROUND_TRUTH, PROPOSAL, TAGGED = 0, 1, 2


def _garment_mask(garment, rgb: np.ndarray) -> np.ndarray | None:
    """The garment cutout of ``rgb`` when a garment predictor is given (parsing7's accessories)."""
    if garment is None:
        return None
    garment.set_image(rgb)
    return garment.predict().mask


def extract(
    data_dir: Path, split: str, predictor, limit: int | None = None, log=print, garment=None
) -> dict[str, np.ndarray]:
    """Share features of one split.

    ``garment``: a garment predictor, for parsing tasks without accessory classes (parsing7),
    whose instances take accessories from the cutout as in the app.

    Returns
    -------
    dict
        ``x (N, D) float32``, ``y (N,) int64`` (category index in the instance taxonomy),
        ``kind (N,) int8`` (:data:`GROUND_TRUTH` / :data:`PROPOSAL`), ``photo (N,) int32``.
    """
    taxonomy = load_instance_taxonomy()
    names = ccp_category_names(data_dir, taxonomy)
    index = {n: i for i, n in enumerate(taxonomy.names)}
    proposer = InstanceProposer(None, predictor.task, taxonomy)
    xs, ys, kinds, photos = [], [], [], []
    samples = list_samples(data_dir, split)[:limit]
    t0 = time.perf_counter()
    for n, sample in enumerate(samples):
        rgb = load_image(sample.image).rgb
        labels = load_mask(sample.mask, shape=rgb.shape[:2])
        predictor.set_image(rgb)
        proposal = predictor.predict()
        probs = proposal.coarse_probs
        props = proposer.from_masks(rgb, proposal.mask, _garment_mask(garment, rgb), colours=False)
        gt = ground_truth_instances(labels, sorted(names))
        cats = [index[names[c]] for c in gt.classes]
        if not cats:
            continue
        gt_ids = list(range(1, len(cats) + 1))
        xs.append(share_features(rgb, probs, proposal.mask, gt.map, gt_ids, instance_boxes(gt.map)))
        ys += cats
        kinds += [GROUND_TRUTH] * len(cats)
        photos += [n] * len(cats)
        if props.instances:
            iou = iou_matrix(gt.map, props.map, len(cats), len(props.instances))
            best = iou.argmax(axis=1)
            hits = [(g, props.instances[int(j)].id) for g, j in enumerate(best) if iou[g, j] >= IOU_THRESHOLD]
            if hits:
                ids = [k for _, k in hits]
                xs.append(share_features(rgb, probs, proposal.mask, props.map, ids, instance_boxes(props.map)))
                ys += [cats[g] for g, _ in hits]
                kinds += [PROPOSAL] * len(hits)
                photos += [n] * len(hits)
        if (n + 1) % 50 == 0:
            log(f"{split}: {n + 1}/{len(samples)} photos, {len(ys)} samples, {time.perf_counter() - t0:.0f} s")
    dim = 2 * predictor.num_classes + 12
    return {
        "x": np.concatenate(xs).astype(np.float32) if xs else np.zeros((0, dim), np.float32),
        "y": np.asarray(ys, np.int64),
        "kind": np.asarray(kinds, np.int8),
        "photo": np.asarray(photos, np.int32),
    }


def extract_tagged(
    unlabeled_dir: Path, data_dir: Path, predictor, limit: int | None = None, log=print, garment=None
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Share features of the proposals on tagged photos that their tags name (module docstring).

    Returns
    -------
    features : dict
        As :func:`extract` (``kind`` :data:`TAGGED`).
    counts : dict
        ``photos``, ``proposed``, ``kept`` (one candidate), ``ambiguous`` (several), ``untagged``.
    """
    tags_path = Path(unlabeled_dir) / "tags.json"
    try:
        tags = json.loads(tags_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{tags_path}: cannot read the photos' tags ({exc})") from None
    taxonomy = load_instance_taxonomy()
    names = ccp_category_names(data_dir, taxonomy)
    index = {n: i for i, n in enumerate(taxonomy.names)}
    proposer = InstanceProposer(None, predictor.task, taxonomy)
    counts = {"photos": 0, "proposed": 0, "kept": 0, "ambiguous": 0, "untagged": 0}
    xs, ys, photos = [], [], []
    t0 = time.perf_counter()
    for n, stem in enumerate(sorted(tags)[:limit]):
        path = Path(unlabeled_dir) / "images" / f"{stem}.jpg"
        if not path.is_file():
            continue
        rgb = load_image(path).rgb
        predictor.set_image(rgb)
        proposal = predictor.predict()
        props = proposer.from_masks(rgb, proposal.mask, _garment_mask(garment, rgb), colours=False)
        present = {names[int(t)] for t in tags[stem] if int(t) in names}
        ids, cats = [], []
        for inst in props.instances:
            parent = predictor.classes[inst.parsing_class]
            options = [c for c in present if taxonomy.category(c).parent(predictor.task) == parent]
            counts["proposed"] += 1
            if len(options) == 1:
                ids.append(inst.id)
                cats.append(index[options[0]])
                counts["kept"] += 1
            else:
                counts["ambiguous" if options else "untagged"] += 1
        counts["photos"] += 1
        if ids:
            xs.append(share_features(rgb, proposal.coarse_probs, proposal.mask, props.map, ids, instance_boxes(props.map)))
            ys += cats
            photos += [n] * len(ids)
        if counts["photos"] % 100 == 0:
            log(f"tagged: {counts} {time.perf_counter() - t0:.0f} s")
    dim = 2 * predictor.num_classes + 12
    return {
        "x": np.concatenate(xs).astype(np.float32) if xs else np.zeros((0, dim), np.float32),
        "y": np.asarray(ys, np.int64),
        "kind": np.full(len(ys), TAGGED, np.int8),
        "photo": np.asarray(photos, np.int32),
    }, counts


def fit(
    x: np.ndarray, y: np.ndarray, n_categories: int, *, members: int = 5, epochs: int = 20,
    hidden: int = 256, lr: float = 1e-3, weight_decay: float = 1e-3, batch: int = 128, seed: int = 0,
) -> tuple[ShareNet, np.ndarray, np.ndarray]:
    """Train :class:`ShareNet` on features ``x (N, D)`` and labels ``y (N,)``.

    Returns
    -------
    net : ShareNet (eval mode)
    mean, std : (D,) float32
        The standardisation the net expects.
    """
    mean = x.mean(axis=0).astype(np.float32)
    std = (x.std(axis=0) + 1e-6).astype(np.float32)
    xt = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y)
    net = ShareNet(x.shape[1], n_categories, hidden, members)
    for m, member in enumerate(net.members):
        gen = torch.Generator().manual_seed(seed + m)
        torch.manual_seed(seed + m)
        for layer in member.modules():
            if isinstance(layer, torch.nn.Linear):
                layer.reset_parameters()
        opt = torch.optim.AdamW(member.parameters(), lr, weight_decay=weight_decay)
        member.train()
        for _ in range(epochs):
            perm = torch.randperm(len(yt), generator=gen)
            for i in range(0, len(perm), batch):
                b = perm[i : i + batch]
                loss = F.cross_entropy(member(xt[b]), yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return net.eval(), mean, std


@torch.no_grad()
def top_k(net: ShareNet, mean: np.ndarray, std: np.ndarray, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Top-1 and top-3 accuracy of ``net`` on features ``x`` with labels ``y``."""
    if not len(y):
        return {"top1": float("nan"), "top3": float("nan"), "n": 0}
    order = np.argsort(-net(torch.from_numpy((x - mean) / std)).numpy(), axis=1)
    return {
        "top1": round(float((order[:, 0] == y).mean()), 4),
        "top3": round(float((order[:, :3] == y[:, None]).any(axis=1).mean()), 4),
        "n": int(len(y)),
    }


KEYS = ("x", "y", "kind", "photo")


def _cached(cache: Path | None, names: tuple[str, ...], build) -> dict[str, dict[str, np.ndarray]]:
    """``build()`` (``{name: features}``), kept in ``cache`` (.npz) and read from it when present."""
    if cache is not None and cache.is_file():
        z = np.load(cache)
        return {s: {k: z[f"{s}_{k}"] for k in KEYS} for s in names}
    out = build()
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **{f"{s}_{k}": v for s, d in out.items() for k, v in d.items()})
    return out


def _load_or_extract(args: argparse.Namespace, predictor) -> dict[str, dict[str, np.ndarray]]:
    cache = Path(args.cache) if args.cache else None
    garment = None
    if needs_garment(load_instance_taxonomy(), predictor.task):
        garment = load_predictor("garment", device="cpu")
    data = _cached(cache, ("train", "val"),
                   lambda: {s: extract(Path(args.data), s, predictor, args.limit, garment=garment)
                            for s in ("train", "val")})  # fmt: skip
    if args.unlabeled:
        def build() -> dict[str, dict[str, np.ndarray]]:
            tagged, counts = extract_tagged(Path(args.unlabeled), Path(args.data), predictor, args.limit, garment=garment)
            print(f"tagged photos: {counts}")
            return {"tagged": tagged}

        ucache = Path(args.unlabeled_cache) if args.unlabeled_cache else None
        data.update(_cached(ucache, ("tagged",), build))
    return data


def main(argv: list[str] | None = None) -> dict:
    """Command line: extract (or read cached) features, train, report, save."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="CCP-format folder (splits.json, labels.json)")
    ap.add_argument("--out", required=True, help="folder for instance_shares_<parsing task>.safetensors / .json")
    ap.add_argument("--parsing-model", default=None,
                    help="parsing model file or task (default: shipped parsing18; parsing7 also runs "
                    "the shipped garment model, whose cutout gives its accessories)")  # fmt: skip
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="photos per split (tests)")
    ap.add_argument("--cache", default=None, help="features .npz: read when present, else written")
    ap.add_argument("--unlabeled", default=None, help="tagged photos (images/, tags.json) for tag-labelled samples")
    ap.add_argument("--unlabeled-cache", default=None, help="their features .npz: read when present, else written")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    predictor = load_predictor(args.parsing_model or "parsing18", device="cpu")
    data = _load_or_extract(args, predictor)
    taxonomy = load_instance_taxonomy()
    train, val = data["train"], data["val"]
    if "tagged" in data:
        train = {k: np.concatenate([train[k], data["tagged"][k]]) for k in KEYS}
    extract_s = time.perf_counter() - t0
    net, mean, std = fit(train["x"], train["y"], len(taxonomy.names), members=args.members,
                         epochs=args.epochs, hidden=args.hidden, lr=args.lr, seed=args.seed)  # fmt: skip
    matched = val["kind"] == PROPOSAL
    report = {
        "val_matched_proposals": top_k(net, mean, std, val["x"][matched], val["y"][matched]),
        "n_train": int(len(train["y"])),
        "n_tagged": int((train["kind"] == TAGGED).sum()),
        "features_seconds": round(extract_s, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    meta = {
        "task": SHARES_TASK,
        "architecture": SHARES_ARCHITECTURE,
        "arch": {"n_inputs": int(train["x"].shape[1]), "n_categories": len(taxonomy.names),
                 "hidden": args.hidden, "members": args.members},  # fmt: skip
        "classes": list(taxonomy.names),
        "input_size": [8, 8],
        "mean": list(MEAN),
        "std": list(STD),
        "feature_mean": [float(v) for v in mean],
        "feature_std": [float(v) for v in std],
        "parsing_task": predictor.task,
        "parsing_classes": list(predictor.classes),
        "parsing_model_version": predictor.model_version,
        "instance_taxonomy": taxonomy.name,
        "version": 1,
        "date": dt.date.today().isoformat(),
        "trained_on": [f"{args.data} train"] + ([f"{args.unlabeled} (tag-labelled proposals)"] if args.unlabeled else []),
        "recipe": {k: getattr(args, k) for k in ("members", "epochs", "hidden", "lr", "seed", "limit", "unlabeled")},
        "metrics": report,
    }
    out = Path(args.out)
    save_model(out / f"{SHARES_TASK}_{predictor.task}.safetensors", net, meta)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
