#!/usr/bin/env bash
# Installs what the Node-RED and web panel tests run: the npm packages (node-red, playwright-core,
# mqtt) into build-node/, from tests/node/package.json and its package-lock.json (npm ci: exact
# versions), and Debian's chromium for playwright-core (it downloads no browser). Installs
# Node.js and npm from Debian when the machine has none. Quiet and quick when already up to date.
#   scripts/node-deps.sh        -> build-node/node_modules
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

apt_packages=()
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then apt_packages+=(nodejs npm); fi
if [[ ! -x /usr/bin/chromium ]]; then apt_packages+=(chromium); fi
if (( ${#apt_packages[@]} > 0 )); then
  if [[ $(id -u) -eq 0 ]]; then as_root=(); elif command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "node-deps.sh: ${apt_packages[*]} missing and neither root nor sudo available" >&2; exit 1; fi
  echo "node-deps.sh: installing ${apt_packages[*]}" >&2
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
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
