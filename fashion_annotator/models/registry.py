"""Network architectures by name, in the style of segment-anything's ``sam_model_registry``.

A model file's meta names its architecture (``"architecture"``, default ``"unet"`` for files
written before the key existed) and the keyword arguments that build it (``"arch"``). A new
architecture is one module (an ``nn.Module`` subclass) plus one line in :data:`ARCHITECTURES`.
Torch is imported only when a network is built.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Architecture name -> ``"module:attribute"`` of the ``nn.Module`` class (or factory).
ARCHITECTURES: dict[str, str] = {
    "unet": "fashion_annotator.models.unet:UNet",
    "effunet": "fashion_annotator.models.effunet:EffUNet",
    "ensemble": "fashion_annotator.models.ensemble:Ensemble",
    "instance_net": "fashion_annotator.instances.classifier:InstanceNet",
    "attribute_heads": "fashion_annotator.instances.classifier:AttributeHeads",
    "instance_shares": "fashion_annotator.instances.shares:ShareNet",
}

DEFAULT_ARCHITECTURE = "unet"


def architecture_of(meta: dict[str, Any]) -> str:
    """The architecture a model's meta names (``"unet"`` when it names none).

    Raises
    ------
    ValueError
        The name is not a string or not one of :data:`ARCHITECTURES`.
    """
    name = meta.get("architecture", DEFAULT_ARCHITECTURE)
    if not isinstance(name, str) or name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {str(name)[:40]!r}; known: {', '.join(ARCHITECTURES)}")
    return str(name)


def logits_of(output: Any) -> Any:
    """The mask logits of a network's output: networks with extra heads (a boundary head)
    return a tuple or dict whose first entry (or ``"logits"``) is the mask."""
    if isinstance(output, dict):
        output = output.get("logits", next(iter(output.values())))
    if isinstance(output, (tuple, list)):
        output = output[0]
    return output


def build_model(meta: dict[str, Any]) -> Any:
    """Build the (untrained) ``nn.Module`` that ``meta`` describes.

    Raises
    ------
    ValueError
        Unknown architecture, or ``meta["arch"]`` does not fit it.
    """
    name = architecture_of(meta)
    module_name, attr = ARCHITECTURES[name].split(":")
    factory = getattr(importlib.import_module(module_name), attr)
    arch = meta.get("arch")
    if not isinstance(arch, dict):
        raise ValueError(f"'arch' must be an object of {name} arguments, got {arch!r}")
    try:
        return factory(**arch)
    except TypeError as exc:
        raise ValueError(f"bad 'arch' for {name}: {exc}") from None
