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
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fashion_annotator.models.registry import architecture_of, build_model, logits_of

#: Members an ensemble file may hold (each runs on every photo).
MAX_MEMBERS = 4
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
        One ``{"architecture": str, "arch": dict, "logit_bias": list of float (optional)}`` per
        member: the registry entry that builds it and an optional per-class bias added to its
        logits before the softmax (a member's own tuned calibration, kept). Two to
        :data:`MAX_MEMBERS`; no ensemble inside an ensemble.

    Raises
    ------
    ValueError
        Too few or too many members, a nested ensemble, a member whose channels differ, or a
        bias of the wrong length.
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 1, members: list[dict[str, Any]] | None = None) -> None:
        super().__init__()

        specs = list(members or [])
        if not 2 <= len(specs) <= MAX_MEMBERS:
            raise ValueError(f"an ensemble has 2 to {MAX_MEMBERS} members, got {len(specs)}")
        nets = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or not isinstance(spec.get("arch"), dict):
                raise ValueError(f"member {i}: needs an 'arch' object")
            if architecture_of(spec) == "ensemble":
                raise ValueError(f"member {i}: an ensemble cannot hold an ensemble")
            arch = spec["arch"]
            if arch.get("in_ch", in_ch) != in_ch or arch.get("out_ch") != out_ch:
                raise ValueError(
                    f"member {i}: {arch.get('in_ch')} -> {arch.get('out_ch')} channels, "
                    f"the ensemble's are {in_ch} -> {out_ch}"
                )
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
            logits = logits_of(net(x)).float() + getattr(self, f"bias{i}")
            probs.append(torch.sigmoid(logits) if self.binary else torch.softmax(logits, dim=1))
        mean = torch.stack(probs).mean(0).clamp_min(_EPS)
        if self.binary:
            out = torch.log(mean) - torch.log((1.0 - mean).clamp_min(_EPS))
        else:
            out = torch.log(mean)
        return (out, None) if with_boundary else out
