"""Train attribute heads from a project's annotated instances (Train > Retrain attributes).

A studio's own attribute labels are the only ones that exist here, so the heads learn from
them, and only from values a person set or confirmed (:func:`confirmed_attributes`: never the
model's own unconfirmed proposals) on images that are ``done`` or ``approved``: every such
instance with at least one predicted (non-computed) attribute group labelled is a sample. The
fine-category classifier (frozen) embeds each instance's crop; one linear head per attribute
group learns on the embeddings (unlabelled groups are ignored by the loss).
Images are split into train / val by a hash of their name. Events follow the ``train``
command's ``--json-progress`` protocol (``start``, ``epoch``, ``done``), and the new heads are
registered in the project as task ``instance_attributes``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.dataset.training_set import FINISHED_STATUSES, MIN_ATTRIBUTE_TRAIN
from fashion_annotator.instances.classifier import (
    ATTRIBUTE_TASK,
    AttributeHeads,
    InstanceClassifier,
    load_attribute_heads,
    save_attribute_heads,
)
from fashion_annotator.instances.schema import AttributeSchema, load_attribute_schema
from training.loop import TrainingCancelled
from training.request import TrainRequest

Emit = Callable[[dict[str, Any]], None]
VAL_FRACTION = 0.2


@dataclass
class AttributeSamples:
    """Embeddings ``(N, D) float32``, labels ``{group: (N,) int64}`` (-1 unset), image names,
    and ``(image name, why)`` of the labelled images left out (a photo changed on disk)."""

    embeddings: torch.Tensor
    labels: dict[str, torch.Tensor]
    images: list[str]
    left_out: list[tuple[str, str]] = field(default_factory=list)


def predicted_groups(schema: AttributeSchema) -> list[str]:
    """The groups trained heads predict (computed ones, like colour, are not)."""
    return [g.name for g in schema.groups if not g.computed]


def collect_samples(project: Any, classifier: InstanceClassifier, schema: AttributeSchema) -> AttributeSamples:
    """Embed every saved instance with a predicted attribute group labelled (a value a person
    set or confirmed, :func:`confirmed_attributes`) on a ``done`` or ``approved`` image; the
    groups not labelled are unset (-1) in its row."""
    groups = predicted_groups(schema)
    embs: list[torch.Tensor] = []
    labels: dict[str, list[int]] = {g: [] for g in groups}
    names: list[str] = []
    left_out: list[tuple[str, str]] = []
    for image_id, iset, labelled in _labelled_sets(project, groups, left_out):
        parsing_names = project.taxonomy(iset.parsing_task).names
        rgb = project.load_photo(image_id).rgb
        parents = {k: parsing_names[i.parsing_class] for k, i in labelled.items()}
        ids, emb, _ = classifier.embed(rgb, iset.map, parents, with_texture=True, parent_task=iset.parsing_task)
        name = project.image(image_id).name
        for row, k in enumerate(ids):
            embs.append(emb[row])
            names.append(name)
            for g in groups:
                value = labelled[k].attributes.get(g)
                labels[g].append(schema.group(g).values.index(value) if value is not None else -1)
    if not embs:
        gone = f" ({len(left_out)} left out, e.g. {left_out[0][0]}: {left_out[0][1]})" if left_out else ""
        raise ValueError(
            f"{project.root}: no saved instance on a done or approved image has an attribute a "
            f"person set or confirmed{gone}; label some first"
        )
    return AttributeSamples(
        torch.stack(embs), {g: torch.tensor(v, dtype=torch.int64) for g, v in labels.items()}, names, left_out
    )


def confirmed_attributes(instance: Any, groups: list[str], saved_by_model: bool) -> dict[str, str]:
    """The values of ``groups`` a person set or confirmed on ``instance``: every value set when
    its instance version was saved by an operator or an import (``saved_by_model`` False),
    otherwise only those that differ from the model's proposal. The window saves the model's
    proposals as they are (source ``model``); learning them would teach the heads their own
    guesses, and score the current heads against their own predictions."""
    return {
        g: v for g, v in instance.attributes.items()
        if g in groups and (not saved_by_model or v != instance.proposed_attributes.get(g))
    }  # fmt: skip


def _labelled_sets(
    project: Any, groups: list[str], left_out: list[tuple[str, str]] | None = None
) -> Iterator[tuple[int, Any, dict[int, Any]]]:
    """``(image_id, instance set, {instance id: instance})`` of the latest saved instances with
    a group of ``groups`` labelled (:func:`confirmed_attributes`), on images whose status is
    ``done`` or ``approved`` (:data:`~fashion_annotator.dataset.training_set.FINISHED_STATUSES`:
    not new, in progress or sent back by QA). Each instance's ``attributes`` hold its labels only.

    An image whose photo, referenced in place, changed on disk since it was added
    (:func:`~fashion_annotator.dataset.storeio.referenced_photo_changed`) is left out, as the
    mask retrains leave it out: its instances were drawn on the earlier photo. Its name and
    the reason are appended to ``left_out`` when given.
    """
    finished = {r.id: r for status in FINISHED_STATUSES for r in project.images(status=status)}
    for image_id in project.images_with_instances():
        record = finished.get(image_id)
        if record is None:
            continue
        versions = project.instance_versions(image_id)
        if not versions:
            continue
        iset = project.load_instances(image_id, versions[-1].version)
        if iset is None:
            continue
        by_model = versions[-1].source == "model"
        labelled = {}
        for k, inst in iset.instances.items():
            labels = confirmed_attributes(inst, groups, by_model)
            if labels:
                labelled[k] = replace(inst, attributes=labels)
        if not labelled:
            continue
        changed = referenced_photo_changed(record, Path(project.root))
        if changed is not None:
            if left_out is not None:
                left_out.append((record.name, changed))
            continue
        yield image_id, iset, labelled


def count_labelled(project: Any, schema: AttributeSchema) -> tuple[int, int]:
    """``(images, instances)`` :func:`collect_samples` would train on, counted without
    embedding anything (the retrain dialog's summary)."""
    images = instances = 0
    for _, _, labelled in _labelled_sets(project, predicted_groups(schema)):
        images += 1
        instances += len(labelled)
    return images, instances


def split_by_image(images: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean train / val masks over samples; val holds the images whose name hash is lowest."""
    unique = sorted(set(images))
    if len(unique) < 2:
        raise ValueError("attribute training needs labelled instances on two images or more")
    bucket = {n: int(hashlib.sha1(n.encode()).hexdigest()[:8], 16) / 16**8 for n in unique}
    lowest = min(unique, key=bucket.__getitem__)
    val_images = {n for n in unique if bucket[n] < VAL_FRACTION} or {lowest}
    if len(val_images) == len(unique):
        val_images = {lowest}
    val = np.array([n in val_images for n in images])
    return ~val, val


@torch.no_grad()
def accuracy(heads: AttributeHeads, data: AttributeSamples, rows: np.ndarray) -> dict[str, Any]:
    """Per-group accuracy on ``rows`` (labelled samples only) and their mean."""
    out = heads(data.embeddings[torch.from_numpy(rows)])
    figures: dict[str, Any] = {}
    for g, logits in out.items():
        y = data.labels[g][torch.from_numpy(rows)]
        known = y >= 0
        if known.any():
            figures[f"accuracy_{g}"] = float((logits.argmax(1)[known] == y[known]).float().mean())
    accs = [v for v in figures.values()]
    figures["mean_accuracy"] = float(np.mean(accs)) if accs else 0.0
    figures["val_instances"] = int(rows.sum())
    return figures


def train_heads(
    data: AttributeSamples, train_rows: np.ndarray, val_rows: np.ndarray, schema: AttributeSchema,
    epochs: int, emit: Emit, cancelled: Callable[[], bool], lr: float = 1e-2, seed: int = 0,
    weight_decay: float = 1.0,
) -> tuple[AttributeHeads, dict[str, Any]]:  # fmt: skip
    """Full-batch Adam on the frozen embeddings; keep the last epoch with the best val accuracy."""
    torch.manual_seed(seed)
    groups = [g for g in predicted_groups(schema) if (data.labels[g][torch.from_numpy(train_rows)] >= 0).any()]
    if not groups:
        raise ValueError("no attribute group is labelled on the training images")
    if int(train_rows.sum()) < MIN_ATTRIBUTE_TRAIN:
        raise ValueError(
            f"attribute training needs {MIN_ATTRIBUTE_TRAIN} labelled instances or more on the "
            f"training images, has {int(train_rows.sum())} (and {int(val_rows.sum())} held out "
            "for validation); label more instances' attributes first"
        )
    heads = AttributeHeads(data.embeddings.shape[1], {g: len(schema.group(g).values) for g in groups})
    mean = data.embeddings[torch.from_numpy(train_rows)].mean(0)
    std = data.embeddings[torch.from_numpy(train_rows)].std(0, correction=0) + 1e-3
    with torch.no_grad():  # fold the standardisation into the heads' weights after training
        x = (data.embeddings - mean) / std
    opt = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=weight_decay)
    tr = torch.from_numpy(train_rows)
    scaled = AttributeSamples(x, data.labels, data.images)
    best, best_fig = -1.0, {}
    best_state: dict[str, torch.Tensor] | None = None
    start = time.time()
    for epoch in range(1, epochs + 1):
        if cancelled():
            raise TrainingCancelled
        heads.train()
        out = heads(x[tr])
        loss = torch.zeros(())
        for g in groups:
            if (data.labels[g][tr] >= 0).any():
                loss = loss + F.cross_entropy(out[g], data.labels[g][tr], ignore_index=-1)
        if not torch.isfinite(loss):
            raise ValueError(f"attribute training diverged at epoch {epoch} (loss {float(loss)}); no model saved")
        opt.zero_grad()
        loss.backward()
        opt.step()
        heads.eval()
        fig = accuracy(heads, scaled, val_rows)
        eta = (time.time() - start) / epoch * (epochs - epoch)
        emit({"event": "epoch", "epoch": epoch, "loss": float(loss.detach()), "val": fig, "eta_s": eta})
        if fig["mean_accuracy"] >= best:  # ties go to the later, better-fitted epoch
            best, best_fig = fig["mean_accuracy"], fig
            best_state = {k: v.clone() for k, v in heads.state_dict().items()}
    if best_state is None:
        raise ValueError(f"no epoch ran (epochs={epochs}); no attribute heads to save")
    heads.load_state_dict(best_state)
    with torch.no_grad():
        for head in heads.heads.values():
            if not isinstance(head, torch.nn.Linear):
                raise TypeError(f"attribute head {head!r} is not a linear layer")
            head.bias.sub_((head.weight / std) @ mean)
            head.weight.div_(std)
    return heads, best_fig


def run(args: TrainRequest, emit: Emit, cancelled: Callable[[], bool]) -> dict[str, Any]:
    """``fashion-annotator train --project P --task instance_attributes``; return ``done``."""
    from fashion_annotator.dataset.store import open_project

    if not args.project:
        raise ValueError("instance_attributes trains from a project's instances: use --project")
    if args.threads:
        torch.set_num_threads(args.threads)
    schema = load_attribute_schema()
    classifier = InstanceClassifier.load()
    with open_project(args.project) as project:
        data = collect_samples(project, classifier, schema)
        for name, problem in data.left_out:
            emit({"event": "info", "message": f"{name}: left out of the attribute retrain: {problem}"})
        train_rows, val_rows = split_by_image(data.images)
        emit({"event": "start", "task": ATTRIBUTE_TASK, "train_images": len(set(np.array(data.images)[train_rows])),
              "val_images": len(set(np.array(data.images)[val_rows])), "train_instances": int(train_rows.sum()),
              "device": "cpu"})  # fmt: skip
        heads, figures = train_heads(data, train_rows, val_rows, schema, args.epochs, emit, cancelled)
        out_dir = project.root / "cache" / "training" / ATTRIBUTE_TASK
        path = out_dir / f"{ATTRIBUTE_TASK}.safetensors"
        version = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
        trained_on = sorted(set(np.array(data.images)[train_rows].tolist()))
        save_attribute_heads(path, heads, schema, {
            "version": version, "date": dt.datetime.now(dt.timezone.utc).isoformat(),
            "trained_on": trained_on, "metrics": figures, "classifier": str(classifier.meta.get("version")),
            "input_size": list(classifier.meta["input_size"]),
        })  # fmt: skip
        current = None
        record = project.active_model(ATTRIBUTE_TASK)
        if record is not None:
            try:
                old, _ = load_attribute_heads(record.path, data.embeddings.shape[1])
                current = accuracy(old, data, val_rows)
            except ValueError as exc:
                emit({"event": "info", "message": f"current attribute model unusable: {exc}"})
        if cancelled():
            raise TrainingCancelled
        validated = any(k.startswith("accuracy_") for k in figures)
        better = validated and (current is None or figures["mean_accuracy"] > current["mean_accuracy"])
        promote = bool(args.promote_if_better and better)
        if args.promote_if_better and not validated:
            emit({"event": "info", "message": "not promoted: the held-out images have no labelled "
                  "attribute of a trained group, so nothing shows the new model is better"})  # fmt: skip
        reg = project.register_model(ATTRIBUTE_TASK, path, figures, trained_on, activate=promote)
        return {"event": "done", "version": reg.version, "model_path": str(reg.path),
                "comparison": {"new": figures, "current": current}, "promoted": promote}  # fmt: skip


def active_attribute_heads(project: Any) -> Path | None:
    """The project's active attribute heads file, or None (no trained heads yet)."""
    record = project.active_model(ATTRIBUTE_TASK)
    return None if record is None else Path(record.path)
