#!/usr/bin/env bash
# Prints the path of a python with Auditree (auditree-framework + auditree-arboretum) installed, for the
# peer comparison in `npm run bench` (bench/auditree-github.ts). Installs the pinned versions from PyPI
# into a virtualenv in the cache outside the repo on first use; the `compliance` runner sits next to the
# printed python. Order: $AUDITREE_PYTHON, then the cached virtualenv, then `pip install` into it.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
set -euo pipefail
source "$(dirname "$0")/lib/pip-tool.sh"

framework="2.0.0"
arboretum="0.17.1"
ensure_pip_tool auditree AUDITREE_PYTHON auditree-venv "auditree-$framework-$arboretum" bin/python \
  'import compliance, arboretum; from compliance.utils.services.github import Github' \
  "auditree-framework==$framework" "auditree-arboretum==$arboretum"
