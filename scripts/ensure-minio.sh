#!/usr/bin/env bash
# Prints the path of a `minio` server binary, building it from its Go module when none is found.
# Order: $MINIO_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
# MinIO's module has no semver tags go install accepts; pin the pseudo-version that builds here.
ensure_go_tool minio MINIO_PATH github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
