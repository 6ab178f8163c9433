#!/usr/bin/env bash
# Prints the path of Prometheus's `promtool`, building it from its Go module when none is found.
# Order: $PROMTOOL_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
# The metrics tests run `promtool check metrics` on a scrape of the worker's /metrics (Prometheus's own
# parser, so the exposition is judged by the consumer, not by us). The build is large (a few minutes, once).
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
# A lock: CI and a test's setup may ask at the same moment; two `go install` into one GOBIN race.
lock_dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}"
mkdir -p "$lock_dir"
exec 9>"$lock_dir/promtool.lock"
flock 9
# Prometheus tags its Go module v0.MINOR.PATCH for release 3.MINOR.PATCH.
ensure_go_tool promtool PROMTOOL_PATH github.com/prometheus/prometheus/cmd/promtool@v0.316.0
