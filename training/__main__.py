"""``python -m training ARGS`` is ``fashion-annotator train ARGS`` (handy under torchrun).

Example: ``torchrun --nproc_per_node 2 -m training --data DIR --task garment --out runs/g``.
"""

from __future__ import annotations

import sys

from fashion_annotator.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
