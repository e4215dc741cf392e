"""Median wall time of command lines, run interleaved so that machine load hits each alike.

    python packaging/time_startup.py --runs 11 \\
        "PYTHONPATH=/old/checkout python -m fashion_annotator info P" \\
        "PYTHONPATH=. python -m fashion_annotator info P" \\
        "DIST/fashion-annotator/fashion-annotator info P"

Each argument is a shell command line; the report gives its median wall time (min, max) and its
median CPU time (user + system of the command and its children), which a loaded machine
disturbs much less than the wall time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="shell command lines to time")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    times: dict[str, list[float]] = {c: [] for c in args.commands}
    cpu: dict[str, list[float]] = {c: [] for c in args.commands}
    for command in args.commands:  # one untimed run each: disk cache warm for all alike
        subprocess.run(command, shell=True, capture_output=True, check=True)
    for _ in range(args.runs):
        for command in args.commands:
            before = _children_cpu()
            start = time.perf_counter()
            subprocess.run(command, shell=True, capture_output=True, check=True)
            times[command].append(time.perf_counter() - start)
            cpu[command].append(_children_cpu() - before)
    for command, values in times.items():
        print(f"wall median {statistics.median(values):.3f} s (min {min(values):.3f}, "
              f"max {max(values):.3f}), cpu median {statistics.median(cpu[command]):.3f} s, "
              f"{len(values)} runs: {command}")  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
