#!/usr/bin/env bash
# Prints the path of a python with Auditree (auditree-framework + auditree-arboretum) installed, for the
# peer comparison in `npm run bench` (bench/auditree-github.ts). Installs the pinned versions from PyPI
# into a virtualenv in the cache outside the repo on first use; the `compliance` runner sits next to the
# printed python. Order: $AUDITREE_PYTHON, then the cached virtualenv, then `pip install` into it.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
set -euo pipefail

framework="2.0.0"
arboretum="0.17.1"
venv="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/auditree-venv"
marker="$venv/.evidence-hub-auditree-$framework-$arboretum"

if [[ -n "${AUDITREE_PYTHON:-}" ]]; then
  if [[ -x "$AUDITREE_PYTHON" ]]; then echo "$AUDITREE_PYTHON"; exit 0; fi
  echo "ensure-auditree: AUDITREE_PYTHON=$AUDITREE_PYTHON is not an executable file" >&2
  exit 2
fi
if [[ -f "$marker" && -x "$venv/bin/python" ]]; then echo "$venv/bin/python"; exit 0; fi

python="${EVIDENCE_HUB_PYTHON:-python3}"
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "ensure-auditree: need python3 >= 3.10 with the venv module (set EVIDENCE_HUB_PYTHON to one)" >&2
  exit 3
fi

mkdir -p "$(dirname "$venv")"
# One installer at a time.
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$marker" && -x "$venv/bin/python" ]]; then echo "$venv/bin/python"; exit 0; fi

# A virtualenv without the marker is a half-finished or older install: start it over.
rm -rf "$venv"
echo "ensure-auditree: installing auditree-framework $framework and auditree-arboretum $arboretum into $venv (first run only)" >&2
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "auditree-framework==$framework" "auditree-arboretum==$arboretum" >&2
"$venv/bin/python" -c 'import compliance, arboretum; from compliance.utils.services.github import Github' >&2
touch "$marker"
echo "$venv/bin/python"
