"""Entry point of the PyInstaller bundle: the same ``main`` as the ``fashion-annotator`` script.

The bundle's executable runs the GUI (no argument or a path) and every subcommand, so the
retrain dialog starts ``[sys.executable, "train", ...]`` in the frozen app
(:func:`fashion_annotator.runtime.child.cli_command`).
"""

import multiprocessing
import sys

from fashion_annotator.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch data loader / DDP workers re-enter here
    sys.exit(main())
