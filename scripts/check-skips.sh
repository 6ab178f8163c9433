#!/usr/bin/env bash
# The skip gate of .ci/run: fails when a test run skipped a test that test/allowed-skips.txt does not list.
#   bash scripts/check-skips.sh <log> <expected runs> [allow-list file]
# <log> holds the output of every vitest run of CI (both configs, both Node versions). The summary reporter
# (test/support/summary-reporter.ts) names each skip as `skipped: <file> > <test>` and closes each run with
# `tests: N passed, N failed, N skipped`. A run whose closing line is missing (a config without the reporter,
# a run that died) would hide its skips, so the number of closing lines must equal <expected runs>.
# Tested by test/unit/check-skips.test.ts.
set -euo pipefail

log="${1:?usage: check-skips.sh <log> <expected runs> [allow-list]}"
expected_runs="${2:?usage: check-skips.sh <log> <expected runs> [allow-list]}"
allow_file="${3:-$(dirname "$0")/../test/allowed-skips.txt}"

runs="$(grep -cE '^tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" || true)"
if [ "$runs" != "$expected_runs" ]; then
  echo "== skip gate: expected $expected_runs test-run summaries ('tests: N passed, N failed, N skipped') in $log, found $runs"
  echo "   (every vitest config must list ./test/support/summary-reporter.ts among its reporters)"
  exit 1
fi

# The allow-list without comments and blank lines; each remaining line is one test as the reporter names it.
allowed="$(sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$allow_file")"
unlisted=""
while IFS= read -r t; do
  [ -z "$t" ] && continue
  grep -qxF -- "$t" <<<"$allowed" || unlisted="$unlisted$t"$'\n'
done < <(sed -n 's/^skipped: //p' "$log" | sort -u)
if [ -n "$unlisted" ]; then
  echo "== skipped tests not in $allow_file (list them with a reason, or make them run):"
  printf '%s' "$unlisted"
  exit 1
fi
echo "== skip gate: $runs runs, $(grep -c '^skipped: ' "$log" || true) skip(s), all listed in $allow_file"
