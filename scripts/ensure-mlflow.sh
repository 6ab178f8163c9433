#!/usr/bin/env bash
# Prints the path of an `mlflow` executable for the MLflow connector's integration tests, installing the
# pinned MLflow from PyPI into a virtualenv in the cache outside the repo when none is there yet.
# Order: $MLFLOW_CLI_PATH, then the cached virtualenv, then `pip install` into that virtualenv.
# The full `mlflow` package is needed: `mlflow-skinny` has the client but not the tracking server.
# The virtualenv's python (next to the printed path) also runs test/support/seed-mlflow.py.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
set -euo pipefail
source "$(dirname "$0")/lib/pip-tool.sh"

version="3.17.2" # 3.18.0 is on PyPI but its mlflow-skinny==3.18.0 dependency is not (yet) on the index used here
# [auth]: Flask-WTF, for `mlflow server --app-name basic-auth` in the tests.
ensure_pip_tool mlflow MLFLOW_CLI_PATH mlflow-venv "mlflow-auth-$version" bin/mlflow \
  'import mlflow.server, flask_wtf; print("mlflow", mlflow.__version__)' "mlflow[auth]==$version"
