"""Model proposals: run a trained network on a photo, numpy in and numpy out.

The predictor follows segment-anything's shape: :meth:`Predictor.set_image` runs the network
once and keeps the low-resolution logits; :meth:`Predictor.predict` then only enlarges them to
the photo's resolution. Photos are shrunk with area interpolation (no aliasing) and logits are
enlarged bilinearly, so class boundaries stay smooth at full resolution.

Model files are ``safetensors`` weights plus a JSON of metadata (see ``models/weights.py``);
nothing is ever unpickled. A missing, corrupt or mismatched file raises :class:`ModelLoadError`
naming the file, so the application can carry on without proposals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from fashion_annotator.core.label_maps import object_crop
from fashion_annotator.core.resample import sample_bilinear, source_axis
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.models.device import device_display_name, resolve_device
from fashion_annotator.models.effunet import fold_frozen_batchnorms
from fashion_annotator.models.preprocess import (
    Geometry,
    InputSpec,
    crop_output,
    stack_inputs,
    to_input,
)
from fashion_annotator.models.registry import logits_of
from fashion_annotator.models.weights import ModelFileError, check_meta, load_model
from fashion_annotator.resources import resource_path
from fashion_annotator.segmentation.pipeline import AgreeingPredictor, Proposal, agreeing_cutouts

#: Meta keys that make a model propose with more than one plain pass at its training resolution.
BEYOND_ONE_PASS = ("crop_pass", "flip_average", "infer_long_side")
#: Meta keys inference needs (the network is already built, so no ``arch``).
REQUIRED_META = ("task", "classes", "input_size", "mean", "std")
# Photos are pushed through the network in chunks of this many, to bound memory.
DEFAULT_BATCH_SIZE = 8


#: The one error for unusable model files (missing, corrupt, mismatched): the same class as
#: :class:`fashion_annotator.models.weights.ModelFileError`; ``.path`` and ``.reason``.
ModelLoadError = ModelFileError


def _enlarge(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinearly resize ``(C, h, w)`` float32 logits to ``(C, H, W)``."""
    h, w = shape
    if logits.shape[1:] == (h, w):
        return logits.copy()
    # cv2 resizes channel-last arrays of up to 512 channels in one call.
    big = cv2.resize(
        np.ascontiguousarray(logits.transpose(1, 2, 0)), (w, h), interpolation=cv2.INTER_LINEAR
    )
    if big.ndim == 2:
        big = big[:, :, None]
    return np.ascontiguousarray(big.transpose(2, 0, 1))


