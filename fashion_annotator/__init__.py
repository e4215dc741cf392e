"""Fashion Annotator: annotate and review garment cutout and clothing parsing masks."""

__version__ = "0.1.0"
