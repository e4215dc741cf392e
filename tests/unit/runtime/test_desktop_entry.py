"""packaging/install-desktop-entry.sh writes an Exec line a desktop reads back as the path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "packaging" / "install-desktop-entry.sh"


def _exec_path(line: str) -> str:
    """The program path of an ``Exec=`` line, unescaped as the Desktop Entry spec says: the
    string escapes first (``\\\\`` -> ``\\``), then the quoting (``\\"`` ``\\``` ``\\$``
    ``\\\\``), then ``%%`` -> ``%``."""
    value = line.removeprefix("Exec=")
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), value)
    match = re.match(r'"((?:[^"\\]|\\.)*)"', value)
    assert match, line
    return re.sub(r"\\(.)", r"\1", match[1]).replace("%%", "%")


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("bash") is None, reason="a Linux desktop entry")
@pytest.mark.parametrize("folder", ["plain", "with space", 'R&D 100% $x `y` "q" back\\slash'])
def test_the_exec_line_reads_back_as_the_executable(tmp_path: Path, folder: str) -> None:
    """Found in a bundle hand test: in a folder named ``R&D 100% $x`` sed took ``&`` as the
    matched text and nothing was escaped."""
    exe = tmp_path / folder / "fashion-annotator"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    subprocess.run(["bash", str(SCRIPT), str(exe)], check=True, env=env, capture_output=True)
    entry = (tmp_path / "data" / "applications" / "fashion-annotator.desktop").read_text()
    (line,) = [x for x in entry.splitlines() if x.startswith("Exec=")]
    assert _exec_path(line) == str(exe) and line.endswith(" %f")
    assert "Icon=fashion-annotator" in entry
