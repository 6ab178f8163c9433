#!/usr/bin/env bash
# Prints the path of an `azurite-blob` executable (the Azure Blob Storage emulator used by the azure-blob
# connector and Azure store tests), installing the pinned Azurite from npm into the cache outside the repo
# when none is there yet. It is not a devDependency: Azurite's dependencies bring global @types packages
# (@types/ms among them) that would change how the project's own code typechecks.
# Order: $AZURITE_BLOB_PATH, then the cached install, then `npm install` into it.
set -euo pipefail
version="3.35.0" # the newest Azurite whose engines accept Node 20
dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/azurite-$version"
exe="$dir/node_modules/.bin/azurite-blob"
marker="$dir/.evidence-hub-installed"
override="${AZURITE_BLOB_PATH:-}"
if [[ -n "$override" ]]; then
  if [[ -x "$override" ]]; then echo "$override"; exit 0; fi
  echo "ensure-azurite: AZURITE_BLOB_PATH=$override is not an executable file" >&2
  exit 2
fi
if [[ -f "$marker" && -x "$exe" ]]; then echo "$exe"; exit 0; fi
mkdir -p "$dir"
# One installer at a time: two test runs starting together must not npm into the same folder.
exec 9>"$dir.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$marker" && -x "$exe" ]]; then echo "$exe"; exit 0; fi
echo "ensure-azurite: installing azurite@$version into $dir (first run only)" >&2
echo '{ "name": "evidence-hub-azurite", "private": true }' >"$dir/package.json"
npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error "azurite@$version" >&2
touch "$marker"
echo "$exe"
