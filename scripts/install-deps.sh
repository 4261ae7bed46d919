#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need.
# Idempotent and quick when everything is there: apt runs only when a package is missing.
# Usage: scripts/install-deps.sh [build|test|bench]   (each set includes the ones before it)
set -euo pipefail

build_pkgs=(g++ make pkg-config libuv1-dev libjemalloc-dev libxxhash-dev doctest-dev
            libsqlite3-dev libmariadb-dev libabsl-dev
            liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libssl-dev libmsgpack-dev liblzf-dev)
# mariadb-server-core/-client-core: mariadbd, mariadb-install-db and the mariadb client, with no
# maintainer scripts (the backend tests start their own server in a temporary directory).
test_pkgs=(redis-tools redis-server python3 python3-redis tmux mariadb-server-core mariadb-client-core)
bench_pkgs=(python3-psutil python3-matplotlib valgrind)

want=("${build_pkgs[@]}")
case "${1:-test}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # "install ok installed" is the only state that means the package is usable.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
# Keep maintainer scripts from starting daemons (redis-server would grab port 6379).
# Only add the policy file if there is none, and remove only what we added.
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  added_policy=1
fi
trap '[ $added_policy -eq 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
