#!/usr/bin/env bash
# Prints the path of an `mlflow` executable for the MLflow connector's integration tests, installing the
# pinned MLflow from PyPI into a virtualenv in the cache outside the repo when none is there yet.
# Order: $MLFLOW_CLI_PATH, then the cached virtualenv, then `pip install` into that virtualenv.
# The full `mlflow` package is needed: `mlflow-skinny` has the client but not the tracking server.
# The virtualenv's python (next to the printed path) also runs test/support/seed-mlflow.py.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
set -euo pipefail

version="3.17.2" # 3.18.0 is on PyPI but its mlflow-skinny==3.18.0 dependency is not (yet) on the index used here
venv="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/mlflow-venv"
requirement="mlflow[auth]==$version" # [auth]: Flask-WTF, for `mlflow server --app-name basic-auth` in the tests
marker="$venv/.evidence-hub-mlflow-auth-$version"

if [[ -n "${MLFLOW_CLI_PATH:-}" ]]; then
  if [[ -x "$MLFLOW_CLI_PATH" ]]; then echo "$MLFLOW_CLI_PATH"; exit 0; fi
  echo "ensure-mlflow: MLFLOW_CLI_PATH=$MLFLOW_CLI_PATH is not an executable file" >&2
  exit 2
fi
if [[ -f "$marker" && -x "$venv/bin/mlflow" ]]; then echo "$venv/bin/mlflow"; exit 0; fi

python="${EVIDENCE_HUB_PYTHON:-python3}"
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "ensure-mlflow: need python3 >= 3.10 with the venv module (set EVIDENCE_HUB_PYTHON to one)" >&2
  exit 3
fi

mkdir -p "$(dirname "$venv")"
# One installer at a time: two test runs starting together must not pip into the same virtualenv.
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$marker" && -x "$venv/bin/mlflow" ]]; then echo "$venv/bin/mlflow"; exit 0; fi

# A virtualenv without the marker is a half-finished or older install: start it over.
rm -rf "$venv"
echo "ensure-mlflow: installing mlflow $version into $venv (first run only; about a minute)" >&2
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement" >&2
"$venv/bin/mlflow" --version >&2
touch "$marker"
echo "$venv/bin/mlflow"
