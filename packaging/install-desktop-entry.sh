#!/usr/bin/env bash
# Install the desktop entry for the current user (Linux). Run from the repository root after
# the README's install command.
set -euo pipefail
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
sed "s|^Exec=fashion-annotator|Exec=$(pwd)/.venv/bin/fashion-annotator|" \
  packaging/fashion-annotator.desktop > "$apps/fashion-annotator.desktop"
echo "installed $apps/fashion-annotator.desktop"
