"""Studio-style photo sets for ``bench loop``: CCP photos re-framed, written as a mask folder.

The framings themselves are :func:`fashion_annotator.evaluation.generalize.reframe` (the
default, ``mannequin``: the garments on a mannequin-coloured body on a plain backdrop, 1152x1728,
the garments covering 3-19% of the frame, seeded by the photo's name). :func:`make_studio_set`
writes them as a plain mask folder for the garment task (``images/*.jpg``, ``masks/*.png`` with
ids 0/1, ``taxonomies.json``) with ``studio-START.json`` listing each photo's source and garment
share, so ``bench loop`` and ``evaluate`` can run on them like on any dataset.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_annotator.evaluation.generalize import FRAMINGS, IGNORE, load_labelled, reframe
from fashion_annotator.runtime.paths import check_output_folder

#: The ``taxonomies.json`` of a studio set: the garment task, its masks' ids as they are.
STUDIO_TAXONOMY = {"garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1}}}


def _is_studio_set(folder: Path) -> bool:
    """Whether ``folder`` holds only an earlier part of a studio set (its photos, masks, studio
    taxonomy and ``studio-START.json`` files), which another part may be added to."""
    names = {p.name for p in folder.iterdir()}
    ours = {"images", "masks", "taxonomies.json"}
    if not {"taxonomies.json"} <= names or any(n not in ours and not n.startswith("studio-") for n in names):
        return False
    try:
        return json.loads((folder / "taxonomies.json").read_text(encoding="utf-8")) == STUDIO_TAXONOMY
    except (OSError, ValueError):
        return False


def check_studio_folder(source: Path | str, out: Path | str) -> None:
    """Refuse an output folder that is not new, empty or an earlier part of a studio set, or
    that lies inside (or holds) the dataset ``source`` or lies in a project.

    Raises
    ------
    ValueError
        Naming ``out`` and the problem (a dataset's ``taxonomies.json`` was rewritten, a
        project's next open moved the files to its ``lost+found``).
    """
    check_output_folder(out, {"dataset": Path(source)}, reusable=_is_studio_set)


def make_studio_set(
    source: Path | str,
    out: Path | str,
    count: int,
    *,
    framing: str = "mannequin",
    split: str = "train",
    start: int = 0,
    progress: Callable[[int, str], None] | None = None,
) -> dict[str, Any]:
    """Write ``count`` re-framed photos of ``source`` (a CCP-style mask folder) to ``out``.

    Photo ``i`` of the split becomes ``studio_{i:04d}``; the framing is seeded by the source
    photo's name, so a set made in parts (``start``) equals one made at once. Pixels the framing
    leaves unscored (``IGNORE``) become background.

    Returns
    -------
    dict
        ``count``, ``framing``, ``share`` (min, median, max of the garment's share of the frame).

    Raises
    ------
    ValueError
        ``out`` is refused (:func:`check_studio_folder`), ``framing`` is unknown, or ``start``
        leaves no photo of the split (nothing is written).
    """
    from fashion_annotator.core.samples import list_samples

    out = Path(out)
    if framing not in FRAMINGS:  # before any folder is made (an empty OUT/images stayed behind)
        raise ValueError(f"unknown framing {framing!r}; choose from {', '.join(FRAMINGS)}; nothing was written")
    check_studio_folder(source, out)
    available = len(list_samples(source, split))
    if not 0 <= start < available:
        raise ValueError(
            f"--start {start}: the {split} split of {source} has {available} photos (0 to "
            f"{available - 1}); nothing was written"
        )
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    photos = load_labelled(source, split, start + count)[start:]
    rows: list[dict[str, Any]] = []
    for i, (name, rgb, labels) in enumerate(photos, start=start):
        photo, framed = reframe(rgb, labels, framing, name)
        mask = (framed["garment"] == 1).astype(np.uint8)
        mask[framed["garment"] == IGNORE] = 0
        stem = f"studio_{i:04d}"
        Image.fromarray(photo).save(out / "images" / f"{stem}.jpg", quality=92)
        Image.fromarray(mask).save(out / "masks" / f"{stem}.png")
        rows.append({"name": stem, "source": name, "share": float(mask.mean())})
        if progress is not None:
            progress(i + 1 - start, stem)
    (out / "taxonomies.json").write_text(json.dumps(STUDIO_TAXONOMY, indent=1))
    shares = [r["share"] for r in rows]
    summary = {
        "count": len(rows), "framing": framing, "source": str(source), "split": split,
        "start": start,
        "share": [float(np.min(shares)), float(np.median(shares)), float(np.max(shares))],
    }  # fmt: skip
    (out / f"studio-{start}.json").write_text(json.dumps({**summary, "photos": rows}, indent=1))
    return summary
