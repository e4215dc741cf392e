"""docs/architecture.md stays true to the code.

Its map (the first fenced block) names every module of ``fashion_annotator`` and ``training`` in
the entry of the folder it lives in (a subpackage's modules inside that subpackage's
``name/ (...)`` group), and every module path, dotted module reference and ``Class.attribute``
the doc writes still exists: a module moved, renamed or removed fails here until the doc follows.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("fashion_annotator", "training")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _map_and_prose() -> tuple[str, str]:
    doc = _doc()
    fence = re.search(r"^```\n(.*?)^```", doc, re.S | re.M)
    assert fence, "docs/architecture.md has no map (a fenced block)"
    return fence.group(1), doc[: fence.start()] + doc[fence.end() :]


def _modules() -> list[Path]:
    files = (p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
    return sorted(p for p in files if p.name != "__init__.py")


def _entries(tree: str) -> dict[str, str]:
    """The map's entry text per path: ``training``, ``fashion_annotator/core``, ``setup.py``..."""
    entries: dict[str, str] = {}
    current = None
    for line in tree.splitlines():
        head = re.match(r"^( ?)( ?)(\S+)(?:\s|$)", line)
        if head and not line.startswith("   "):
            name = head.group(3).rstrip("/")
            current = None if name == "fashion_annotator" else name
            if current and line.startswith("  "):
                current = f"fashion_annotator/{current}"
            if current:
                entries[current] = line
        elif current:
            entries[current] += "\n" + line
    return entries


