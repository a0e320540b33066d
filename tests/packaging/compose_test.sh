#!/usr/bin/env bash
# docker-compose.yml is valid Compose (`docker compose config`). Skipped (exit 77, with the reason)
# where no Compose is installed.
set -euo pipefail
root=$1
# Compose v2 (the docker CLI plugin) or v1 (Debian's docker-compose package, which scripts/deps.sh
# installs); both validate the file without a Docker daemon.
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "compose_test: SKIPPED: neither 'docker compose' nor 'docker-compose' is installed"
  exit 77
fi
out=$("${compose[@]}" -f "$root/docker-compose.yml" config 2>&1) || { echo "$out" >&2; echo "compose_test: invalid docker-compose.yml" >&2; exit 1; }
for service in mosquitto ami-sim pbx2mqtt; do
  grep -qE "^  $service:$" <<<"$out" || { echo "compose_test: service $service missing" >&2; exit 1; }
done
echo "compose_test: ok (services: $(grep -cE '^  [a-z0-9-]+:$' <<<"$out"))"
