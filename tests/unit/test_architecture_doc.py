"""docs/architecture.md names every module of the package, so the map stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> list[Path]:
    package = ROOT / "fashion_annotator"
    return sorted(p for p in package.rglob("*.py") if p.name != "__init__.py")


def test_every_module_is_named_in_the_architecture_doc() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", doc))
    modules = _modules()
    assert len(modules) > 100
    missing = [str(p.relative_to(ROOT)) for p in modules if p.stem not in words]
    assert not missing, f"docs/architecture.md does not name these modules: {missing}"


def test_every_subpackage_is_named_in_the_architecture_doc() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "fashion_annotator"
    folders = sorted(p.parent for p in package.rglob("__init__.py") if p.parent != package)
    missing = [str(f.relative_to(ROOT)) for f in folders if f"{f.name}/" not in doc and f"{f.name}`" not in doc]
    assert not missing, f"docs/architecture.md does not name these folders: {missing}"
