"""Train attribute heads from a project's annotated instances (Train > Retrain attributes).

A studio's own attribute labels are the only ones that exist here, so the heads learn from
them, and only from values a person set (:func:`confirmed_attributes`: never the model's own
proposals) on images that are ``done`` or ``approved``: every such
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
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.dataset.training_set import (
    FINISHED_STATUSES,
    MIN_ATTRIBUTE_TRAIN,
    MIN_ATTRIBUTE_VAL,
    VAL_FRACTION,
)
from fashion_annotator.instances.classifier import (
    ATTRIBUTE_TASK,
    AttributeHeads,
    InstanceClassifier,
    load_attribute_heads,
    save_attribute_heads,
)
from fashion_annotator.instances.schema import AttributeSchema, load_attribute_schema
from training.finetune import ATTRIBUTE_PROMOTE_MARGIN
from training.loop import TrainingCancelled
from training.request import TrainRequest

Emit = Callable[[dict[str, Any]], None]
#: One-sided 5 % of the normal approximation to the sign test :func:`promotion` applies.
SIGN_TEST_Z = 1.645


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


def confirmed_attributes(instance: Any, groups: list[str], imported: bool) -> dict[str, str]:
    """The values of ``groups`` a person set on ``instance``: every value of an imported version
    without the model's proposals (``imported``: labels from another tool), otherwise those that
    differ from the model's proposal or where it proposed none (this program's coco-instances
    export carries the proposals, ``fa_proposed``, so its import back keeps them). The window
    saves the model's proposals as they are, and an operator's save of one instance saves the
    others' proposals with it (a hand test: one fabric changed counted seven); learning them
    would teach the heads their own guesses, and score the current heads against their own
    predictions."""
    foreign = imported and not instance.proposed_attributes
    return {
        g: v for g, v in instance.attributes.items()
        if g in groups and (foreign or v != instance.proposed_attributes.get(g))
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
        imported = versions[-1].source == "import"
        labelled = {}
        for k, inst in iset.instances.items():
            labels = confirmed_attributes(inst, groups, imported)
            if labels:
                labelled[k] = replace(inst, attributes=labels)
        if not labelled:
            continue
        changed = referenced_photo_changed(record, Path(project.root))
        if changed is None and not Path(project.image_path(image_id)).is_file():
            changed = "the photo file does not exist (moved or deleted since it was added)"
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


def _held_images(unique: list[str], salt: str = "") -> set[str]:
    """The names of ``unique`` (two or more) whose hash of ``salt`` + name is below
    :data:`VAL_FRACTION` (else the lowest one), never all of them."""
    bucket = {n: int(hashlib.sha1((salt + n).encode()).hexdigest()[:8], 16) / 16**8 for n in unique}
    lowest = min(unique, key=bucket.__getitem__)
    held = {n for n in unique if bucket[n] < VAL_FRACTION} or {lowest}
    return {lowest} if len(held) == len(unique) else held


def split_by_image(images: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean train / val masks over samples; val holds the images whose name hash is lowest."""
    unique = sorted(set(images))
    if len(unique) < 2:
        raise ValueError("attribute training needs labelled instances on two images or more")
    val_images = _held_images(unique)
    val = np.array([n in val_images for n in images])
    return ~val, val


