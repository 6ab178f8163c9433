#!/usr/bin/env bash
# Prints the path of a `fake-gcs-server` binary (the Google Cloud Storage emulator used by the gcs connector
# and GCS store tests), building it from its Go module when none is found.
# Order: $FAKE_GCS_SERVER_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
ensure_go_tool fake-gcs-server FAKE_GCS_SERVER_PATH github.com/fsouza/fake-gcs-server@v1.56.1
