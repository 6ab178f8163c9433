# Shared by the ensure-*.sh scripts of tools built from Go modules (sourced, not run).
# ensure_go_tool NAME ENV_VAR MODULE@VERSION: prints the path of NAME, looking at $ENV_VAR, then PATH,
# then the cache outside the repo, and otherwise building it with `go install` into that cache.
# Exit 3 means "not found and no Go to build it".
ensure_go_tool() {
  local name="$1" env_var="$2" module="$3"
  local cache_dir="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/bin"
  local override="${!env_var:-}"
  if [[ -n "$override" ]]; then
    if [[ -x "$override" ]]; then echo "$override"; return 0; fi
    echo "ensure-$name: $env_var=$override is not an executable file" >&2
    return 2
  fi
  local found
  if found=$(command -v "$name" 2>/dev/null); then echo "$found"; return 0; fi
  if [[ -x "$cache_dir/$name" ]]; then echo "$cache_dir/$name"; return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "ensure-$name: no $name found and no Go toolchain to build one" >&2
    return 3
  fi
  mkdir -p "$cache_dir"
  echo "ensure-$name: building $module with go install (first run only; cached in $cache_dir)" >&2
  CGO_ENABLED=0 GOBIN="$cache_dir" GOFLAGS="${GOFLAGS:-} -trimpath" go install "$module" >&2
  echo "$cache_dir/$name"
}
