"""The annotation layer without Qt: editing tools and what happens to one open image.

:mod:`~fashion_annotator.annotate.tools` holds the tools (one module each, one registry);
:mod:`fashion_annotator.ui` only adapts Qt events, timers and threads to this layer.
"""