def epoch_choice_split(images: list[str], train_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fit, choice)`` boolean masks splitting ``train_rows`` by image: ``choice`` holds about
    a fifth of the training images (another hash of the name than :func:`split_by_image`'s), on
    which the epoch count is chosen; empty when the training rows are on one image."""
    unique = sorted(set(np.array(images)[train_rows].tolist()))
    if len(unique) < 2:
        return train_rows.copy(), np.zeros_like(train_rows)
    held = _held_images(unique, salt="epoch choice:")
    choice = train_rows & np.array([n in held for n in images])
    return train_rows & ~choice, choice


@torch.no_grad()
def predictions(heads: AttributeHeads, data: AttributeSamples, rows: np.ndarray) -> dict[str, torch.Tensor]:
    """``{group: (n,) int64}``: the value index each head predicts for the samples of ``rows``."""
    return {g: logits.argmax(1) for g, logits in heads(data.embeddings[torch.from_numpy(rows)]).items()}


def score(predicted: dict[str, torch.Tensor], data: AttributeSamples, rows: np.ndarray) -> dict[str, Any]:
    """Per-group accuracy of ``predicted`` (:func:`predictions`) on ``rows`` (labelled samples
    only) and their mean."""
    figures: dict[str, Any] = {}
    for g, pred in predicted.items():
        y = data.labels[g][torch.from_numpy(rows)]
        known = y >= 0
        if known.any():
            figures[f"accuracy_{g}"] = float((pred[known] == y[known]).float().mean())
    accs = [v for v in figures.values()]
    figures["mean_accuracy"] = float(np.mean(accs)) if accs else 0.0
    figures["val_instances"] = int(rows.sum())
    return figures


def accuracy(heads: AttributeHeads, data: AttributeSamples, rows: np.ndarray) -> dict[str, Any]:
    """Per-group accuracy of ``heads`` on ``rows`` (labelled samples only) and their mean."""
    return score(predictions(heads, data, rows), data, rows)


def _fit(
    data: AttributeSamples, rows: np.ndarray, dims: dict[str, int], epochs: int, lr: float, seed: int,
    weight_decay: float, cancelled: Callable[[], bool],
    after_epoch: Callable[[int, AttributeHeads, AttributeSamples, float], None] | None = None,
) -> AttributeHeads:  # fmt: skip
    """Full-batch AdamW of heads ``{group: values}`` on the standardised embeddings of ``rows``
    for ``epochs`` epochs (``after_epoch(epoch, heads, standardised samples, loss)`` after each);
    the standardisation is then folded into the heads' weights (they take raw embeddings)."""
    torch.manual_seed(seed)
    heads = AttributeHeads(data.embeddings.shape[1], dims)
    r = torch.from_numpy(rows)
    mean = data.embeddings[r].mean(0)
    std = data.embeddings[r].std(0, correction=0) + 1e-3
    with torch.no_grad():
        x = (data.embeddings - mean) / std
    scaled = AttributeSamples(x, data.labels, data.images)
    opt = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=weight_decay)
    for epoch in range(1, epochs + 1):
        if cancelled():
            raise TrainingCancelled
        heads.train()
        out = heads(x[r])
        loss = torch.zeros(())
        for g in dims:
            if (data.labels[g][r] >= 0).any():
                loss = loss + F.cross_entropy(out[g], data.labels[g][r], ignore_index=-1)
        if not torch.isfinite(loss):
            raise ValueError(f"attribute training diverged at epoch {epoch} (loss {float(loss)}); no model saved")
        opt.zero_grad()
        loss.backward()
        opt.step()
        heads.eval()
        if after_epoch is not None:
            after_epoch(epoch, heads, scaled, float(loss.detach()))
    with torch.no_grad():
        for head in heads.heads.values():
            if not isinstance(head, torch.nn.Linear):
                raise TypeError(f"attribute head {head!r} is not a linear layer")
            head.bias.sub_((head.weight / std) @ mean)
            head.weight.div_(std)
    return heads


def train_heads(
    data: AttributeSamples, train_rows: np.ndarray, val_rows: np.ndarray, schema: AttributeSchema,
    epochs: int, emit: Emit, cancelled: Callable[[], bool], lr: float = 1e-2, seed: int = 0,
    weight_decay: float = 1.0,
) -> tuple[AttributeHeads, dict[str, Any]]:  # fmt: skip
    """Full-batch AdamW on the frozen embeddings; return the heads and their figures on ``val_rows``.

    The epoch count is chosen on a part of the training images (:func:`epoch_choice_split`):
    heads fitted on the rest are scored there after each epoch (the ``epoch`` events' ``val``
    figures, ``scored_on`` ``"epoch choice"``) and the last epoch with the best mean accuracy is
    chosen; the heads are then trained again from the same start on every training row for that
    many epochs. ``val_rows``, on which a promotion compares, choose nothing: choosing the epoch
    on them made the new heads look better than they are (the best of many noisy scores).
    When that part has no label of a trained group (too few training images), the last epoch
    is kept and the ``epoch`` events show the figures on ``val_rows`` (``scored_on`` ``"val"``).
    """
    groups = [g for g in predicted_groups(schema) if (data.labels[g][torch.from_numpy(train_rows)] >= 0).any()]
    if not groups:
        raise ValueError("no attribute group is labelled on the training images")
    if int(train_rows.sum()) < MIN_ATTRIBUTE_TRAIN:
        raise ValueError(
            f"attribute training needs {MIN_ATTRIBUTE_TRAIN} labelled instances or more on the "
            f"training images, has {int(train_rows.sum())} (and {int(val_rows.sum())} held out "
            "for validation); label more instances' attributes first"
        )
    if epochs < 1:
        raise ValueError(f"no epoch ran (epochs={epochs}); no attribute heads to save")
    dims = {g: len(schema.group(g).values) for g in groups}
    fit_rows, choice_rows = epoch_choice_split(data.images, train_rows)
    choice_known = any(bool((data.labels[g][torch.from_numpy(choice_rows)] >= 0).any()) for g in groups)
    fit_known = all(bool((data.labels[g][torch.from_numpy(fit_rows)] >= 0).any()) for g in groups)
    choose = choice_known and fit_known
    best = [-1.0, epochs]  # best mean accuracy, its epoch
    start = time.time()

    def after_epoch(epoch: int, heads: AttributeHeads, scaled: AttributeSamples, loss: float) -> None:
        fig = accuracy(heads, scaled, choice_rows if choose else val_rows)
        eta = (time.time() - start) / epoch * ((2 * epochs if choose else epochs) - epoch)
        emit({"event": "epoch", "epoch": epoch, "loss": loss, "val": fig, "eta_s": eta,
              "scored_on": "epoch choice" if choose else "val"})  # fmt: skip
        if fig["mean_accuracy"] >= best[0]:  # ties go to the later, better-fitted epoch
            best[:] = [fig["mean_accuracy"], epoch]

    if not choose:
        heads = _fit(data, train_rows, dims, epochs, lr, seed, weight_decay, cancelled, after_epoch)
        return heads, {**accuracy(heads, data, val_rows), "epochs": epochs}
    _fit(data, fit_rows, dims, epochs, lr, seed, weight_decay, cancelled, after_epoch)
    chosen = int(best[1])
    heads = _fit(data, train_rows, dims, chosen, lr, seed, weight_decay, cancelled)
    return heads, {**accuracy(heads, data, val_rows), "epochs": chosen}


