#!/usr/bin/env bash
# Install the desktop entry and the app icon for the current user (Linux).
#   From a bundle:   DIST/fashion-annotator/install-desktop-entry.sh   (build.sh copies it there)
#   From a checkout: bash packaging/install-desktop-entry.sh           (after the README install)
#   Any executable:  bash packaging/install-desktop-entry.sh /path/to/fashion-annotator
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ]; then
  exe=$(realpath "$1")
elif [ -x "$here/fashion-annotator" ] && [ -f "$here/fashion-annotator" ]; then
  exe="$here/fashion-annotator"                      # inside the bundle folder
else
  exe="$(cd "$here/.." && pwd)/.venv/bin/fashion-annotator"   # a checkout with .venv
fi
[ -x "$exe" ] || { echo "install-desktop-entry: $exe is not an executable" >&2; exit 1; }
for icons in "$here/_internal/fashion_annotator/_resources/icons/app" "$here/../resources/icons/app"; do
  [ -d "$icons" ] && break
done
data="${XDG_DATA_HOME:-$HOME/.local/share}"
if [ -d "$icons" ]; then
  for png in "$icons"/fashion-annotator-*.png; do
    size=$(basename "$png" .png); size=${size##*-}
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$data/icons/hicolor/${size}x${size}/apps/fashion-annotator.png"
  done
  mkdir -p "$data/icons/hicolor/scalable/apps"
  cp "$icons/fashion-annotator.svg" "$data/icons/hicolor/scalable/apps/fashion-annotator.svg"
fi
mkdir -p "$data/applications"
# The path as a quoted Exec argument (Desktop Entry spec): \ " ` $ take a backslash, which
# the string escape doubles, and % is %%. (A sed replacement took & as the matched text.)
quoted=""
for ((i = 0; i < ${#exe}; i++)); do
  c=${exe:i:1}
  case "$c" in
    '\') quoted+='\\\\' ;;
    '"' | '`' | '$') quoted+='\\'"$c" ;;
    '%') quoted+='%%' ;;
    *) quoted+="$c" ;;
  esac
done
while IFS= read -r line; do
  case "$line" in
    Exec=fashion-annotator*) printf 'Exec="%s"%s\n' "$quoted" "${line#Exec=fashion-annotator}" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/fashion-annotator.desktop" > "$data/applications/fashion-annotator.desktop"
echo "installed $data/applications/fashion-annotator.desktop -> $exe"
