"""Ship selected recipe models as the app's defaults (``resources/models/``).

``python -m training.recipes.ship SELECTED --ccp ../shared/datasets/ccp [--out resources/models]``
copies ``SELECTED/<task>.safetensors`` for each task found there (and ``SELECTED/click.safetensors``,
the Smart-click model, when there is one) and writes its meta with the
keys the app and the model history read: ``trained_on`` (the CCP train stems), ``val_images``
(the CCP val stems it was selected on), ``metrics`` (its CCP val figures) and
``training_data_fingerprint`` (SHA-256 of the sorted train stems), keeping the recipe's model card.
Each file is written atomically; the weights are checked to load before anything is replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.models.weights import load_model, meta_json

TASKS = ("parsing7", "person", "garment", "parsing18")
#: Models shipped with them when the selected folder has them (not every recipe makes one).
OPTIONAL = ("click",)


def ship_meta(meta: dict, splits: dict[str, list[str]]) -> dict:
    """The shipped meta of a recipe model: ``meta`` plus provenance and ``metrics``."""
    train = sorted(splits["train"])
    return {
        **meta,
        "metrics": meta.get("figures_val", {}),
        "trained_on": train,
        "val_images": sorted(splits["val"]),
        "training_data_fingerprint": hashlib.sha256("\n".join(train).encode()).hexdigest(),
    }


def ship(selected: Path, ccp: Path, out: Path) -> list[str]:
    """Copy every selected task model (and :data:`OPTIONAL` model) into ``out`` (created if
    missing); return the names shipped."""
    splits = json.loads((ccp / "splits.json").read_text())
    shipped = []
    for task in (*TASKS, *OPTIONAL):
        src = selected / f"{task}.safetensors"
        if not src.is_file():
            continue
        meta = ship_meta(json.loads(src.with_suffix(".json").read_text()), splits)
        load_model(src)  # refuses a broken file before anything is replaced
        # Both written (and synced) first, then renamed back to back as the blocks close: the
        # pair is never half old, half new for longer than that; a failure leaves both as they were.
        with atomic_path(out / f"{task}.safetensors") as tmp, atomic_path(out / f"{task}.json") as tmp_meta:
            shutil.copyfile(src, tmp)
            tmp_meta.write_text(meta_json(meta), encoding="utf-8")
        load_model(out / f"{task}.safetensors")
        shipped.append(task)
    return shipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.ship", description=__doc__.split("\n")[0]
    )
    parser.add_argument("selected", type=Path, help="folder with <task>.safetensors + .json")
    parser.add_argument("--ccp", type=Path, required=True, help="the CCP folder (splits.json)")
    parser.add_argument("--out", type=Path, default=Path("resources/models"))
    args = parser.parse_args(argv)
    print(json.dumps({"shipped": ship(args.selected, args.ccp, args.out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