def _group(text: str, folder: str) -> tuple[str, str] | None:
    """``(the text of the "folder/ (...)" group in text, text without it)``, or None."""
    match = re.search(rf"(?<![\w/]){re.escape(folder)}/\s*\(", text)
    if match is None:
        return None
    depth, end = 0, match.end() - 1
    for end in range(match.end() - 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            break
    return text[match.end() : end], text[: match.start()] + text[end + 1 :]


def _folder_text(entries: dict[str, str], folder: Path) -> str | None:
    """What the map says about the modules directly in ``folder`` (a subpackage's group taken out)."""
    parts = folder.relative_to(ROOT).parts
    key = "/".join(parts[:2]) if parts[0] == "fashion_annotator" else parts[0]
    text = entries.get(key)
    for part in parts[len(key.split("/")) :]:
        found = None if text is None else _group(text, part)
        text = None if found is None else found[0]
    if text is None:
        return None
    for sub in sorted(p.name for p in folder.iterdir() if (p / "__init__.py").exists()):
        found = _group(text, sub)
        if found:
            text = found[1]
    return text


def test_the_map_is_read() -> None:
    entries = _entries(_map_and_prose()[0])
    assert {"training", "fashion_annotator/core", "fashion_annotator/ui", "setup.py"} <= set(entries)
    text = _folder_text(entries, ROOT / "fashion_annotator" / "dataset" / "formats")
    assert text is not None and "coco" in WORD.findall(text) and "postgres" not in text
    ui = _folder_text(entries, ROOT / "fashion_annotator" / "ui")
    assert ui is not None and "main_window" in ui and "canvas" not in ui


def test_every_module_is_named_in_its_folders_entry_of_the_map() -> None:
    entries = _entries(_map_and_prose()[0])
    modules = _modules()
    assert len(modules) > 250
    missing = []
    for path in modules:
        if path.parent == ROOT / "fashion_annotator":  # cli.py, __main__.py: entries of their own
            if f"fashion_annotator/{path.name}" not in entries:
                missing.append(str(path.relative_to(ROOT)))
            continue
        text = _folder_text(entries, path.parent)
        if text is None or path.stem not in WORD.findall(text):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"docs/architecture.md's map does not name these in their folder's entry: {missing}"


def test_every_subpackage_is_named_in_the_architecture_doc() -> None:
    doc = _doc()
    folders = sorted(p.parent for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py"))
    missing = [str(f.relative_to(ROOT)) for f in folders
               if f"{f.name}/" not in doc and f"{f.name}`" not in doc]  # fmt: skip
    assert not missing, f"docs/architecture.md does not name these folders: {missing}"


def test_every_path_the_map_lists_exists() -> None:
    missing = [key for key in _entries(_map_and_prose()[0]) if not (ROOT / key).exists()]
    assert not missing, f"docs/architecture.md's map lists paths that do not exist: {missing}"


# --- references in the prose -------------------------------------------------------------------


def _module_files() -> dict[tuple[str, ...], Path]:
    """Dotted name parts (``("dataset", "store")``, ``("training", "runner")``) -> file."""
    files = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[parts] = path
            if parts[0] == "fashion_annotator" and len(parts) > 1:
                files[parts[1:]] = path
    return files


@functools.cache
def _defined(path: Path) -> frozenset[str]:
    """Every name a module defines or assigns, at any depth (functions, classes, methods,
    attributes, constants), and what its ``__all__`` re-exports; a name it only imports is
    another module's (the doc names the module that defines it)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            names.update(str(e.value) for e in ast.walk(node.value) if isinstance(e, ast.Constant))
    return frozenset(names)


FOLDERS = frozenset(p.parent.name for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py"))
#: What ends a file name, not a module attribute (``instances.csv``, ``project.sqlite``).
FILE_SUFFIXES = frozenset(
    {"csv", "json", "png", "md", "safetensors", "sqlite", "html", "txt", "npz", "sh", "spec", "toml"}
)
REFERENCE = re.compile(
    r"(?<![\w./-])((?:[a-z_][a-z0-9_]*/)*[a-z_][a-z0-9_]*(?:\.py)?"
    r"(?:[.:][A-Za-z_][A-Za-z0-9_]*)*)"
)


def _stale_reference(ref: str, files: dict[tuple[str, ...], Path]) -> str | None:
    """Why ``ref`` (``dataset/store.py``, ``formats/coco.py:decode_segmentation``,
    ``core.images.copy_upright``, ``ui/annotate/queue_order.QueueRanker``) names nothing, else
    None; references that name no package folder or module (``project.models``) are not judged."""
    path, slash, rest = ref.replace(":", ".").rpartition("/")
    dotted = rest.split(".")
    if dotted[-1] in FILE_SUFFIXES:
        return None
    if dotted[1:2] == ["py"]:
        dotted = [dotted[0], *dotted[2:]]
    elif slash and len(dotted) == 1 and "." in rest:
        return None  # a file of another kind (docs/superpixels.md)
    if slash:
        module = tuple(path.split("/")) + (dotted[0],)
        if module[-1] == "__init__":
            module = module[:-1]
        if module[0] not in FOLDERS:
            return None  # tests/..., resources/..., docs/...
        matches = sorted({f for parts, f in files.items() if parts[-len(module) :] == module})
        if not matches:
            return "no such module"
        attrs = dotted[1:]
    else:
        if dotted[0] not in {*PACKAGES, *(k[0] for k in files if len(k) > 1)} or len(dotted) < 2:
            return None  # a single word or an object's attribute: not a module path
        for n in range(len(dotted), 0, -1):
            if tuple(dotted[:n]) in files:
                matches, attrs = [files[tuple(dotted[:n])]], dotted[n:]
                break
        else:
            return "no such module"
    if attrs and not any(attrs[0] in _defined(f) for f in matches):
        return f"{attrs[0]} is not defined in {[str(f.relative_to(ROOT)) for f in matches]}"
    return None


def _references(prose: str) -> set[str]:
    refs = set()
    for span in re.findall(r"`([^`\n]+)`", prose):
        refs.update(REFERENCE.findall(span))
    paths = r"(?<![\w./])((?:[a-z_][a-z0-9_]*/)+[a-z_][a-z0-9_]*\.py(?::[A-Za-z_]\w*)?)"
    refs.update(re.findall(paths, prose))
    return refs


def test_a_stale_reference_is_found() -> None:
    files = _module_files()
    assert _stale_reference("core.images.copy_upright", files) is None
    assert _stale_reference("dataset/formats/coco.py", files) is None
    assert _stale_reference("formats/coco.py:decode_segmentation", files) is None
    assert _stale_reference("ui/annotate/canvas.set_click_model", files) is None
    assert _stale_reference("training.runner.SPECIAL_TRAINERS", files) is None
    assert _stale_reference("project.models", files) is None
    assert _stale_reference("instances.csv", files) is None
    assert _stale_reference("annotate/tools/__init__.py", files) is None
    assert _stale_reference("core.images.no_such_function", files) is not None
    assert _stale_reference("dataset/no_such_module.py", files) is not None
    assert _stale_reference("core.no_such_module.load", files) is not None
    assert _stale_reference("formats/coco.py:no_such_function", files) is not None
    # smartclick imports it; click_model defines it
    assert _stale_reference("annotate/tools/smartclick.shared_click_predictor", files) is not None
    assert _stale_reference("annotate/tools/click_model.shared_click_predictor", files) is None
    found = _references("checked by `formats/coco.py:decode_segmentation`")
    assert "formats/coco.py:decode_segmentation" in found


def test_every_module_path_and_dotted_reference_in_the_doc_exists() -> None:
    files = _module_files()
    prose = _map_and_prose()[1]
    refs = _references(prose)
    assert len(refs) > 300
    stale = {ref: why for ref in sorted(refs) if (why := _stale_reference(ref, files))}
    assert not stale, f"docs/architecture.md names what the code no longer has: {stale}"


def test_every_class_attribute_the_doc_names_exists() -> None:
    """``Class.attribute`` (``ImageSession.shutdown``, ``Proposal.coarse_probs``) where the class
    is one of the code's: the attribute is defined in a class of that name."""
    classes: dict[str, list[ast.ClassDef]] = {}
    for path in _modules() + sorted(ROOT.glob("*/__init__.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(node)

    def has(cls: ast.ClassDef, attr: str) -> bool:
        """``attr`` is defined, assigned or a dataclass field in ``cls`` or a base class of it."""
        if any(
            (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == attr)
            or (isinstance(n, ast.Name) and n.id == attr)
            or (isinstance(n, ast.Attribute) and n.attr == attr)
            or (isinstance(n, ast.arg) and n.arg == attr)
            for n in ast.walk(cls)
        ):
            return True
        bases = [b.id for b in cls.bases if isinstance(b, ast.Name) and b.id in classes]
        return any(has(c, attr) for b in bases for c in classes[b] if c is not cls)

    stale = set()
    for span in re.findall(r"`([^`\n]+)`", _map_and_prose()[1]):
        for name, attr in re.findall(r"(?<![\w./])([A-Z][A-Za-z0-9]*)\.([a-z_][A-Za-z0-9_]*)", span):
            if name in classes and not any(has(c, attr) for c in classes[name]):
                stale.add(f"{name}.{attr}")
    assert not stale, f"docs/architecture.md names class attributes the code lacks: {sorted(stale)}"


def test_every_file_path_outside_the_packages_exists() -> None:
    """``tests/...``, ``resources/...``, ``docs/...``, ``packaging/...``, ``.ci/...`` paths the doc
    writes exist (an UPPER-CASE part is a placeholder; a path may be the start of names:
    ``resources/models/instance_shares_``)."""
    top = r"(?:tests|resources|docs|packaging|\.ci)/"
    paths = re.findall(rf"(?<![\w/])({top}[A-Za-z0-9_./-]*[A-Za-z0-9_])", _doc())
    assert len(set(paths)) > 10
    missing = sorted(
        p for p in set(paths)
        if not re.search(r"[A-Z]{2,}", p) and not (ROOT / p).exists() and not list(ROOT.glob(f"{p}*"))
    )  # fmt: skip
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


#: Names the doc writes for a value, not for code (``BBox.of(bool_array)``, ``-> (doc, fresh_tasks)``).
DESCRIPTIVE = frozenset({"bool_array", "fresh_tasks", "to_copy"})


def test_every_code_name_in_backquotes_exists_somewhere() -> None:
    """A ``snake_case`` or ``CamelCase`` name in backquotes is a function, class, argument,
    attribute or key that the code, the tests or the shipped resources still have: a rename the
    doc missed fails here."""
    known: set[str] = set()
    sources = [*_modules(), *sorted((ROOT / "tests").rglob("*.py")), *sorted(ROOT.glob("*/__init__.py"))]
    for path in sources:
        known.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                known.add(node.name)
            elif isinstance(node, ast.Name):
                known.add(node.id)
            elif isinstance(node, ast.Attribute):
                known.add(node.attr)
            elif isinstance(node, (ast.arg, ast.keyword)) and node.arg:
                known.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                known.update(WORD.findall(node.value))  # JSON keys, SQL columns
    for path in (ROOT / "resources").rglob("*.json"):
        known.update(WORD.findall(path.read_text(encoding="utf-8")))
    code_like = re.compile(r"\w+_\w+|[A-Z][a-z0-9]+[A-Z]\w*|[a-z]+[A-Z]\w*")
    unknown = set()
    for span in re.findall(r"`([^`\n]+)`", _map_and_prose()[1]):
        for name in re.findall(r"(?<![\w-])([A-Za-z_]\w*)", span):
            if code_like.fullmatch(name.strip("_")) and name not in known and name not in DESCRIPTIVE:
                unknown.add(name)
    assert not unknown, f"docs/architecture.md names what no code, test or resource has: {sorted(unknown)}"
