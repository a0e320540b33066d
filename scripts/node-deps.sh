#!/usr/bin/env bash
# Installs the npm packages of the Node-RED (and web panel) tests into build-node/, from
# tests/node/package.json and its package-lock.json (npm ci: exact versions). Installs Node.js
# and npm from Debian when the machine has none. Quiet and quick when already up to date.
#   scripts/node-deps.sh        -> build-node/node_modules
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then as_root=(); elif command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "node-deps.sh: Node.js/npm missing and neither root nor sudo available" >&2; exit 1; fi
  echo "node-deps.sh: installing nodejs npm" >&2
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

dir=build-node
mkdir -p "$dir"
if [[ -f $dir/node_modules/.package-lock.json ]] && cmp -s tests/node/package-lock.json "$dir/package-lock.json"; then
  exit 0  # installed from this very lock file
fi
cp tests/node/package.json tests/node/package-lock.json "$dir/"
start=$SECONDS
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "node-deps.sh: npm packages installed in $dir/node_modules ($((SECONDS - start)) s)" >&2
