#!/bin/sh
# Checks the unit files in systemd/ with `systemd-analyze verify` (ctest systemd_units_verify).
# Usage: scripts/verify_systemd_units.sh BIN_DIR   (from the repository's root)
#
# ExecStart names /usr/local/bin/..., where nothing is installed on a build machine, and
# verify refuses a missing executable: the units are checked as copies pointing at BIN_DIR's
# binaries. verify exits 0 on an unknown key or a bad value and only prints it, so any
# output fails the check. Exits 77 (ctest: skipped) when systemd-analyze is not installed.
set -u
bin_dir=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze is not installed (Debian: systemd): the unit files are not checked"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for unit in systemd/*.service; do
  copy="$tmp/$(basename "$unit")"
  sed "s|/usr/local/bin/|$bin_dir/|g" "$unit" >"$copy"
  out=$(systemd-analyze verify --man=no "$copy" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    echo "$unit: systemd-analyze verify (exit $rc):"
    echo "$out"
    status=1
  else
    echo "$unit: ok"
  fi
done
exit $status
