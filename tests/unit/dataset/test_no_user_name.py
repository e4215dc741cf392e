"""A user id with no name (a container run as an arbitrary id, no USER set)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="user ids are POSIX")
def test_a_project_opens_and_saves_for_a_user_id_without_a_name(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``getpass.getuser`` raises there: every command and the window stopped with
    ``KeyError: 'getpwuid(): uid not found'``; the work is now recorded as ``uid<N>``."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with Project.create(tmp_path / "p") as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
        project.save_mask(record.id, "garment", np.zeros(record.shape, np.uint8))
    with Project.open(tmp_path / "p") as again:
        assert again.user == f"uid{os.getuid()}"
        assert [v.user for v in again.mask_versions(record.id, "garment")] == [f"uid{os.getuid()}"]
