#!/usr/bin/env bash
# Build the one-folder desktop bundle:  bash packaging/build.sh DIST
# -> DIST/fashion-annotator/fashion-annotator (GUI and every subcommand), plus
#    DIST/fashion-annotator.tar.gz and a smoke test of the result.
# By default a build environment is made in DIST/.build-venv from this checkout (non-editable,
# with the 'bundle' extra); FA_BUILD_PYTHON=/path/to/python reuses one that has PyInstaller.
set -euo pipefail
dist=${1:?usage: bash packaging/build.sh DIST}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
py=${FA_BUILD_PYTHON:-}
if [ -z "$py" ]; then
  python3 -m venv "$dist/.build-venv"
  "$dist/.build-venv/bin/pip" install -c "$repo/constraints.txt" "$repo[bundle]"
  py="$dist/.build-venv/bin/python"
fi
start=$(date +%s)
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath "$dist/.build" "$repo/packaging/fashion-annotator.spec"
app="$dist/fashion-annotator"
# Slimming PyInstaller cannot do per file: strip torch's own libraries (not the auditwheel
# *.libs ones, which strip breaks) and drop torch's test-only libraries. (torch's Python
# sources must stay: training inspects them.)
lib="$app/_internal/torch/lib"
strip --strip-unneeded "$lib/libtorch_cpu.so" "$lib/libtorch_python.so" "$lib/libc10.so" || true
rm -f "$lib/libtorchbind_test.so" "$lib/libjitbackend_test.so" "$lib/libaoti_custom_ops.so" \
  "$lib/libbackend_with_compiler.so"
# The Python runtime's own libraries carry debug info when the interpreter was compiled locally
# (pyenv: libpython 23 MB -> 6 MB, lib-dynload 12 MB -> 5 MB). They are the interpreter's build
# output, never patched by auditwheel, and keep their dynamic symbols (--strip-unneeded).
strip --strip-unneeded "$app/_internal/"libpython3*.so* "$app/_internal/"python3*/lib-dynload/*.so \
  2>/dev/null || true
# OpenCV without its FFmpeg (video I/O, never used here) and with SciPy's OpenBLAS instead of its
# own; identical library copies become links (packaging/slim_opencv.py says what it does).
"$py" "$repo/packaging/slim_opencv.py" "$app/_internal"
cp "$repo/packaging/fashion-annotator.desktop" "$repo/packaging/install-desktop-entry.sh" "$app/"
cp "$repo/LICENSE" "$app/"
echo "built $app/fashion-annotator in $(( $(date +%s) - start )) s"
tar -C "$dist" -czf "$dist/fashion-annotator.tar.gz" fashion-annotator
# README's "desktop bundle" row: the goal is 900 MB (decimal) on disk
bytes=$(du -sb "$app" | cut -f1)
echo "size on disk: $bytes bytes ($(( bytes / 1048576 )) MiB, du -sh $(du -sh "$app" | cut -f1));" \
  "compressed: $(stat -c %s "$dist/fashion-annotator.tar.gz") bytes;" \
  "goal 900000000: $([ "$bytes" -lt 900000000 ] && echo met || echo MISSED)"
"$app/fashion-annotator" --version
