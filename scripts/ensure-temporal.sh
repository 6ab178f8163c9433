#!/usr/bin/env bash
# Prints the path of a `temporal` CLI, building the official one from its Go module when none is found.
# Order: $TEMPORAL_CLI_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
# Exit 3 means "no CLI and no Go": callers may fall back to the Temporal SDK's own download.
set -euo pipefail

version="v1.5.1" # newest release `go install` accepts; later ones carry a `replace` directive.
cache_dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/bin"

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ -x "$TEMPORAL_CLI_PATH" ]]; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi
  echo "ensure-temporal: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2
  exit 2
fi
if found=$(command -v temporal 2>/dev/null); then echo "$found"; exit 0; fi
if [[ -x "$cache_dir/temporal" ]]; then echo "$cache_dir/temporal"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal: no temporal CLI found and no Go toolchain to build one" >&2
  exit 3
fi
mkdir -p "$cache_dir"
echo "ensure-temporal: building temporal CLI $version with go install (first run only; cached in $cache_dir)" >&2
CGO_ENABLED=0 GOBIN="$cache_dir" GOFLAGS="${GOFLAGS:-} -trimpath" \
  go install "github.com/temporalio/cli/cmd/temporal@$version" >&2
echo "$cache_dir/temporal"
