#!/usr/bin/env bash
# Prints the path of a `moto_server` executable (moto in server mode: an AWS API emulator) for the SageMaker
# connector's integration tests, installing the pinned moto from PyPI into a virtualenv in the cache outside
# the repo when none is there yet. Order: $MOTO_SERVER_PATH, then the cached virtualenv, then `pip install`.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
set -euo pipefail
source "$(dirname "$0")/lib/pip-tool.sh"

version="5.2.6"
# [server]: the Flask app behind `moto_server`; [sagemaker] has no extra dependencies of its own.
ensure_pip_tool moto MOTO_SERVER_PATH moto-venv "moto-server-$version" bin/moto_server \
  'import moto.server, moto.sagemaker; print("moto", moto.__version__)' "moto[server]==$version"
