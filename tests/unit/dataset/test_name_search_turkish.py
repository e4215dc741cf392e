"""Searching Turkish photo names: the dotted ``İ`` and the dotless ``ı``."""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.store import Project


def test_search_finds_turkish_names_typed_in_either_case(project: Project, tmp_path: Path, write_photo) -> None:
    """Unicode folds ``İ`` to ``i`` and a combining dot and keeps ``ı``: ``istanbul`` did not
    find ``İstanbul.jpg``, nor ``ışık`` (the Turkish lower case of ``IŞIK``) ``IŞIK.jpg``
    (a hand test in tr_TR.UTF-8)."""
    names = ("İstanbul sokak.png", "IŞIK.png", "ılık ırmak.png", "plain.png")
    ids = {n: project.add_image(write_photo(tmp_path / n, seed=i)).id for i, n in enumerate(names)}

    def found(text: str) -> set[int]:
        return {r.id for r in project.images(search=text)}

    assert found("istanbul") == found("İSTANBUL") == found("ISTANBUL") == {ids["İstanbul sokak.png"]}
    assert found("ışık") == found("IŞIK") == found("işik") == {ids["IŞIK.png"]}
    assert found("ILIK") == found("ılık") == found("ilik") == {ids["ılık ırmak.png"]}
    assert found("plain") == {ids["plain.png"]}
