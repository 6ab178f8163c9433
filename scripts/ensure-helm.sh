#!/usr/bin/env bash
# Prints the path of a `helm` binary, building it from its Go module when none is found.
# Order: $HELM_PATH, then PATH, then the cache outside the repo, then `go install` into that cache.
# Used by test/integration/helm-chart.test.ts (`helm lint`, `helm template`); no cluster is needed.
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
# One builder at a time: the build is large, and two test runs starting together must not race on it.
lock_dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}"
mkdir -p "$lock_dir"
exec 9>"$lock_dir/helm.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
ensure_go_tool helm HELM_PATH helm.sh/helm/v4/cmd/helm@v4.3.2
