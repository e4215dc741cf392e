"""Crash-safe writes (:mod:`fashion_annotator.core.atomic`)."""

from __future__ import annotations

import os

from fashion_annotator.core import atomic


def test_an_atomic_write_makes_each_new_folder_durable_in_its_parent(tmp_path, monkeypatch) -> None:
    """Found in a review: the file and its own folder were fsynced, but not the entries of new
    folders (``masks/12/`` in ``masks/``), so a power cut could lose a file the index names."""
    synced: list[str] = []
    monkeypatch.setattr(atomic, "fsync_dir", lambda folder: synced.append(os.fspath(folder)))
    (tmp_path / "masks").mkdir()
    atomic.atomic_write_bytes(tmp_path / "masks" / "12" / "garment" / "v1.png", b"png")
    assert synced == [str(tmp_path / "masks"), str(tmp_path / "masks" / "12"),
                      str(tmp_path / "masks" / "12" / "garment")]  # fmt: skip
    synced.clear()
    atomic.atomic_write_bytes(tmp_path / "masks" / "12" / "garment" / "v2.png", b"png")
    assert synced == [str(tmp_path / "masks" / "12" / "garment")], "existing folders: only the file's"
