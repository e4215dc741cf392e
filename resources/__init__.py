"""Shipped data files (taxonomies, models, icons, sample photos); no code.

Installed as the package ``fashion_annotator._resources`` so that
:func:`importlib.resources.files` finds it; see :mod:`fashion_annotator.resources`.
"""
