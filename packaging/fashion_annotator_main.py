"""Entry point of the PyInstaller bundle: the same ``main`` as the ``fashion-annotator`` script.

The bundle's executable runs the GUI (no argument or a path) and every subcommand, so the
retrain dialog starts ``[sys.executable, "train", ...]`` in the frozen app
(:func:`fashion_annotator.runtime.child.cli_command`); ``-m MODULE`` runs a module of the bundle
as ``python -m`` would.
"""

import multiprocessing
import runpy
import sys

from fashion_annotator.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch data loader / DDP workers re-enter here
    if len(sys.argv) > 2 and sys.argv[1] == "-m":
        # `python -m MODULE ...` of a child process (bench team's operators): the bundle's
        # executable stands in for python (the CLI refused "-m" and the bench saw no saves)
        module, sys.argv = sys.argv[2], [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    sys.exit(main())
