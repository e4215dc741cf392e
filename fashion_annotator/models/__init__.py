"""Torch networks (one ``nn.Module`` per file), the architecture registry and model files.

Import the submodules (:mod:`~fashion_annotator.models.unet`,
:mod:`~fashion_annotator.models.weights`...): this package itself loads no torch, so torch-free
modules such as :mod:`~fashion_annotator.models.sizes` stay cheap to import.
"""
