#!/bin/sh
# Checks the unit files in systemd/ (ctests systemd_units_verify and systemd_units_security).
# Usage: scripts/verify_systemd_units.sh BIN_DIR             `systemd-analyze verify`
#        scripts/verify_systemd_units.sh --security BIN_DIR  `systemd-analyze security`
#   (from the repository's root)
#
# ExecStart names /usr/local/bin/..., where nothing is installed on a build machine, and
# verify refuses a missing executable: the units are checked as copies pointing at BIN_DIR's
# binaries. verify exits 0 on an unknown key or a bad value and only prints it, so any
# output fails the check.
#
# --security: each unit's overall exposure (systemd-analyze security --offline=true, systemd
# 252 or later) must be rated OK or better and be at most MAX_EXPOSURE, the score the
# README records: a change that weakens the sandbox fails here.
# Exits 77 (ctest: skipped) when systemd-analyze is not installed.
set -u
MAX_EXPOSURE=1.7
mode=verify
if [ "${1:-}" = "--security" ]; then
  mode=security
  shift
fi
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
  if [ "$mode" = verify ]; then
    out=$(systemd-analyze verify --man=no "$copy" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
      echo "$unit: systemd-analyze verify (exit $rc):"
      echo "$out"
      status=1
    else
      echo "$unit: ok"
    fi
    continue
  fi
  # "→ Overall exposure level for barrage-worker.service: 1.7 OK 🙂"
  line=$(systemd-analyze security --offline=true --no-pager "$copy" 2>&1 | grep 'Overall exposure level')
  score=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\1/p')
  rating=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\2/p')
  case "$rating" in
    PERFECT | SAFE | OK) ;;
    *)
      echo "$unit: exposure '$line': expected OK or better"
      status=1
      continue
      ;;
  esac
  if [ "$(echo "$score $MAX_EXPOSURE" | awk '{print ($1 <= $2)}')" != 1 ]; then
    echo "$unit: exposure $score $rating, more than $MAX_EXPOSURE (the README's score)"
    status=1
  else
    echo "$unit: exposure $score $rating"
  fi
done
exit $status
