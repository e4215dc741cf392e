"""Crash-safe writes (:mod:`fashion_annotator.core.atomic`)."""

from __future__ import annotations

import errno
import os

import pytest

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


@pytest.mark.parametrize("hard_links", [True, False])
def test_an_atomic_create_never_replaces_an_existing_file(tmp_path, monkeypatch, hard_links: bool) -> None:
    """A new mask version was renamed over whatever was at its path (another copy of the
    project's version, after the folder was replaced while open)."""
    if not hard_links:  # FAT, some shares: a rename after a check

        def no_links(src, dst) -> None:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))

        monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "masks" / "v3.png"
    atomic.atomic_create_bytes(target, b"first")
    with pytest.raises(FileExistsError):
        atomic.atomic_create_bytes(target, b"second")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["v3.png"], "no temp file left"


def test_a_write_failing_on_a_full_disk_names_the_file_and_the_cause(tmp_path, monkeypatch) -> None:
    """A retrain on a full disk said "[enforce fail at inline_container.cc:672] . unexpected pos
    12144192 vs 12144080" (torch's checkpoint) or "SafetensorError: ... I/O error" (the model):
    neither the file nor the full disk. The partial file goes, and nothing replaces the old one."""
    import shutil as real_shutil

    target = tmp_path / "checkpoint.pt"
    target.write_bytes(b"previous")
    usage = real_shutil.disk_usage(tmp_path)
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: usage._replace(free=4096))
    with pytest.raises(OSError, match=r"checkpoint\.pt: cannot write: the disk is full") as caught:
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 12144192 vs 12144080")
    assert caught.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
    # with room on the disk the library's own error goes through unchanged
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: usage._replace(free=1 << 30))
    with pytest.raises(RuntimeError, match="unexpected pos"), atomic.atomic_path(target):
        raise RuntimeError("unexpected pos")
