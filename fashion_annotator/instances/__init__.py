"""Garment instances: each garment as its own object with a category and attributes.

Qt-free. ``schema`` loads the instance taxonomy and attribute schema (data files),
``derive`` proposes instances from a parsing mask, ``document`` edits them with undo,
``colour`` names dominant colours, ``classifier`` predicts fine categories and attributes,
``evaluation`` scores proposals against CCP-style ground truth.
"""
