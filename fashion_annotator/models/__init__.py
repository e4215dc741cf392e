"""Torch networks (one ``nn.Module`` per file) and model files (safetensors + JSON meta).

The names below are imported on first use (PEP 562), so that importing a torch-free submodule
such as :mod:`fashion_annotator.models.sizes` does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "MODEL_SIZES": "fashion_annotator.models.sizes",
    "UNet": "fashion_annotator.models.unet",
    "LoadedModel": "fashion_annotator.models.weights",
    "ModelFileError": "fashion_annotator.models.weights",
    "load_model": "fashion_annotator.models.weights",
    "save_model": "fashion_annotator.models.weights",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
