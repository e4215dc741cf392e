"""A FIFO under the name of an annotation file (a source folder unpacked from a tar archive)
is refused naming it: the import hung forever on it (Label Studio ``tasks.json``, CVAT
``annotations.xml``, a labelme JSON, a YOLO label or ``data.yaml``), as photos were already
refused."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability


@pytest.fixture
def alarm() -> Iterator[None]:
    """Turn a hang into a failure after 10 s."""

    def on_alarm(*_: object) -> None:
        raise TimeoutError("hung: the import blocked on a FIFO")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("fmt", "fifo"),
    [("labelstudio", "tasks.json"), ("cvat", "annotations.xml"), ("labelme", "look.json"),
     ("yolo", "labels/look.txt"), ("yolo", "data.yaml")],
)  # fmt: skip
def test_a_fifo_named_as_an_annotation_file_is_refused(
    project: Project, tmp_path: Path, write_photo, alarm: None, fmt: str, fifo: str
) -> None:
    src = tmp_path / "vendor"
    write_photo(src / "images" / "look.png")
    if fmt == "yolo":
        (src / "labels").mkdir()
        if fifo != "data.yaml":
            (src / "data.yaml").write_text("names: [garment]\n", encoding="utf-8")
    os.mkfifo(src / fifo)
    try:
        summary = import_source(project, src, fmt, "garment")
    except ValueError as exc:
        message = str(exc)
    else:
        message = " ".join(problem for _, problem in summary.errors)
    assert "not a regular file: a FIFO" in message
