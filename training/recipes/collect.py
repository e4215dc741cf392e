"""Collect a GPU recipe run: the ablation table and the selected model per task.

``python -m training.recipes.collect OUT`` reads ``OUT/<job>/summary.json`` of every job, writes
``OUT/ablation.json`` (job -> CCP val and off-CCP figures) and copies, for each task, the model
file of the candidate job with the best selection figure for that task to ``OUT/selected/``.

The selection figure is the task's primary metric (parsing7 mIoU, person mIoU, garment median
Dice; parsing18 mIoU, scored on CCP val as shot only, for jobs run with ``--parsing18``) averaged
over CCP val and every off-CCP framing of it (all built from val photos): the
studios' photos are framed unlike CCP, so a model that is best on CCP framing alone (the
"basic" augmentation job, C) is not the one to ship. Candidates are the small-network jobs and
the EfficientNet-Lite0 jobs (L, L1), the ones that meet the CPU latency budget.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

CANDIDATES = ("A", "A1", "A2", "B", "B2", "C", "E", "L", "L1")
PRIMARY = {"parsing7": "miou", "person": "miou", "garment": "median_dice", "parsing18": "miou"}


def selection_figure(figures: dict, task: str, key: str) -> float:
    """Mean of ``figures[framing][task][key]`` over the framings that score ``task``."""
    values = [f[task][key] for f in figures.values() if task in f and key in f[task]]
    return sum(values) / len(values) if values else float("nan")


def collect(out: Path) -> dict:
    """Write ``ablation.json`` and ``selected/``; return the selection."""
    table = {}
    for summary in sorted(out.glob("*/summary.json")):
        s = json.loads(summary.read_text())
        table[s["job"]] = {"score": s["score"], "figures": s["figures"], "thresholds": s["thresholds"],
                           "steps": s["card"]["steps"], "train_seconds": s["card"]["train_seconds"],
                           "images_seen": s["card"]["images_seen"], "history": s["history"]}  # fmt: skip
    (out / "ablation.json").write_text(json.dumps(table, indent=1))
    selected = {}
    dest = out / "selected"
    dest.mkdir(exist_ok=True)
    for task, key in PRIMARY.items():
        ranked = [(selection_figure(table[j]["figures"], task, key), j) for j in CANDIDATES if j in table]
        ranked = [(v, j) for v, j in ranked if v == v]  # jobs without the task's head: NaN
        if not ranked:
            continue
        value, job = max(ranked)
        selected[task] = {"job": job, key: value}
        for suffix in (".safetensors", ".json"):
            shutil.copyfile(out / job / f"{task}{suffix}", dest / f"{task}{suffix}")
    (dest / "selection.json").write_text(json.dumps(selected, indent=1))
    rows = {j: {"score": round(t["score"], 4), **{task: round(t["figures"]["ccp"][task][k], 4)
                                                   for task, k in PRIMARY.items() if task in t["figures"]["ccp"]}}
            for j, t in table.items()}  # fmt: skip
    print(json.dumps({"ccp_val": rows, "selected": selected}, indent=1))
    return selected


def main(argv: list[str] | None = None) -> None:
    """``python -m training.recipes.collect OUT``."""
    parser = argparse.ArgumentParser(prog="python -m training.recipes.collect", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the recipe run's folder (OUT/<job>/summary.json)")
    collect(parser.parse_args(argv).out)


if __name__ == "__main__":
    main(sys.argv[1:])
