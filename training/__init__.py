"""Training package: cached data, augmentation, losses, the loop, DDP and the run driver.

Entry points: ``fashion-annotator train ...`` (:mod:`fashion_annotator.commands.train`),
``python -m training ...`` (the same, handy under ``torchrun``) and :func:`training.runner.run`.
Never imports the UI.
"""
