"""Slim OpenCV's bundled libraries in a one-folder bundle (Linux, run by ``build.sh``).

``opencv-python-headless`` links FFmpeg (video I/O), libavif (AVIF images) and its own OpenBLAS.
This app never opens video through OpenCV and has SciPy's OpenBLAS in the bundle already. This
script:

1. replaces each FFmpeg library that ``cv2`` links with a stub of the same file name and
   soname that defines the functions ``cv2`` imports from it; calling one prints which function
   is missing from the bundle and aborts (no silent wrong data);
2. replaces OpenCV's OpenBLAS with a stub whose BLAS/LAPACK functions jump to SciPy's OpenBLAS
   (same LP64 interface, ``scipy_``-prefixed names);
3. deletes the libraries nothing in the bundle links any more (libvpx, libswresample, OpenSSL 1.1,
   libdrm, OpenCV's libgfortran/libquadmath).

Usage: ``python packaging/slim_opencv.py BUNDLE/_internal``. Needs ``gcc`` and ``readelf``; without
them it changes nothing and says so (exit 0: the bundle stays correct, only larger).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# libavif stays: OpenCV's codec registry creates an AVIF encoder and decoder on first use of
# imencode/imdecode, so a stub would have to emulate them.
STUB_PREFIXES = ("libavcodec", "libavformat", "libavutil", "libswscale")
BLAS_PREFIX = "libopenblas"


def _readelf(*args: str) -> str:
    return subprocess.run(
        ["readelf", "-W", *args], check=True, capture_output=True, text=True
    ).stdout


def needed(path: Path) -> list[str]:
    """The DT_NEEDED sonames of the ELF file ``path``."""
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", _readelf("-d", str(path)))


def soname(path: Path) -> str:
    """The DT_SONAME of ``path`` (its file name when it has none)."""
    found = re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", _readelf("-d", str(path)))
    return found[0] if found else path.name


def undefined_functions(path: Path) -> list[tuple[str, str]]:
    """``(name, version)`` of the functions ``path`` imports; version is '' when unversioned."""
    out = []
    for line in _readelf("--dyn-syms", str(path)).splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[6] == "UND" and parts[3] == "FUNC":
            name, _, version = parts[7].partition("@")
            out.append((name, version.lstrip("@").split(" ")[0]))
    return out


def defined_names(path: Path) -> set[str]:
    """Names (without version) of the dynamic symbols ``path`` defines."""
    names = set()
    for line in _readelf("--dyn-syms", str(path)).splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[6] != "UND" and parts[0].rstrip(":").isdigit():
            names.add(parts[7].split("@")[0])
    return names


def _compile(source: str, version_script: str, out: Path, name: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        c, v = Path(tmp, "stub.c"), Path(tmp, "stub.map")
        c.write_text(source)
        v.write_text(version_script)
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-fPIC",
                "-O2",
                "-o",
                str(out),
                str(c),
                f"-Wl,--version-script={v}",
                f"-Wl,-soname,{name}",
                *extra,
            ],
            check=True,
        )


def _version_script(symbols: list[tuple[str, str]]) -> str:
    by_version: dict[str, list[str]] = {}
    for name, version in symbols:
        by_version.setdefault(version, []).append(name)
    blocks = []
    for version, names in sorted(by_version.items()):
        body = "".join(f" {n};" for n in sorted(set(names)))
        blocks.append(
            f"{version} {{ global:{body} local: *; }};"
            if version
            else f"{{ global:{body} local: *; }};"
        )
    return "\n".join(blocks) + "\n"


def write_missing_stub(original: Path, symbols: list[tuple[str, str]]) -> None:
    """Replace ``original`` by a library defining ``symbols``, each aborting with a message."""
    lib = original.name
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "static void fa_missing(const char *f) {",
        f'  fprintf(stderr, "fashion-annotator: OpenCV called %s from {lib}, which this '
        'bundle leaves out (video I/O)\\n", f);',
        "  abort();",
        "}",
    ]
    lines += [f'void {n}(void) {{ fa_missing("{n}"); }}' for n in sorted({n for n, _ in symbols})]
    name = soname(original)
    tmp = original.with_name(original.name + ".stub")
    _compile("\n".join(lines) + "\n", _version_script(symbols), tmp, name, [])
    tmp.replace(original)


def write_blas_forwarder(original: Path, symbols: list[str], target: Path) -> None:
    """Replace ``original`` by a library whose ``symbols`` jump to ``scipy_<symbol>`` in ``target``."""
    asm = [
        f'__asm__(".globl {n}\\n.type {n},@function\\n{n}:\\n  jmp scipy_{n}@PLT\\n");'
        for n in sorted(set(symbols))
    ]
    extra = [
        f"-L{target.parent}",
        f"-l:{target.name}",
        f"-Wl,-rpath,$ORIGIN/../{target.parent.name}",
        "-Wl,--no-as-needed",
    ]
    tmp = original.with_name(original.name + ".stub")
    _compile(
        "\n".join(asm) + "\n",
        _version_script([(n, "") for n in symbols]),
        tmp,
        soname(original),
        extra,
    )
    tmp.replace(original)


def slim(internal: Path) -> dict[str, int]:
    """Slim the OpenCV libraries under ``internal``; returns bytes before and after."""
    cv2_libs = sorted(internal.glob("cv2/cv2*.so"))
    libs_dir = internal / "opencv_python_headless.libs"
    if not cv2_libs or not libs_dir.is_dir():
        raise SystemExit(f"{internal}: no cv2/cv2*.so or opencv_python_headless.libs here")
    cv2_so = cv2_libs[0]
    before = sum(f.stat().st_size for f in libs_dir.iterdir())
    imports = undefined_functions(cv2_so)
    by_soname = {soname(f): f for f in libs_dir.iterdir() if f.is_file()}
    for name in needed(cv2_so):
        lib = by_soname.get(name)
        if lib is None:
            continue
        provided = defined_names(lib)
        wanted = [(n, v) for n, v in imports if n in provided]
        if lib.name.startswith(STUB_PREFIXES):
            write_missing_stub(lib, wanted)
        elif lib.name.startswith(BLAS_PREFIX):
            scipy_blas = sorted((internal / "scipy.libs").glob("libscipy_openblas*.so"))
            if not scipy_blas:
                print(f"{internal}: no SciPy OpenBLAS in the bundle; OpenCV's OpenBLAS kept")
                continue
            target = scipy_blas[0]
            have = defined_names(target)
            missing = [n for n, _ in wanted if f"scipy_{n}" not in have]
            if missing:
                print(f"{target.name} lacks {missing}; OpenCV's OpenBLAS kept")
                continue
            write_blas_forwarder(lib, [n for n, _ in wanted], target)
    # delete what nothing links any more (repeat: removing one may orphan another)
    while True:
        wanted_names: set[str] = set()
        for f in internal.rglob("*.so*"):
            if f.is_file() and not f.is_symlink():
                try:
                    wanted_names.update(needed(f))
                except subprocess.CalledProcessError:
                    continue
        orphans = [f for f in libs_dir.iterdir() if soname(f) not in wanted_names]
        if not orphans:
            break
        for f in orphans:
            f.unlink()
    for link in internal.rglob("*"):
        if link.is_symlink() and not link.exists():  # PyInstaller's links to deleted libraries
            link.unlink()
    after = sum(f.stat().st_size for f in libs_dir.iterdir())
    return {"before": before, "after": after}


def dedupe(internal: Path) -> int:
    """Replace byte-identical copies of a shared library under ``internal`` by relative symlinks.

    Wheels repaired by auditwheel each carry their own copies (numpy's and SciPy's libgfortran
    and libquadmath are the same files). Returns the bytes saved.
    """
    import hashlib

    first: dict[tuple[int, str], Path] = {}
    saved = 0
    for f in sorted(internal.rglob("*.so*")):
        if not f.is_file() or f.is_symlink():
            continue
        key = (f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest())
        if key in first:
            target = first[key]
            f.unlink()
            f.symlink_to(
                Path(
                    *[".."] * (len(f.relative_to(internal).parts) - 1), target.relative_to(internal)
                )
            )
            saved += key[0]
        else:
            first[key] = f
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("internal", type=Path, help="the bundle's _internal folder")
    args = p.parse_args(argv)
    if sys.platform != "linux" or not (shutil.which("gcc") and shutil.which("readelf")):
        print("slim_opencv: needs Linux, gcc and readelf; OpenCV's libraries left as they are")
        return 0
    sizes = slim(args.internal)
    print(
        f"slim_opencv: opencv_python_headless.libs {sizes['before'] / 2**20:.1f} MiB -> "
        f"{sizes['after'] / 2**20:.1f} MiB"
    )
    print(f"slim_opencv: {dedupe(args.internal) / 2**20:.1f} MiB of duplicate libraries linked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