def majority_predictions(data: AttributeSamples, train_rows: np.ndarray, val_rows: np.ndarray,
                         groups: list[str]) -> dict[str, torch.Tensor]:  # fmt: skip
    """Each group's most common value on ``train_rows``, predicted for every sample of
    ``val_rows``: what a first model must beat (it has no current model to beat)."""
    n = int(val_rows.sum())
    out = {}
    for g in groups:
        y = data.labels[g][torch.from_numpy(train_rows)]
        y = y[y >= 0]
        if len(y):
            out[g] = torch.full((n,), int(torch.bincount(y).argmax()), dtype=torch.int64)
    return out


def compare(
    new: AttributeHeads, current: AttributeHeads | None, data: AttributeSamples, train_rows: np.ndarray,
    val_rows: np.ndarray,
) -> dict[str, Any]:  # fmt: skip
    """The new heads against the current ones on the same val rows, or (no current heads)
    against predicting each group's most common training value (``majority``).

    Returns
    -------
    dict
        ``new``, ``current`` (None without current heads), ``majority`` (without), and
        ``paired_labels``: over the val labels of the new heads' groups, ``n`` labels,
        ``better`` (the new heads right, the other wrong), ``worse`` (the reverse), and
        ``instances``, the val instances with such a label. A group the current heads do not
        predict counts as wrong for them.
    """
    groups = list(new.heads)
    pred_new = predictions(new, data, val_rows)
    if current is not None:
        pred_ref = predictions(current, data, val_rows)
    else:
        pred_ref = majority_predictions(data, train_rows, val_rows, groups)
    n = better = worse = 0
    known_any = torch.zeros(int(val_rows.sum()), dtype=torch.bool)
    for g in groups:
        y = data.labels[g][torch.from_numpy(val_rows)]
        known = y >= 0
        known_any |= known
        new_ok = pred_new[g][known] == y[known]
        ref_ok = pred_ref[g][known] == y[known] if g in pred_ref else torch.zeros_like(new_ok)
        n += int(known.sum())
        better += int((new_ok & ~ref_ok).sum())
        worse += int((~new_ok & ref_ok).sum())
    paired = {"n": n, "better": better, "worse": worse, "instances": int(known_any.sum())}
    ref = score(pred_ref, data, val_rows)
    return {"new": score(pred_new, data, val_rows), "current": ref if current is not None else None,
            **({} if current is not None else {"majority": ref}), "paired_labels": paired}  # fmt: skip


