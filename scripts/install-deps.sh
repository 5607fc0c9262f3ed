#!/usr/bin/env bash
# Installs, from Debian's package archive only, everything tracksim needs to build and test.
# Idempotent: packages already present are left alone, and apt is asked only when one is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format git python3
  libboost-fiber-dev libboost-context-dev
  librapidcheck-dev libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
)
# The report test opens report.html in a headless browser.
if [ "${TRACKSIM_WITH_BROWSER:-1}" = 1 ]; then packages+=(chromium); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
