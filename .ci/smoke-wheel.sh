#!/usr/bin/env bash
# CI: build the wheel, install it (not editable) into a fresh virtual environment and run the
# installed app from outside the checkout: --version, new, import, info, doctor and an offscreen
# GUI start. Proves the wheel carries its resources (taxonomies, icons, sample, models).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/build-env"
"$work/build-env/bin/pip" wheel -q --no-deps -w "$work/wheel" "$repo"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q -c "$repo/constraints.txt" "$work"/wheel/*.whl
app="$work/venv/bin/fashion-annotator"
cd "$work"
export FA_LOG_DIR="$work/logs" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
set -x
"$app" --version
"$app" new project --images "$repo/resources/sample"
"$app" import project "$repo/tests/fixtures/ccp_small" --format plain --taxonomy garment
"$app" info project --json | grep -q '"images": 14'
"$app" doctor --no-probe || true   # xcb libraries may be absent on CI; the report is the point
"$work/venv/bin/python" -c "import fashion_annotator.resources as r; d = r.resources_dir(); \
assert 'site-packages' in str(d) and (d / 'models' / 'garment.safetensors').is_file(), d; print(d)"
FA_SMOKE_QUIT_MS=0 QT_QPA_PLATFORM=offscreen timeout 300 "$app" project
grep -q "fashion-annotator GUI project" "$work/logs/fashion-annotator.log"
echo "wheel smoke test passed"
