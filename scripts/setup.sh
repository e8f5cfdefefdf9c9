#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages only) and builds Barrage into build/.
#   scripts/setup.sh            # Release build with warnings as errors
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build pkg-config git python3
  libtinyxml2-dev flatbuffers-compiler flatbuffers-compiler-dev libflatbuffers-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libtomlplusplus-dev libpcre2-dev
  libzmq3-dev cppzmq-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libxml2-dev libc-ares-dev libpsl-dev
  libcctz-dev tzdata
  openjdk-17-jdk-headless groovy libbsh-java librhino-java libcommons-codec-java
  libcommons-jexl2-java libcommons-jexl3-java
  chromium chromium-driver
  nginx
  prometheus  # tests/integration/prometheus_cli_test.cc scrapes `barrage run --metrics-listen`
  libpq-dev postgresql-15  # the PostgreSQL results store (libpq) and the server its tests start
  clang-14 libclang-rt-14-dev clang-format-14
  dpkg-dev  # scripts/package.sh: dpkg-shlibdeps for the packages' dependencies
  python3-yaml python3-kubernetes  # tests/package/k8s_manifests_test.py (deploy/kubernetes)
  influxdb  # tests/integration/influx_cli_test.cc starts its own influxd (1.6) on loopback
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages need root: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Tests and benchmarks start their own servers on loopback (nginx for HTTP/2, ...): a
  # package's own service (the system nginx on port 80) must not start. Debian's hook for
  # that is a policy-rc.d that denies every start while the packages install.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
  fi
  apt-get update -q
  status=0
  apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  if [ "$status" != 0 ]; then exit "$status"; fi
fi

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DBARRAGE_WERROR=ON
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
