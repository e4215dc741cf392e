"""Benchmarks and evaluation, in one package: numpy in, figures out, no Qt.

- :mod:`~fashion_annotator.evaluation.datasets`: score a model on a plain mask-folder dataset
  (``fashion-annotator evaluate``, ``bench refine``).
- :mod:`~fashion_annotator.evaluation.effort`: the simulated operator (``bench effort``).
- :mod:`~fashion_annotator.evaluation.superpixel_quality`: ASA and boundary recall
  (``bench superpixels``).
- :mod:`~fashion_annotator.evaluation.save_speed`: durable-save timing (``bench save``).
- :mod:`~fashion_annotator.evaluation.latency`: model latency (``bench infer``).

The Qt latency benchmark (``bench ui``) lives with the widgets it drives, in
:mod:`fashion_annotator.ui.bench`; the command line in :mod:`fashion_annotator.commands.bench`.
"""
