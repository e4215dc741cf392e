"""An ensemble network: several trained networks whose probabilities are averaged.

Two networks that learnt the same task differently (a scratch-trained U-Net and an
ImageNet-started EfficientNet-Lite0 U-Net) make different mistakes; the mean of their class
probabilities is better than either (parsing7 on CCP val: 0.673 and 0.660 alone, 0.684 together;
see the README's "Shipped models"). The ensemble is one ``nn.Module`` registered like any other
architecture, so a model file that holds one is loaded, proposed with, evaluated and retrained
(the members are trained together through the averaged output) by the same code as a single
network.

Its output is a *log-probability* per class (``log`` of the members' mean softmax; for a
binary task the logit of the members' mean sigmoid): an argmax, a softmax and a cross-entropy
of it mean what they mean for a single network's logits.

A member may also carry a **fine head** (``"fine_head": {"parents": [...], "weight": w}``): its
network then has more outputs than the ensemble, its own classes first and the classes of a finer
taxonomy after them (the shipped parsing7 members end with the 18 parsing18 logits of the same
trunk). The member's probability of a class is ``(1 - w)`` times its own softmax plus ``w`` times
the summed softmax of the fine classes whose parent it is: the two heads of one trunk, trained on
the same photos at two granularities, read each other's mistakes for the cost of a few more
output channels (parsing7 on CCP val as the window shows it, w = 0.5 against none: mIoU
0.7110 -> 0.7118, pixel accuracy 0.9480 -> 0.9487; w chosen on CCP train photos).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fashion_annotator.models.registry import architecture_of, build_model, logits_of

#: Members an ensemble file may hold (each runs on every photo).
MAX_MEMBERS = 4
#: Fine classes a member's fine head may have.
MAX_FINE_CLASSES = 256
#: Probabilities are clamped here before the log, so a class no member gives any weight to
#: stays finite (its log-probability about -69).
_EPS = 1e-30


class Ensemble(nn.Module):
    """Networks of any registered architecture, their probabilities averaged.

    Parameters
    ----------
    in_ch, out_ch : int
        Input channels and output channels (1 for a binary cutout, else one per class); every
        member must have the same.
    members : list of dict
        One ``{"architecture": str, "arch": dict, "logit_bias": list of float (optional),
        "fine_head": dict (optional)}`` per member: the registry entry that builds it, an optional
        per-class bias added to its logits before the softmax (a member's own tuned calibration,
        kept) and an optional fine head (``{"parents": list of int, "weight": float}``: the
        member's network has ``out_ch + len(parents)`` outputs, fine class ``j`` belongs to class
        ``parents[j]``; see the module's docstring). Two to :data:`MAX_MEMBERS`; no ensemble
        inside an ensemble.

    Raises
    ------
    ValueError
        Too few or too many members, a nested ensemble, a member whose channels differ, a
        bias of the wrong length, or a fine head that is malformed or on a binary ensemble.
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 1, members: list[dict[str, Any]] | None = None) -> None:
        super().__init__()

        specs = list(members or [])
        if not 2 <= len(specs) <= MAX_MEMBERS:
            raise ValueError(f"an ensemble has 2 to {MAX_MEMBERS} members, got {len(specs)}")
        nets = []
        self.out_ch = out_ch
        self.fine_weights: list[float] = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or not isinstance(spec.get("arch"), dict):
                raise ValueError(f"member {i}: needs an 'arch' object")
            if architecture_of(spec) == "ensemble":
                raise ValueError(f"member {i}: an ensemble cannot hold an ensemble")
            arch = spec["arch"]
            parents, weight = fine_head_of(spec.get("fine_head"), out_ch, i)
            if arch.get("in_ch", in_ch) != in_ch or arch.get("out_ch") != out_ch + len(parents):
                raise ValueError(
                    f"member {i}: {arch.get('in_ch')} -> {arch.get('out_ch')} channels, "
                    f"the ensemble's are {in_ch} -> {out_ch}"
                    + (f" + {len(parents)} fine classes" if parents else "")
                )
            self.register_buffer(f"parents{i}", torch.tensor(parents, dtype=torch.long), persistent=False)
            self.fine_weights.append(weight)
            nets.append(build_model({"architecture": architecture_of(spec), "arch": arch}))
            bias = spec.get("logit_bias")
            if bias is not None and len(bias) != out_ch:
                raise ValueError(f"member {i}: logit_bias has {len(bias)} values for {out_ch} outputs")
            values = torch.zeros(out_ch) if bias is None else torch.tensor([float(b) for b in bias])
            self.register_buffer(f"bias{i}", values.reshape(1, -1, 1, 1), persistent=False)
        self.members = nn.ModuleList(nets)
        self.binary = out_ch == 1

    def forward(
        self, x: torch.Tensor, with_boundary: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, None]:
        """``(N, in_ch, H, W)`` normalised input -> ``(N, out_ch, H, W)`` log-probabilities
        (binary: the logit of the mean foreground probability).

        ``with_boundary`` returns ``(log-probabilities, None)`` (the training loop's entry
        point; an ensemble has no boundary head). The members are trained through the mean:
        a cross-entropy of it is the ensemble's own loss.
        """
        probs = []
        for i, net in enumerate(self.members):
            raw = logits_of(net(x)).float()
            logits = raw[:, : self.out_ch] + getattr(self, f"bias{i}")
            if self.binary:
                probs.append(torch.sigmoid(logits))
                continue
            p = torch.softmax(logits, dim=1)
            parents, weight = getattr(self, f"parents{i}"), self.fine_weights[i]
            if parents.numel():
                pooled = torch.zeros_like(p).index_add_(1, parents, torch.softmax(raw[:, self.out_ch :], dim=1))
                p = (1.0 - weight) * p + weight * pooled
            probs.append(p)
        mean = torch.stack(probs).mean(0).clamp_min(_EPS)
        if self.binary:
            out = torch.log(mean) - torch.log((1.0 - mean).clamp_min(_EPS))
        else:
            out = torch.log(mean)
        return (out, None) if with_boundary else out


def fine_head_of(spec: Any, out_ch: int, i: int) -> tuple[list[int], float]:
    """The parents and weight of member ``i``'s fine head (``([], 0.0)`` without one).

    Raises
    ------
    ValueError
        Not ``{"parents": [int in 0..out_ch-1, ...], "weight": float in [0, 1]}``, or a fine
        head on a binary ensemble.
    """
    if spec is None:
        return [], 0.0
    if out_ch == 1:
        raise ValueError(f"member {i}: a binary ensemble has no fine head")
    problem = (
        f"member {i}: fine_head must be {{'parents': 1 to {MAX_FINE_CLASSES} class indices "
        f"in 0..{out_ch - 1}, 'weight': a number in [0, 1]}}, got {str(spec)[:80]}"
    )
    if not isinstance(spec, dict) or set(spec) != {"parents", "weight"}:
        raise ValueError(problem)
    parents, weight = spec["parents"], spec["weight"]
    ok_parents = (
        isinstance(parents, list)
        and 1 <= len(parents) <= MAX_FINE_CLASSES
        and all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < out_ch for p in parents)
    )
    ok_weight = isinstance(weight, (int, float)) and not isinstance(weight, bool) and 0.0 <= weight <= 1.0
    if not (ok_parents and ok_weight):
        raise ValueError(problem)
    return list(parents), float(weight)
