#!/usr/bin/env bash
# Prints the path of a `minio` server binary, building it from its Go module when none is found.
# Order: $MINIO_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
set -euo pipefail

# MinIO's module has no semver tags go install accepts; pin the pseudo-version that builds here.
version="v0.0.0-20260212201848-7aac2a2c5b7c"
cache_dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/bin"

if [[ -n "${MINIO_PATH:-}" ]]; then
  if [[ -x "$MINIO_PATH" ]]; then echo "$MINIO_PATH"; exit 0; fi
  echo "ensure-minio: MINIO_PATH=$MINIO_PATH is not an executable file" >&2
  exit 2
fi
if found=$(command -v minio 2>/dev/null); then echo "$found"; exit 0; fi
if [[ -x "$cache_dir/minio" ]]; then echo "$cache_dir/minio"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-minio: no minio binary found and no Go toolchain to build one" >&2
  exit 3
fi
mkdir -p "$cache_dir"
echo "ensure-minio: building minio $version with go install (first run only; cached in $cache_dir)" >&2
CGO_ENABLED=0 GOBIN="$cache_dir" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/minio/minio@$version" >&2
echo "$cache_dir/minio"
