"""``python -m training ARGS`` is ``fashion-annotator train ARGS`` (handy under torchrun).

Example: ``torchrun --nproc_per_node 2 -m training --data DIR --task garment --out runs/g``.
"""

from __future__ import annotations

import argparse
import sys

from training.console import main
from training.request import add_arguments

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    add_arguments(parser)
    sys.exit(main(parser.parse_args()))
