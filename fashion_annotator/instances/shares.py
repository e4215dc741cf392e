"""Fine categories from what the parsing network saw: the share classifier.

The crop classifier (:mod:`.classifier`) looks at a small crop of each instance. The share
classifier instead reads :func:`~fashion_annotator.instances.features.share_features`: the
parsing model's mean class probabilities inside the instance (a parsing18 "outer" that is 30%
"top" is a different garment from a pure one), its CIELAB colour, what else the person wears
(mean probabilities over the foreground) and where it sits. Every category competes, whatever
the instance's parsing class: the probabilities already say which classes are plausible, and
limiting the choice to the parsing class's children lowered CCP val top-3 (0.86 -> 0.82).

The features only use the parsing model's *class probabilities*, whose meaning does not change
when that model is retrained, so the head stays valid for a retrained parsing18 model.

``ShareNet`` is a small bag of MLPs (members trained from different seeds, logits averaged).
Files: ``safetensors`` + JSON meta (architecture ``instance_shares``), one per parsing task,
shipped as ``resources/models/instance_shares_<parsing task>.*`` (parsing18 and parsing7; with
parsing7 the accessories' instances come from the garment cutout, so their probabilities are
mostly "background" and colour and context carry them); ``meta["parsing_task"]`` names the parsing taxonomy
whose probabilities it reads, ``feature_mean`` / ``feature_std`` standardise the features (one
number per input, measured on the training features); ``mean`` / ``std`` / ``input_size`` are
the image keys every model meta carries, unused here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from fashion_annotator.instances.derive import Box
from fashion_annotator.instances.features import N_COLOUR, N_GEOMETRY, share_features
from fashion_annotator.models.weights import ModelFileError, load_model
from fashion_annotator.resources import resource_path

SHARES_TASK = "instance_shares"
#: The parsing tasks a share classifier ships for.
SHIPPED_PARSING_TASKS = ("parsing18", "parsing7")
SHARES_ARCHITECTURE = "instance_shares"
#: Bounds checked before anything is allocated (a hostile meta cannot ask for a huge network).
LIMITS = {"n_inputs": (1, 4096), "n_categories": (1, 4096), "hidden": (1, 4096), "members": (1, 16)}


def n_share_inputs(n_classes: int) -> int:
    """Feature size for a parsing taxonomy of ``n_classes`` classes."""
    return 2 * n_classes + N_COLOUR + N_GEOMETRY


class ShareNet(nn.Module):
    """Members MLPs ``n_inputs -> hidden -> n_categories``; :meth:`forward` averages their logits.

    Parameters
    ----------
    n_inputs, n_categories, hidden, members : int
        See :data:`LIMITS` for the accepted ranges.
    dropout : float
        Dropout before the last layer (training only).
    """

    def __init__(self, n_inputs: int, n_categories: int, hidden: int = 256, members: int = 1, dropout: float = 0.3) -> None:
        super().__init__()
        for key, value in {"n_inputs": n_inputs, "n_categories": n_categories, "hidden": hidden, "members": members}.items():
            lo, hi = LIMITS[key]
            if not (isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi):
                raise ValueError(f"{key}={str(value)[:40]} outside {lo}..{hi}")
        self.members = nn.ModuleList(
            nn.Sequential(
                nn.Dropout(0.1), nn.Linear(n_inputs, hidden), nn.ReLU(inplace=True),
                nn.Dropout(dropout), nn.Linear(hidden, n_categories),
            )
            for _ in range(members)
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, n_inputs)`` standardised features -> ``(N, n_categories)`` mean logits."""
        return torch.stack([m(x) for m in self.members]).mean(dim=0)


def default_shares_path(parsing_task: str) -> Path:
    """The shipped share classifier of ``parsing_task`` (the file may not exist)."""
    return resource_path("models", f"{SHARES_TASK}_{parsing_task}.safetensors")


class ShareClassifier:
    """Category logits of instances from a parsing model's probabilities.

    Parameters
    ----------
    net : ShareNet
    meta : dict
        ``classes`` (category names, the crop classifier's order), ``parsing_task``,
        ``parsing_classes``, ``feature_mean`` and ``feature_std`` (one number per input).
    path : Path, optional
        The file, named in errors.
    """

    def __init__(self, net: ShareNet, meta: dict[str, Any], path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else Path("<instance_shares>")
        self.net = net.eval()
        self.meta = meta
        self.categories: list[str] = [str(c) for c in meta["classes"]]
        try:
            self.parsing_task = str(meta["parsing_task"])
            self.parsing_classes = [str(c) for c in meta["parsing_classes"]]
            self.mean = np.asarray(meta["feature_mean"], np.float32)
            self.std = np.asarray(meta["feature_std"], np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(self.path, f"meta lacks or garbles {exc}") from None
        n_in = n_share_inputs(len(self.parsing_classes))
        first = next(m for m in net.modules() if isinstance(m, nn.Linear))
        if self.mean.shape != (n_in,) or self.std.shape != (n_in,) or first.in_features != n_in:
            raise ModelFileError(
                self.path,
                f"expects {n_in} inputs for {len(self.parsing_classes)} {self.parsing_task} classes; "
                f"network reads {first.in_features}, feature_mean/std have {self.mean.shape}/{self.std.shape}",
            )
        if not np.all(self.std > 0):
            raise ModelFileError(self.path, "feature_std must be positive")

    @classmethod
    def load(cls, path: str | Path) -> ShareClassifier:
        """Load a share classifier file; :class:`ModelFileError` if unusable."""
        path = Path(path)
        loaded = load_model(path)
        if loaded.meta.get("task") != SHARES_TASK:
            raise ModelFileError(path, f"task is {loaded.meta.get('task')!r}, not {SHARES_TASK!r}")
        if not isinstance(loaded.module, ShareNet):
            raise ModelFileError(path, f"architecture is {loaded.meta.get('architecture')!r}, not {SHARES_ARCHITECTURE!r}")
        return cls(loaded.module, loaded.meta, path)

    def reads(self, parsing_task: str | None, n_classes: int) -> bool:
        """Whether probabilities of ``parsing_task`` with ``n_classes`` classes are this head's input."""
        return parsing_task == self.parsing_task and n_classes == len(self.parsing_classes)

    @torch.no_grad()
    def logits(
        self,
        rgb: np.ndarray,
        probs: np.ndarray,
        parsing: np.ndarray,
        instance_map: np.ndarray,
        ids: Sequence[int],
        boxes: Mapping[int, Box],
        shares: np.ndarray | None = None,
    ) -> np.ndarray:
        """Category logits ``(N, C) float32`` of instances ``ids``; the arguments are those of
        :func:`~fashion_annotator.instances.features.share_features`, ``probs`` of
        :attr:`parsing_task`."""
        feats = share_features(rgb, probs, parsing, instance_map, ids, boxes, shares)
        x = (feats - self.mean) / self.std
        return self.net(torch.from_numpy(x.astype(np.float32))).numpy()


def shipped_shares() -> dict[str, ShareClassifier]:
    """Every shipped share classifier, by the parsing task it reads."""
    heads = {}
    for task in SHIPPED_PARSING_TASKS:
        path = default_shares_path(task)
        if path.is_file():
            heads[task] = ShareClassifier.load(path)
    return heads
