"""Training samples of the click network: photos, targets, crops and starting masks.

The data side of :mod:`training.clicks` (numpy in, numpy out; the loop, the NoC evaluation and
the command line stay there):

- :class:`TaskSpec`: a task of the data folder (its classes and source-id LUT);
- :func:`load_photos`, :func:`project_samples`: photos and labels of a mask folder or of a
  project (its corrected masks, click logs and the proposals its operators were shown);
- :class:`ClickCrops`: the endless stream of training crops (whole photo, object or focus
  crops; starting masks from proposals, GrabCut, empty or perturbed ground truth; replayed
  operator clicks);
- :func:`val_crops`: the whole-photo crops NoC is measured on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from torch.utils.data import Dataset

from fashion_annotator.core.samples import read_sample
from fashion_annotator.models.click import CropBox, fit_box, next_click, warp_crop
from fashion_annotator.segmentation.clicks import Click, correction_crop
from fashion_annotator.segmentation.grabcut import grabcut_box
from training.data import Sample

#: Logged operator clicks replayed per training sample, at most.
MAX_LOGGED = 8


@dataclass
class TaskSpec:
    """A task of the data folder: its name, classes and source-id LUT ``(256,) uint8``."""

    name: str
    classes: list[str]
    lut: np.ndarray

    @property
    def binary(self) -> bool:
        """True for a cutout task (background + one class)."""
        return len(self.classes) == 2


#: Share of training crops that start from a recorded or model proposal, when the photo has one.
P_START = 0.3
#: Share of training crops (not focus crops) that start from GrabCut in a box around the target.
P_GRABCUT = 0.15


def proposal_starts(
    images: list[np.ndarray], tasks: list[TaskSpec], device: str, emit: Callable[[str], None]
) -> list[dict[str, np.ndarray]]:
    """The shipped proposal models' masks ``(H, W) bool`` of each binary task, per photo.

    The click model then learns to correct what operators are actually shown.
    """
    from fashion_annotator.segmentation.proposals import load_predictor

    out: list[dict[str, np.ndarray]] = [{} for _ in images]
    for task in tasks:
        if not task.binary:
            continue
        predictor = load_predictor(task.name, device=device)
        for i, rgb in enumerate(images):
            predictor.set_image(rgb)
            out[i][task.name] = predictor.predict().mask == 1
            if (i + 1) % 100 == 0:
                emit(f"{task.name} proposals: {i + 1}/{len(images)} photos")
    return out


def cached_starts(
    path: Path, names: list[str], images: list[np.ndarray], tasks: list[TaskSpec], device: str,
    emit: Callable[[str], None],
) -> list[dict[str, np.ndarray]]:
    """:func:`proposal_starts`, read from ``path`` when it was made for these photos, else
    computed and written there (``.npz``: each mask bit-packed, with the shipped models' digests).

    A GPU machine that is sent no model files trains on start masks computed here.

    Parameters
    ----------
    path : Path
        The cache file.
    names : list of str
        The photos' sample names, in the order of ``images``.
    images : list of ndarray
        The photos ``(H, W, 3) uint8``.

    Raises
    ------
    ValueError
        ``path`` holds other photos, other sizes, or was made with shipped models that differ
        from the ones here (naming the file).
    """
    from fashion_annotator.segmentation.proposals import default_model_path

    binary = [t.name for t in tasks if t.binary]
    digests = {t: _digest(default_model_path(t)) for t in binary if default_model_path(t).is_file()}
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            if [str(n) for n in z["names"]] != names:
                raise ValueError(f"{path}: start masks of other photos (delete it to recompute)")
            made_with = dict(zip([str(t) for t in z["tasks"]], [str(d) for d in z["digests"]], strict=True))
            if sorted(made_with) != sorted(binary):
                raise ValueError(f"{path}: start masks of {', '.join(sorted(made_with))}, not {', '.join(binary)}")
            stale = [t for t in binary if t in digests and digests[t] != made_with[t]]
            if stale:
                raise ValueError(f"{path}: made with other {', '.join(stale)} models than resources/models "
                                 "(delete it to recompute)")  # fmt: skip
            out: list[dict[str, np.ndarray]] = []
            for i, rgb in enumerate(images):
                h, w = rgb.shape[:2]
                if tuple(z["shapes"][i]) != (h, w):
                    raise ValueError(f"{path}: photo {names[i]} is {tuple(z['shapes'][i])}, not {(h, w)}")
                out.append({t: np.unpackbits(z[f"{t}/{i}"], count=h * w).reshape(h, w).astype(bool) for t in binary})
        emit(f"start masks read from {path}")
        return out
    starts = proposal_starts(images, tasks, device, emit)
    missing = [t for t in binary if t not in digests]
    if missing:
        raise ValueError(f"{path}: no shipped {', '.join(missing)} model to record")
    arrays: dict[str, Any] = {f"{t}/{i}": np.packbits(s[t]) for i, s in enumerate(starts) for t in binary}
    tmp = path.with_name(path.name + ".part.npz")
    np.savez_compressed(
        tmp, names=np.array(names), tasks=np.array(binary), digests=np.array([digests[t] for t in binary]),
        shapes=np.array([im.shape[:2] for im in images]), **arrays,
    )  # fmt: skip
    tmp.replace(path)
    emit(f"start masks written to {path}")
    return starts


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_photos(samples: list, emit: Callable[[str], None]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Decode the photos ``(H, W, 3) uint8`` and source label masks ``(H, W) uint8``."""
    images, masks = [], []
    for i, s in enumerate(samples):
        rgb, mask = read_sample(s)
        images.append(rgb)
        masks.append(mask)
        if (i + 1) % 200 == 0:
            emit(f"loaded {i + 1}/{len(samples)} photos")
    return images, masks


def pick_target(
    labels: np.ndarray, task: TaskSpec, rng: np.random.Generator, min_fraction: float = 0.002
) -> np.ndarray | None:
    """Return the target ``(H, W) bool`` of ``task`` in a label mask, or None if there is none.

    Binary task: its foreground. Multi-class task: a random class covering at least
    ``min_fraction`` of the photo.
    """
    mapped = task.lut[labels]
    if task.binary:
        target = mapped == 1
        return target if target.any() else None
    counts = np.bincount(mapped.ravel(), minlength=len(task.classes))
    present = [c for c in range(1, len(task.classes)) if counts[c] >= min_fraction * mapped.size]
    if not present:
        return None
    return mapped == rng.choice(present)


def sample_box(
    target: np.ndarray, rng: np.random.Generator, size: tuple[int, int]
) -> tuple[CropBox, bool]:
    """Draw a training crop for ``target`` ``(H, W) bool``; return it and whether it is a focus box."""
    h, w = target.shape
    x, y, bw, bh = cv2.boundingRect(target.astype(np.uint8))
    u = rng.random()
    if u < 0.2:
        box = fit_box(0, 0, h, w, size)
        return CropBox(box.y0, box.x0, box.scale * rng.uniform(0.9, 1.1), size), False
    if u < 0.7:
        f = rng.uniform(1.1, 1.8)
        cy, cx = y + bh / 2 + rng.uniform(-0.1, 0.1) * bh, x + bw / 2 + rng.uniform(-0.1, 0.1) * bw
        return fit_box(cy - f * bh / 2, cx - f * bw / 2, cy + f * bh / 2, cx + f * bw / 2, size), False
    edge = cv2.morphologyEx(target.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(edge)
    k = rng.integers(len(ys))
    obj = fit_box(y, x, y + bh, x + bw, size)
    f = rng.uniform(0.25, 0.7)
    half_h, half_w = obj.height * f / 2, obj.width * f / 2
    cy = ys[k] + rng.uniform(-0.3, 0.3) * half_h
    cx = xs[k] + rng.uniform(-0.3, 0.3) * half_w
    return fit_box(cy - half_h, cx - half_w, cy + half_h, cx + half_w, size), True


def product_box(
    start: np.ndarray, target: np.ndarray, rng: np.random.Generator, size: tuple[int, int]
) -> CropBox | None:
    """The crop the window corrects a proposal on, at the training input ``size``.

    The standard clicker's first click on ``start`` ``(H, W) bool`` (the proposal) against
    ``target`` ``(H, W) bool``, then :func:`~fashion_annotator.segmentation.clicks.correction_crop`
    for it: the object crop around the proposal, or (half the time, as from the second click on)
    the focus crop around the click where the object crop is coarse. The box keeps the
    predictor's pixel scale (corrections run at the local input size) and grows to ``size``
    around the same centre, so objects have the size in network pixels the predictor gives them.
    None when the proposal is exact.
    """
    first = next_click(start, target)
    if first is None:
        return None
    click = Click(float(first[0]), float(first[1]), first[2])
    clicks = [click, click] if rng.random() < 0.5 else [click]
    crop = correction_crop(start, clicks, size)
    cy, cx = crop.y0 + crop.height / 2, crop.x0 + crop.width / 2
    return CropBox(cy - size[0] / crop.scale / 2, cx - size[1] / crop.scale / 2, crop.scale, size)


def grabcut_start(image: np.ndarray, gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """GrabCut from a jittered box around ``gt`` on the crop: the box prompt's starting mask.

    Parameters
    ----------
    image : (h, w, 3) uint8
        The training crop.
    gt : (h, w) uint8 {0, 1}
        The target in the crop.

    Returns
    -------
    (h, w) uint8 {0, 1}
        GrabCut's foreground (empty when GrabCut fails, e.g. on a flat crop).
    """
    if not gt.any():
        return np.zeros_like(gt)
    h, w = gt.shape
    x, y, bw, bh = cv2.boundingRect(gt)
    jitter = rng.uniform(-0.05, 0.08, 4) * np.array([bh, bw, bh, bw])
    y0 = int(np.clip(y - jitter[0], 0, h - 2))
    x0 = int(np.clip(x - jitter[1], 0, w - 2))
    y1 = int(np.clip(y + bh + jitter[2], y0 + 2, h))
    x1 = int(np.clip(x + bw + jitter[3], x0 + 2, w))
    return grabcut_box(image, (y0, x0, y1, x1)).astype(np.uint8)


def perturb(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a plausible wrong mask ``(H, W) uint8`` {0, 1} near ``gt`` ``(H, W) uint8`` {0, 1}."""
    h, w = gt.shape
    out = gt.copy()
    u = rng.random()
    if u < 0.4:
        r = int(rng.integers(2, 14))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        out = (cv2.erode if rng.random() < 0.5 else cv2.dilate)(out, kernel)
    elif u < 0.8:
        f = rng.uniform(1 / 24, 1 / 6)
        small = cv2.resize(gt.astype(np.float32), (max(2, int(w * f)), max(2, int(h * f))),
                           interpolation=cv2.INTER_AREA)
        big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        out = (big > rng.uniform(0.3, 0.7)).astype(np.uint8)
    if u >= 0.8 or rng.random() < 0.6:
        for _ in range(int(rng.integers(1, 4))):
            centre = (int(rng.integers(w)), int(rng.integers(h)))
            axes = (int(rng.integers(5, max(6, w // 5))), int(rng.integers(5, max(6, h // 5))))
            blob = np.zeros_like(out)
            cv2.ellipse(blob, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
            out = np.where(blob > 0, rng.integers(0, 2), out).astype(np.uint8)
    if np.array_equal(out, gt):
        centre = (int(rng.integers(w)), int(rng.integers(h)))
        blob = np.zeros_like(out)
        cv2.circle(blob, centre, int(rng.integers(3, max(4, min(h, w) // 6))), 1, -1)
        out ^= blob
    return out


class ClickCrops(Dataset):
    """Infinite stream of training crops; item ``k`` is deterministic given the seed.

    Each item is ``(image (h, w, 3) uint8, gt (h, w) uint8, prev (h, w) uint8, logged (K, 3)
    float32)`` at the network input size ``(h, w)``. ``logged`` holds operator clicks replayed
    from click logs (``y, x`` in crop pixels, ``sign`` +1 / -1, 0 for an empty slot): half the
    time a photo with a log is drawn, its crop covers the target, the mask starts empty and the
    logged clicks replace the first simulated click. ``p_product``: the share of the other
    items, of photos with a start mask for the task, that are the window's own situation: the
    start mask (the proposal) on the crop the predictor corrects it on (:func:`product_box`).
    """

    def __init__(
        self,
        images: list[np.ndarray],
        labels: list[np.ndarray],
        tasks: list[TaskSpec],
        size: tuple[int, int],
        seed: int,
        p_empty: float = 0.35,
        logs: list[list[tuple[float, float, bool]]] | None = None,
        starts: list[dict[str, np.ndarray]] | None = None,
        p_start: float = P_START,
        p_grabcut: float = P_GRABCUT,
        p_product: float = 0.0,
    ) -> None:
        self.images, self.labels, self.tasks = images, labels, tasks
        self.size, self.seed, self.p_empty = size, seed, p_empty
        self.logs = logs or [[] for _ in images]
        self.logged = [i for i, log in enumerate(self.logs) if log]
        self.starts = starts or [{} for _ in images]
        self.p_start, self.p_grabcut, self.p_product = p_start, p_grabcut, p_product

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, k])
        replay = bool(self.logged) and rng.random() < 0.5
        while True:
            i = int(rng.choice(self.logged)) if replay else int(rng.integers(len(self.images)))
            task = self.tasks[int(rng.integers(len(self.tasks)))]
            target = pick_target(self.labels[i], task, rng)
            if target is not None:
                break
        logged = np.zeros((MAX_LOGGED, 3), np.float32)
        if replay:
            x, y, bw, bh = cv2.boundingRect(target.astype(np.uint8))
            f = rng.uniform(1.2, 1.6)
            cy, cx = y + bh / 2, x + bw / 2
            box = fit_box(cy - f * bh / 2, cx - f * bw / 2, cy + f * bh / 2, cx + f * bw / 2,
                          self.size)  # fmt: skip
            clicks = self.logs[i][:MAX_LOGGED]
            yx = box.to_crop(np.array([(c[0], c[1]) for c in clicks]))
            logged[: len(clicks), :2] = yx
            logged[: len(clicks), 2] = [1.0 if c[2] else -1.0 for c in clicks]
            focus = False
        start = self.starts[i].get(task.name)
        product = None
        if not replay and start is not None and self.p_product > 0 and rng.random() < self.p_product:
            product = product_box(start, target, rng, self.size)
        if product is not None:
            box, focus = product, False
        elif not replay:
            box, focus = sample_box(target, rng, self.size)
        image = warp_crop(self.images[i], box)
        gt = (warp_crop(target.astype(np.float32), box) > 0.5).astype(np.uint8)
        u = rng.random()
        if replay:
            prev = np.zeros_like(gt)
        elif product is not None and start is not None:  # the window's own correction of a proposal
            prev = (warp_crop(start.astype(np.float32), box) > 0.5).astype(np.uint8)
        elif start is not None and u < self.p_start:  # what the operator was shown
            prev = (warp_crop(start.astype(np.float32), box) > 0.5).astype(np.uint8)
        elif not focus and u < self.p_start + self.p_grabcut:  # the box prompt's start
            prev = grabcut_start(image, gt, rng)
        elif not focus and rng.random() < self.p_empty:
            prev = np.zeros_like(gt)
        else:
            prev = perturb(gt, rng)
        if rng.random() < 0.5:
            image, gt, prev = image[:, ::-1], gt[:, ::-1], prev[:, ::-1]
            logged[:, 1] = np.where(logged[:, 2] != 0, self.size[1] - 1 - logged[:, 1], 0)
        return (np.ascontiguousarray(image), np.ascontiguousarray(gt),
                np.ascontiguousarray(prev), logged)  # fmt: skip


def project_samples(
    root: Path | str, tasks: list[str], exclude_unchanged: bool = False
) -> tuple[
    list[TaskSpec],
    list[Sample],
    list[Sample],
    dict[str, list[tuple[float, float, bool]]],
    dict[str, dict[str, np.ndarray]],
]:
    """Training samples of a project's binary ``tasks`` and the clicks logged with each mask.

    The train / val split is the one of every project retrain (and of the Retrain dialog's
    sentence): :func:`training.finetune.project_samples`, val stratified by garment size. The
    project's masks hold the task's ids already (identity LUT). Returns the task specs, the
    train and val samples (named by photo file), per sample name the clicks
    ``(y, x, positive)`` on label 1 logged with any of the mask's versions that agree with its
    latest version (:func:`agreeing_clicks`: an undone click is not replayed), oldest first, and
    per sample name the proposal the operator started from, shown before the first save
    (:func:`~fashion_annotator.dataset.records.started_from`: not one recorded after a save,
    e.g. by a model refit on this very mask; ``{task: (H, W) bool}``, empty when none was
    recorded).
    """
    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.dataset.click_logs import read_click_log
    from fashion_annotator.dataset.records import started_from
    from fashion_annotator.dataset.store import open_project
    from fashion_annotator.dataset.training_set import select_training_masks
    from fashion_annotator.models.weights import read_meta
    from training.click_retrain import current_click_model
    from training.finetune import project_samples as retrain_split

    if len(tasks) != 1:
        raise SystemExit(f"--project trains one binary task at a time, got --tasks {','.join(tasks)}")
    identity = np.arange(256, dtype=np.uint8)
    with open_project(root) as project:
        task = tasks[0]
        if task not in project.tasks:
            raise SystemExit(f"{root}: the project has no task {task!r} ({project.tasks})")
        spec = TaskSpec(task, list(project.taxonomy(task).names), identity)
        if not spec.binary:
            raise SystemExit(f"{root}: task {task!r} is not a cutout (binary) task")
        current = current_click_model(project)  # val first from photos it did not train on
        trained_on = read_meta(current).get("trained_on") or () if current.is_file() else ()
        try:
            train_s, val_s = retrain_split(project, task, exclude_unchanged, trained_on)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        ids = {Path(it.photo).name: it.image_id for it in select_training_masks(project, task).items()}
        logs, starts = {}, {}
        for sample in train_s + val_s:
            versions = project.mask_versions(ids[sample.name], task)
            shown = started_from(project.proposals(ids[sample.name], task), versions)
            starts[sample.name] = {} if shown is None else {task: load_mask(shown.path) == 1}
            logged = [c for v in versions for c in read_click_log(v.path)]
            logs[sample.name] = agreeing_clicks(logged, load_mask(sample.mask))
    return [spec], train_s, val_s, logs, starts


def agreeing_clicks(logged: list[dict[str, Any]], mask: np.ndarray) -> list[tuple[float, float, bool]]:
    """The logged clicks on label 1 that agree with the mask they are replayed against.

    The click logs of all the mask's versions are kept (each holds the clicks of one session,
    the ones since the save before), but a click saved with one version can be undone, or
    painted over, before a later one (an autosave in between): replayed on the latest mask it
    would teach the opposite of what the operator wanted. A positive click is kept when its
    pixel is on the object (label 1) of ``mask``, a negative click when it is off it.

    Parameters
    ----------
    logged : list of dict
        Click-log entries (``y``, ``x`` in photo pixels, ``positive``, ``label``), oldest first.
    mask : (H, W) uint8
        The mask the clicks are replayed against (the latest version).

    Returns
    -------
    list of (float, float, bool)
        ``(y, x, positive)`` of the agreeing clicks, oldest first.
    """
    h, w = mask.shape
    kept = []
    for c in logged:
        if int(c.get("label", 1)) != 1:
            continue
        y, x, positive = float(c["y"]), float(c["x"]), bool(c["positive"])
        iy = min(max(int(np.floor(y + 0.5)), 0), h - 1)  # the pixel the click is on
        ix = min(max(int(np.floor(x + 0.5)), 0), w - 1)
        if (mask[iy, ix] == 1) == positive:
            kept.append((y, x, positive))
    return kept


def val_crops(
    images: list[np.ndarray], labels: list[np.ndarray], task: TaskSpec, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-photo val crops: ``images (N, h, w, 3) uint8`` and ``gts (N, h, w) bool``."""
    xs, gts = [], []
    for rgb, lab in zip(images, labels, strict=True):
        target = task.lut[lab] == 1
        if not target.any():
            continue
        box = fit_box(0, 0, rgb.shape[0], rgb.shape[1], size)
        xs.append(warp_crop(rgb, box))
        gts.append(warp_crop(target.astype(np.float32), box) > 0.5)
    return np.stack(xs), np.stack(gts)
