"""Torch networks (one ``nn.Module`` per file) and model files (safetensors + JSON meta)."""

from fashion_annotator.models.unet import MODEL_SIZES, UNet
from fashion_annotator.models.weights import LoadedModel, ModelFileError, load_model, save_model

__all__ = ["MODEL_SIZES", "LoadedModel", "ModelFileError", "UNet", "load_model", "save_model"]
