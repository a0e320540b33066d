#!/usr/bin/env bash
# Installs the Debian 12 packages pbx2mqtt needs to build, test and run the demo.
# Idempotent and silent when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libpaho-mqttpp-dev libpaho-mqtt-dev libboost-dev nlohmann-json3-dev
  libtomlplusplus-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh): clang 14 and its fuzzer runtime
  mosquitto mosquitto-clients
  ca-certificates openssl procps iproute2
  docker-compose  # validates docker-compose.yml in the tests (no daemon needed)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if (( ${#missing[@]} == 0 )); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "deps.sh: missing packages (${missing[*]}) and neither root nor sudo available" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2

# Keep the package scripts from starting the system mosquitto service: the tests and the
# demo always run their own broker on a free port. policy-rc.d exit code 101 = "action
# forbidden"; only put one in place (and remove it) when none exists.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  own_policy=1
fi
remove_policy() {
  if (( own_policy )); then "${as_root[@]}" rm -f "$policy"; fi
}
trap remove_policy EXIT

"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2