def promotion(comparison: dict[str, Any], wanted: bool = True) -> tuple[bool, str | None]:
    """Whether new attribute heads are promoted (:func:`compare`'s ``comparison``), and why not.

    They must be scored on :data:`~fashion_annotator.dataset.training_set.MIN_ATTRIBUTE_VAL`
    labelled val instances or more, beat the current heads' mean accuracy (a first model:
    predicting each group's most common value) by
    :data:`~training.finetune.ATTRIBUTE_PROMOTE_MARGIN`, and be right where the other is wrong
    clearly more often than the reverse (a sign test over the val labels where exactly one is
    right, one-sided 5 %: ``better - worse >= 1.645 * sqrt(better + worse)``). Heads trained on
    random labels were promoted over equally random ones in 15 of 20 runs without these.

    Returns
    -------
    promote : bool
        False when not ``wanted`` (no ``--promote-if-better``).
    reason : str or None
        Why a wanted promotion did not happen, in words; None otherwise.
    """
    if not wanted:
        return False, None
    new, paired = comparison["new"], comparison["paired_labels"]
    if not any(k.startswith("accuracy_") for k in new):
        return False, ("the held-out images have no labelled attribute of a trained group, so "
                       "nothing shows the new model is better")  # fmt: skip
    if paired["instances"] < MIN_ATTRIBUTE_VAL:
        return False, (f"only {paired['instances']} labelled instances on the held-out images; a "
                       f"promotion needs {MIN_ATTRIBUTE_VAL} or more to tell better heads from luck "
                       "(label more instances' attributes)")  # fmt: skip
    if comparison.get("current") is not None:
        ref, name = comparison["current"], "the current model"
    else:
        ref, name = comparison["majority"], "predicting each group's most common value"
    if new["mean_accuracy"] < ref["mean_accuracy"] + ATTRIBUTE_PROMOTE_MARGIN:
        return False, (f"its mean accuracy {new['mean_accuracy']:.4f} does not beat {name}'s "
                       f"{ref['mean_accuracy']:.4f} by {ATTRIBUTE_PROMOTE_MARGIN:g} on the same "
                       f"{paired['instances']} val instances")  # fmt: skip
    better, worse = paired["better"], paired["worse"]
    if better - worse < SIGN_TEST_Z * math.sqrt(better + worse) or better <= worse:
        return False, (f"it is right where {name} is wrong on {better} val labels, and wrong where "
                       f"it is right on {worse}: too few more to tell it from chance")  # fmt: skip
    return True, None


def run(args: TrainRequest, emit: Emit, cancelled: Callable[[], bool]) -> dict[str, Any]:
    """``fashion-annotator train --project P --task instance_attributes``; return ``done``
    (``not_promoted`` says why a wanted promotion did not happen: :func:`promotion`)."""
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
        heads, figures = train_heads(data, train_rows, val_rows, schema, args.epochs or 40, emit, cancelled)  # None: refused for this task (TrainRequest)
        out_dir = project.root / "cache" / "training" / ATTRIBUTE_TASK
        path = out_dir / f"{ATTRIBUTE_TASK}.safetensors"
        version = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
        trained_on = sorted(set(np.array(data.images)[train_rows].tolist()))
        save_attribute_heads(path, heads, schema, {
            "version": version, "date": dt.datetime.now(dt.timezone.utc).isoformat(),
            "trained_on": trained_on, "metrics": figures, "classifier": str(classifier.meta.get("version")),
            "input_size": list(classifier.meta["input_size"]),
        })  # fmt: skip
        old = None
        record = project.active_model(ATTRIBUTE_TASK)
        if record is not None:
            try:
                old, _ = load_attribute_heads(record.path, data.embeddings.shape[1])
            except ValueError as exc:
                emit({"event": "info", "message": f"current attribute model unusable: {exc}"})
        comparison = compare(heads, old, data, train_rows, val_rows)
        comparison["new"] = figures
        if cancelled():
            raise TrainingCancelled
        promote, reason = promotion(comparison, args.promote_if_better)
        refused = promotion(comparison)[1]  # what the Retrain dialog warns of before "Use this model"
        if refused:
            comparison["refused"] = refused
        reg = project.register_model(ATTRIBUTE_TASK, path, figures, trained_on, activate=promote)
        if reason:
            emit({"event": "info", "message": f"not promoted: {reason}; make it active by hand if wanted "
                  f"(Train > Model history, or models --task {ATTRIBUTE_TASK} --activate {reg.version})"})  # fmt: skip
        return {"event": "done", "version": reg.version, "model_path": str(reg.path), "comparison": comparison,
                "promoted": promote, **({"not_promoted": reason} if reason else {})}  # fmt: skip


def active_attribute_heads(project: Any) -> Path | None:
    """The project's active attribute heads file, or None (no trained heads yet)."""
    record = project.active_model(ATTRIBUTE_TASK)
    return None if record is None else Path(record.path)