def _enlarged_argmax(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``argmax`` over classes of ``(C, h, w)`` logits enlarged bilinearly to ``shape`` ``(H, W)``.

    Exact without enlarging every class: a full-resolution pixel whose four source pixels all
    have the same class on top keeps that class (a convex combination of logits keeps their
    order), so only the pixels between source pixels of different classes (the class edges,
    a few per cent of the photo) are interpolated (:func:`sample_enlarged`), found from the
    low-resolution cells (:func:`_cell_pixels`) rather than from a full-resolution mask. Ties
    go to the lower class, as ``argmax``. Against enlarging one class at a time with a running
    maximum (measured at 1152x1728 from 448x299 logits of the shipped models, same run, loaded
    machine): parsing18 125 -> 79 ms, parsing7 63 -> 58 ms, the same masks; the cells' pixels
    and class-last samples then (one thread, same run): parsing18 21 -> 14 ms, parsing7
    13 -> 8 ms.

    Returns
    -------
    (H, W) uint8
    """
    h, w = logits.shape[1:]
    pixels = _class_last(logits)  # the argmax and the samples read contiguous class vectors
    low = pixels.argmax(axis=2).astype(np.uint8)
    if (h, w) == tuple(shape):
        return low
    # Source cells (the 2x2 pixels a destination pixel is interpolated from) whose classes differ.
    pad = np.pad(low, ((0, 1), (0, 1)), mode="edge")
    mixed = (pad[:-1, :-1] != pad[1:, :-1]) | (pad[:-1, :-1] != pad[:-1, 1:]) | (pad[:-1, :-1] != pad[1:, 1:])
    rows = source_axis(np.arange(shape[0]), h, shape[0])[0]
    cols = source_axis(np.arange(shape[1]), w, shape[1])[0]
    out = np.take(np.take(low, rows, axis=0), cols, axis=1)
    ys, xs = _cell_pixels(mixed, rows, cols)
    if ys.size:
        out[ys, xs] = sample_bilinear(pixels, ys, xs, shape).argmax(axis=1)
    return out


def _cell_pixels(cells: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution pixels whose source cell is set in ``cells``.

    Parameters
    ----------
    cells : (h, w) bool
        Source cells.
    rows, cols : (H,) and (W,) integer, non-decreasing
        Each destination row's (column's) source row (column).

    Returns
    -------
    ys, xs : (n,) intp
        The pixels, each cell's block in turn (not in row-major order); computed from the set
        cells without a full-resolution mask.
    """
    h, w = cells.shape
    row_start = np.searchsorted(rows, np.arange(h), "left")
    row_count = np.searchsorted(rows, np.arange(h), "right") - row_start
    col_start = np.searchsorted(cols, np.arange(w), "left")
    col_count = np.searchsorted(cols, np.arange(w), "right") - col_start
    cr, cc = np.nonzero(cells)
    n_cols = col_count[cc]
    sizes = row_count[cr] * n_cols
    cell = np.repeat(np.arange(cr.size), sizes)
    k = np.arange(cell.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    n_cols = n_cols[cell]
    return row_start[cr][cell] + k // n_cols, col_start[cc][cell] + k % n_cols


def _class_last(logits: np.ndarray) -> np.ndarray:
    """``(C, h, w)`` -> a contiguous ``(h, w, C)`` copy: one class vector per gather."""
    return np.ascontiguousarray(logits.transpose(1, 2, 0))


def sample_enlarged(logits: np.ndarray, shape: tuple[int, int], where: np.ndarray) -> np.ndarray:
    """The values :func:`_enlarge` gives at some pixels, without enlarging the whole photo.

    Bilinear, with OpenCV's ``INTER_LINEAR`` geometry (pixel centres aligned, edges clamped).

    Parameters
    ----------
    logits : (C, h, w) float32
        Values at network resolution.
    shape : (H, W)
        The full resolution.
    where : (H, W) bool
        The pixels wanted.

    Returns
    -------
    (C, n) float32
        The enlarged values of the ``n`` pixels of ``where``, in row-major order (a transposed
        view of an ``(n, C)`` array).
    """
    rows, cols = np.nonzero(where)
    return sample_bilinear(_class_last(logits), rows, cols, shape).T


def _softmax(logits: np.ndarray) -> np.ndarray:
    out = logits - logits.max(axis=0, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=0, keepdims=True)
    return out


class Predictor:
    """Run a loaded model on photos.

    Parameters
    ----------
    model : LoadedModel
        ``module`` (a torch ``nn.Module``, ``forward(x) -> (N, C, h, w)`` logits) and ``meta``
        (the metadata dict, see docs/architecture.md).
    device : str or torch.device
        ``"auto"`` (CUDA, else MPS, else CPU), or any torch device string.
    path : Path, optional
        The model file, named in errors.
    crop_pass : bool, optional
        Binary tasks: run the network a second time on the object crop around the first mask
        (:func:`fashion_annotator.core.label_maps.object_crop`) and replace the logits inside it,
        so small subjects are seen at a higher resolution. None (the default) follows the
        model's metadata (``"crop_pass": true`` for models fine-tuned on object crops); the
        shipped models have it off: it doubles the cost.
    flip_average : bool, optional
        Test-time flip averaging: run the photo and its mirror image in one batch and average
        the logits (about twice the network cost). None follows the metadata's
        ``"flip_average"`` (off when absent).
    long_side : int, optional
        Letterbox models: the photo's long side in the network input. None follows the
        metadata's ``"infer_long_side"``, else the training ``"long_side"``.
    one_pass : bool
        One plain pass at the training resolution whatever the metadata says (no crop pass,
        no flip averaging, the training long side): the "fast proposals" preference, about 2-3x
        faster than the shipped settings. Options given explicitly still win.

    Raises
    ------
    ModelLoadError
        When the metadata is incomplete or the network's output does not match its classes.
    """

    def __init__(
        self,
        model: Any,
        device: str | torch.device = "auto",
        path: Path | None = None,
        *,
        crop_pass: bool | None = None,
        flip_average: bool | None = None,
        long_side: int | None = None,
        one_pass: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else Path("<model>")
        meta = check_meta(dict(model.meta), self.path, REQUIRED_META)
        if one_pass:
            meta = {k: v for k, v in meta.items() if k not in BEYOND_ONE_PASS}
        self.meta = meta
        self.task: str = str(meta["task"])
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        self.num_classes = len(self.classes)
        self.is_binary = self.num_classes == 2
        try:
            self.spec = InputSpec.from_meta(meta).for_inference(meta, long_side)
        except ValueError as exc:
            raise ModelLoadError(self.path, str(exc)) from None
        crop_side = meta.get("crop_long_side")
        try:
            #: The crop pass's input: letterbox models with ``"crop_long_side"`` see the object
            #: crop at that long side (fine-tunes: ``training.recipe.CROP_LONG_SIDE``), others
            #: at the first pass's.
            self.crop_spec = self.spec if crop_side is None else self.spec.for_inference(meta, crop_side)
        except ValueError as exc:
            raise ModelLoadError(self.path, f"crop_long_side: {exc}") from None
        self.input_size = self.spec.input_size
        self.mean, self.std = self.spec.mean, self.spec.std
        self.threshold = float(meta.get("threshold", 0.5))
        version = meta.get("version")
        self.model_version: str | None = None if version is None else str(version)
        self.device = resolve_device(device)
        self.device_name = device_display_name(self.device)
        self.module = model.module.to(self.device).eval()
        # The predictor owns its module: EfficientNet-Lite normalisations fold into their
        # convolutions (parsing18's Lite0 network at long side 448, one thread: about 0.9x the time).
        fold_frozen_batchnorms(self.module)
        # Channels-last convolutions on the CPU: about 1.2-1.3x faster for the same logits
        # (person at long side 384, two threads: 85-90 against 110 ms).
        self._memory_format = (
            torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        )
        self.module = self.module.to(memory_format=self._memory_format)
        self.crop_pass = bool(meta.get("crop_pass", False) if crop_pass is None else crop_pass)
        self.flip_average = bool(
            meta.get("flip_average", False) if flip_average is None else flip_average
        )
        bias = meta.get("logit_bias")
        #: Multi-class models: ``(C, 1, 1) float32`` added to the logits before the argmax and
        #: softmax (``"logit_bias"``, tuned on training photos by ``training.recipes.class_bias``).
        self.logit_bias: np.ndarray | None = (
            None if bias is None or self.is_binary
            else np.asarray(bias, np.float32).reshape(-1, 1, 1)
        )  # fmt: skip
        self._logits: np.ndarray | None = None
        self._mirror_logits: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._check_output_channels()

    @property
    def out_channels(self) -> int:
        """Channels the network must output: 1 for binary tasks (sigmoid), else one per class."""
        return 1 if self.is_binary else self.num_classes

    def _check_output_channels(self) -> None:
        h, w = self.input_size
        # A quarter-size probe keeps this cheap while staying divisible like the real input.
        probe = np.zeros((1, 3, max(h // 4, 8), max(w // 4, 8)), dtype=np.float32)
        try:
            logits = self._forward(probe)
        except Exception as exc:  # noqa: BLE001 - any failure means the file is unusable
            raise ModelLoadError(self.path, f"network fails on a {h}x{w} input ({exc})") from None
        if logits.ndim != 4 or logits.shape[1] != self.out_channels:
            raise ModelLoadError(
                self.path,
                f"network outputs {tuple(logits.shape)} but metadata lists {self.num_classes} "
                f"classes (expected {self.out_channels} channels)",
            )

    def _preprocess(self, rgb: np.ndarray) -> tuple[np.ndarray, Geometry]:
        """Photo -> normalised ``(3, h, w)`` float32 network input and its geometry.

        See :mod:`fashion_annotator.models.preprocess` (the same function training uses).
        """
        return to_input(rgb, self.spec)

    @torch.inference_mode()
    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on ``(N, 3, h, w)`` float32 input; return float32 logits on the CPU."""
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)
        x = x.contiguous(memory_format=self._memory_format)
        if self.device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.float16):
                out = logits_of(self.module(x))
        else:
            out = logits_of(self.module(x))
        return out.float().cpu().numpy()

    def _run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits of ``(N, 3, h, w)`` input, flip-averaged when :attr:`flip_average`.

        Returns
        -------
        logits : (N, C, h, w) float32
            What the proposal is made from.
        mirrored : (N, C, h, w) float32 or None
            The mirror image's logits mirrored back (None without flip averaging). Letterbox
            padding lies at the bottom and right of both, so :func:`crop_output` fits both.
        """
        if not self.flip_average:
            return self._forward(batch), None
        both = self._forward(np.concatenate([batch, batch[..., ::-1]]))
        n = len(batch)
        mirrored = both[n:, ..., ::-1]
        return (both[:n] + mirrored) / 2, mirrored

    def set_image(self, rgb: np.ndarray) -> None:
        """Run the network on one photo and keep its logits for :meth:`predict`.

        Parameters
        ----------
        rgb : (H, W, 3) uint8
            The photo at full resolution.
        """
        x, geo = self._preprocess(rgb)
        logits, mirrored = self._run(x[None])
        self._logits = crop_output(logits[0], geo)
        self._mirror_logits = None if mirrored is None else crop_output(mirrored[0], geo)
        self._rgb = rgb

    def predict(self) -> Proposal:
        """Return the proposal for the photo given to :meth:`set_image`."""
        if self._logits is None or self._rgb is None:
            raise RuntimeError("call set_image() before predict()")
        return self._proposal(self._logits, self._rgb)

    @property
    def logits(self) -> np.ndarray:
        """The ``(C, h, w) float32`` logits of the photo given to :meth:`set_image`, at network
        resolution, cropped to the photo's content, before :attr:`logit_bias`."""
        if self._logits is None:
            raise RuntimeError("call set_image() before reading logits")
        return self._logits

    def predict_mirrored(self) -> Proposal | None:
        """With flip averaging: the proposal of the mirror pass alone, in the photo's frame (no
        crop pass), for flip disagreement (:mod:`.active`) at no extra cost; else None."""
        if self._mirror_logits is None or self._rgb is None:
            return None
        return self._proposal(self._mirror_logits, self._rgb, crop_pass=False)

    def predict_batch(
        self, images: Sequence[np.ndarray], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[Proposal]:
        """Return one proposal per photo, running the network on batches of photos.

        Parameters
        ----------
        images : sequence of (H, W, 3) uint8
            Photos, of any sizes.
        batch_size : int
            Photos per forward pass.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        proposals: list[Proposal] = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            prepared = [self._preprocess(rgb) for rgb in chunk]
            logits, _ = self._run(stack_inputs([x for x, _ in prepared]))
            proposals.extend(
                self._proposal(crop_output(lg, geo), rgb)
                for lg, (_, geo), rgb in zip(logits, prepared, chunk, strict=True)
            )
        return proposals

    def predict_masks(
        self, images: Sequence[np.ndarray], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[np.ndarray]:
        """The ``(H, W) uint8`` mask of each photo (:meth:`predict_batch` without the probs)."""
        return [proposal.mask for proposal in self.predict_batch(images, batch_size)]

    def _refine_crop(self, big: np.ndarray, rgb: np.ndarray, cut: float) -> np.ndarray:
        """Second pass: re-predict the box around the first mask (at :attr:`crop_spec`)."""
        crop = object_crop(big[0] >= cut)
        if crop is None:
            return big
        x, geo = to_input(rgb[crop.slices], self.crop_spec)
        crop_logits = crop_output(self._run(x[None])[0][0], geo)
        rows, cols = crop.slices
        big[:, rows, cols] = _enlarge(crop_logits, crop.shape)
        return big

    def _proposal(self, logits: np.ndarray, rgb: np.ndarray, crop_pass: bool = True) -> Proposal:
        shape = (rgb.shape[0], rgb.shape[1])
        if not self.is_binary:
            if self.logit_bias is not None:
                logits = logits + self.logit_bias
            # The mask without the full-resolution logits of every class; probs on demand.
            return Proposal(_enlarged_argmax(logits, shape),
                            lambda: _softmax(_enlarge(logits, shape)), self.task, self.model_version,
                            coarse_probs=lambda: _softmax(logits.copy()),
                            scores_at=lambda where: sample_enlarged(logits, shape, where))  # fmt: skip
        big = _enlarge(logits, shape)
        # p >= t  <=>  logit >= log(t / (1 - t)); avoids a sigmoid over the full photo.
        cut = math.log(self.threshold / (1.0 - self.threshold))
        if self.crop_pass and crop_pass:
            big = self._refine_crop(big, rgb, cut)
        mask = (big[0] >= cut).astype(np.uint8)

        def make_probs() -> np.ndarray:
            p = 1.0 / (1.0 + np.exp(-big[0]))
            return np.stack([1.0 - p, p]).astype(np.float32, copy=False)

        return Proposal(mask, make_probs, self.task, self.model_version)


def _load_file(path: Path, device: str | torch.device, **options: Any) -> Predictor:
    if not path.is_file():
        raise ModelLoadError(path, "a folder, not a model file" if path.is_dir() else "model file does not exist")
    try:
        loaded = load_model(path)
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt files fail in many ways inside safetensors/torch
        raise ModelLoadError(path, f"cannot load weights ({type(exc).__name__}: {exc})") from None
    return Predictor(loaded, device=device, path=path, **options)


def default_model_path(task: str) -> Path:
    """The shipped default model for ``task``: ``resources/models/<task>.safetensors``."""
    return resource_path("models", f"{task}.safetensors")


def model_path(task: str, project: ProjectStore | None = None) -> Path | None:
    """The one model lookup: the project's active model for ``task``, else the shipped default,
    else None. (An explicit model file, when a caller has one, wins over both.)"""
    if project is not None:
        record = project.models.active(task)
        if record is not None:
            return Path(record.path)
    shipped = default_model_path(task)
    return shipped if shipped.is_file() else None


def load_predictor(
    task_or_path: str | Path,
    project: ProjectStore | None = None,
    device: str | torch.device = "auto",
    *,
    crop_pass: bool | None = None,
    flip_average: bool | None = None,
    long_side: int | None = None,
    one_pass: bool = False,
) -> Predictor:
    """Load a predictor from a model file, a project's active model, or the shipped default.

    Parameters
    ----------
    task_or_path : str or Path
        A ``.safetensors`` file, or a task name (taxonomy name, e.g. ``"garment"``).
    project : Project, optional
        For a task name: its active model wins over the shipped default.
    device : str or torch.device
        ``"auto"`` (CUDA, else MPS, else CPU) or a torch device string.
    crop_pass, flip_average, long_side, one_pass : optional
        See :class:`Predictor` (None: as the model's metadata says).

    Raises
    ------
    ModelLoadError
        When no model exists for the task, or the file is corrupt or mismatched.
    """
    text = str(task_or_path)
    is_path = (
        isinstance(task_or_path, Path)
        or text.endswith(".safetensors")
        or any(sep in text for sep in "/\\")
    )
    options = {"crop_pass": crop_pass, "flip_average": flip_average, "long_side": long_side,
               "one_pass": one_pass}  # fmt: skip
    if is_path:
        return _load_file(Path(task_or_path), device, **options)
    task = text
    path = model_path(task, project)
    if path is None:
        raise ModelLoadError(
            default_model_path(task),
            f"no model for task {task!r}: no active project model and no shipped default",
        )
    predictor = _load_file(path, device, **options)
    _check_task(predictor, task)
    return predictor


def _check_task(predictor: Predictor, task: str) -> None:
    if predictor.task != task:
        raise ModelLoadError(predictor.path, f"model is for task {predictor.task!r}, not {task!r}")


def load_shown_predictor(
    task: str, project: ProjectStore, device: str | torch.device = "auto"
) -> Predictor | AgreeingPredictor:
    """The predictor of ``task`` as the window proposes with it in ``project``.

    The project's active model (else the shipped one); for a parsing task whose proposals agree
    with some of the project's cutout tasks (:func:`.pipeline.agreeing_cutouts`), wrapped in
    :class:`.pipeline.AgreeingPredictor` with those tasks' predictors.

    Raises
    ------
    ModelLoadError
        As :func:`load_predictor`, for any of the models.
    """
    predictor = load_predictor(task, project, device)
    cutouts = {name: load_predictor(name, project, device) for name in agreeing_cutouts(project, task)}
    return AgreeingPredictor(predictor, cutouts) if cutouts else predictor


def activate_model(project: ProjectStore, task: str, version: int | None) -> None:
    """Make ``version`` the ``task``'s active model (None: the shipped one), once its file loads.

    Raises
    ------
    ProjectError
        No such version, or its weights or meta cannot be loaded (a version whose file was
        damaged or removed was activated, and every proposal then failed).
    """
    from fashion_annotator.dataset.records import ProjectError

    if version is not None:
        record = next((m for m in project.models(task) if m.version == version), None)
        if record is not None:
            try:
                _load_registered(task, record.path)
            except ModelFileError as exc:
                raise ProjectError(f"version {version} of {task} not activated: {exc}") from exc
    project.models.set_active(task, version)


def active_model_problem(project: ProjectStore, task: str) -> str | None:
    """Why ``task``'s active project model cannot be used (its file missing, damaged or of
    another task), or None: no active version, or one that loads.

    ``models`` and ``info`` mark such a version; the window proposes with the shipped model
    instead (:class:`fashion_annotator.ui.annotate.proposal_source.ProposalSource`).
    """
    record = project.models.active(task)
    if record is None:
        return None
    try:
        _load_registered(task, Path(record.path))
    except ModelFileError as exc:
        return f"the active {task} model v{record.version} cannot be used: {exc}"
    return None


def _load_registered(task: str, path: Path) -> None:
    """Load a registered model file as its task's loader does (attribute heads are not a
    network of their own: they read the category classifier's embedding), and refuse a file
    made for another task (one copied in by hand was activated, then proposed nothing)."""
    from fashion_annotator.instances.classifier import ATTRIBUTE_TASK, load_attribute_heads
    from fashion_annotator.models.weights import read_meta

    if task == ATTRIBUTE_TASK:
        arch = read_meta(path).get("arch")
        load_attribute_heads(path, int(arch.get("embed_dim", 0)) if isinstance(arch, dict) else 0)
    else:
        load_model(path)
    made_for = read_meta(path).get("task")
    if made_for != task:
        raise ModelFileError(path, f"the file is a model of task {made_for!r}, not of {task!r}")
