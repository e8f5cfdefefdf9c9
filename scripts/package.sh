#!/bin/sh
# Builds the Debian packages (barrage, barrage-worker, barrage-script) from a configured
# build directory: brings barrage, barrage-worker and barrage-script.jar up to date (nothing
# else: the test suite is not needed), then `cpack -G DEB` (cmake/BarragePackaging.cmake).
# Usage: scripts/package.sh [BUILD_DIR]    (default build; run from the repository's root)
# The packages land in BUILD_DIR/packages; their paths are printed, one a line.
# Needs dpkg-dev (dpkg-shlibdeps) for the shared-library dependencies.
set -eu
build=${1:-build}
if [ ! -f "$build/CPackConfig.cmake" ]; then
  echo "package.sh: $build is not a configured build directory (cmake -S . -B $build -G Ninja)" >&2
  exit 2
fi
cmake --build "$build" --target barrage barrage-worker barrage_script_jar >&2
out="$build/packages"
rm -rf "$out"
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >&2
rm -rf "$out/_CPack_Packages"
ls "$out"/*.deb
