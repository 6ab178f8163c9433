#!/usr/bin/env bash
# Prints the path of a `temporal` CLI, building the official one from its Go module when none is found.
# Order: $TEMPORAL_CLI_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
# Exit 3 means "no CLI and no Go": callers may fall back to the Temporal SDK's own download.
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
# v1.5.1 is the newest release `go install` accepts; later ones carry a `replace` directive.
ensure_go_tool temporal TEMPORAL_CLI_PATH github.com/temporalio/cli/cmd/temporal@v1.5.1
