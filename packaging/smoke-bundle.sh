#!/usr/bin/env bash
# Smoke test of a built bundle:  bash packaging/smoke-bundle.sh DIST
# Unpacks DIST/fashion-annotator.tar.gz into a temporary folder (what a studio receives; the
# build folder when there is no archive) and runs that frozen executable from outside the
# checkout: --version, new, import, info, doctor (resources, torch and writable folders must be
# found), train --help, evaluate, bench superpixels and effort (GrabCut, clicks), bench team
# (child operators through "-m"), the retrain child command the GUI's Retrain dialog starts in
# a frozen app ([executable, "train", ...]), and an offscreen start of the window; prints the
# timings.
set -euo pipefail
dist=$(cd "${1:?usage: bash packaging/smoke-bundle.sh DIST}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -f "$dist/fashion-annotator.tar.gz" ]; then
  mkdir "$work/unpacked"
  tar -C "$work/unpacked" -xzf "$dist/fashion-annotator.tar.gz"
  app="$work/unpacked/fashion-annotator/fashion-annotator"
else
  app="$dist/fashion-annotator/fashion-annotator"
fi
cd "$work"
export FA_LOG_DIR="$work/logs" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
t() { local s=$EPOCHREALTIME; "$@"; awk -v a="$s" -v b="$EPOCHREALTIME" -v c="${*:2:1}" \
  'BEGIN { printf "  (%.2f s: %s)\n", b - a, c }' >&2; }
set -x
t "$app" --version
t "$app" new project --images "$repo/resources/sample"
t "$app" import project "$repo/tests/fixtures/ccp_small" --format plain --taxonomy garment
t "$app" info project
t "$app" info project --json | grep -q '"images": 14'
"$app" doctor --no-probe > doctor.txt || true  # a build machine may lack a display or xcb
cat doctor.txt
! grep -E '^\[MISSING\] (python|torch|resources|data folder|log folder)' doctor.txt
t "$app" train --help > /dev/null
t "$app" evaluate --data "$repo/tests/fixtures/ccp_small" --task garment --limit 2 --device cpu --json eval.json
grep -q '"n_images": 2' eval.json
# superpixels + skimage's graph, GrabCut, the click model: OpenCV's slimmed libraries at work
t "$app" bench superpixels --data "$repo/tests/fixtures/ccp_small" --task garment --limit 1 --runs 1
t "$app" bench effort --data "$repo/tests/fixtures/ccp_small" --task garment --limit 1 --clicks \
  --json effort.json
grep -q box_grabcut effort.json
t "$app" train --project project --task garment --epochs 1 --model-size tiny --input-size 64 48 \
  --init scratch --batch-size 4 --device cpu --json-progress | tail -n 1 | grep -q '"event": "done"'
t "$app" bench team --url team --operators 2 --minutes 0.2 --json team.json
grep -q '"lost_saves": 0' team.json
FA_SMOKE_QUIT_MS=0 QT_QPA_PLATFORM=offscreen timeout 300 "$app" project
echo "bundle smoke test passed"
