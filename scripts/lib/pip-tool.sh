# Shared by the ensure-*.sh scripts of tools installed from PyPI (sourced, not run).
# ensure_pip_tool NAME ENV_VAR VENV MARKER EXE VERIFY REQUIREMENT...: prints the path of EXE (relative to the
# virtualenv, e.g. bin/mlflow), looking at $ENV_VAR first, then the virtualenv VENV in the cache outside the
# repo, and otherwise `pip install`ing the REQUIREMENTs into it and checking them with the python snippet
# VERIFY. MARKER names the pinned install; a virtualenv without it is half-finished or older and is rebuilt.
# Exit 3 means "no suitable python3 (>= 3.10) to build the virtualenv with".
ensure_pip_tool() {
  local name="$1" env_var="$2" venv_name="$3" marker_name="$4" exe="$5" verify="$6"
  shift 6
  local venv="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/$venv_name"
  local marker="$venv/.evidence-hub-$marker_name"
  local override="${!env_var:-}"
  if [[ -n "$override" ]]; then
    if [[ -x "$override" ]]; then echo "$override"; return 0; fi
    echo "ensure-$name: $env_var=$override is not an executable file" >&2
    return 2
  fi
  if [[ -f "$marker" && -x "$venv/$exe" ]]; then echo "$venv/$exe"; return 0; fi

  local python="${EVIDENCE_HUB_PYTHON:-python3}"
  if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "ensure-$name: need python3 >= 3.10 with the venv module (set EVIDENCE_HUB_PYTHON to one)" >&2
    return 3
  fi

  mkdir -p "$(dirname "$venv")"
  # One installer at a time: two test runs starting together must not pip into the same virtualenv.
  exec 9>"$venv.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [[ -f "$marker" && -x "$venv/$exe" ]]; then echo "$venv/$exe"; return 0; fi

  rm -rf "$venv"
  echo "ensure-$name: installing $* into $venv (first run only; about a minute)" >&2
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  "$venv/bin/python" -c "$verify" >&2
  touch "$marker"
  echo "$venv/$exe"
}
