"""A full disk after the new model is registered does not report the retrain as failed.

By code review during a full-disk hand test: the registry's COMMIT went through, then writing
``registry_version`` into the registered meta file raised ``OSError`` (ENOSPC); ``train`` exited
1 with "the disk is full" and the Retrain dialog showed "Training failed", while version 1 was
registered (and, with ``--promote-if-better``, active).
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import training.runner as runner
from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.dataset.store import Project
from fashion_annotator.models.weights import load_model
from training.request import TrainRequest


def test_a_registered_model_is_reported_done_when_its_meta_update_fails(
    tmp_path: Path, ccp_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_for_registered_meta(path: Path, text: str) -> None:
        if Path(path).parent.name == "garment" and Path(path).parent.parent.name == "models":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        atomic_write_text(path, text)

    monkeypatch.setattr(runner, "atomic_write_text", full_for_registered_meta)
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
        for image in sorted((ccp_dir / "images").glob("*.jpg"))[:8]:
            record = project.add_image(image)
            mask = apply_mapping(load_mask(ccp_dir / "masks" / f"{image.stem}.png"), mapping)
            project.save_mask(record.id, "garment", mask, status="done")
        events: list[dict] = []
        request = TrainRequest(project=project.root, task="garment", epochs=1, device="cpu",
                               model_size="tiny", input_size=(64, 48), init="scratch", threads=1)  # fmt: skip
        done = runner.run(request, events.append)
        assert done["version"] == 1
        assert load_model(project.models("garment")[0].path).meta["task"] == "garment"
        said = [e["message"] for e in events if e["event"] == "info" and "registered as version 1" in e["message"]]
        assert len(said) == 1 and "No space left on device" in said[0]
