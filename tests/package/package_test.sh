#!/bin/sh
# ctest package_install (label package): builds the Debian packages from BUILD_DIR
# (scripts/package.sh), installs them on this machine with apt-get, checks what they
# installed, then purges them and checks that nothing is left.
# Usage: tests/package/package_test.sh BUILD_DIR   (from the repository's root)
# Skips (exit 77) when not root, not on Debian 12, or when a Barrage package is installed
# already (the test would purge an installation that is not its own).
set -u
build=$(cd "$1" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: installing packages needs root (run ctest as root on Debian 12)"
  exit 77
fi
case "$(cat /etc/debian_version 2>/dev/null)" in
  12.*) ;;
  *)
    echo "skipped: not Debian 12"
    exit 77
    ;;
esac
for p in barrage barrage-worker barrage-script; do
  if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^n]'; then
    echo "skipped: $p is installed on this machine already; the test would purge it"
    exit 77
  fi
done

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# expect NAME ACTUAL EXPECTED
expect() {
  if [ "$2" != "$3" ]; then
    fail "$1: got '$2', expected '$3'"
  else
    echo "ok: $1"
  fi
}
export DEBIAN_FRONTEND=noninteractive
purge() {
  apt-get purge -y -q barrage barrage-worker barrage-script >/dev/null 2>&1 || true
}
trap purge EXIT

debs=$(scripts/package.sh "$build") || {
  echo "FAIL: scripts/package.sh"
  exit 1
}
echo "$debs"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
controller_deb=$(echo "$debs" | grep "/barrage_${version}_amd64.deb$")
worker_deb=$(echo "$debs" | grep "/barrage-worker_${version}_amd64.deb$")
script_deb=$(echo "$debs" | grep "/barrage-script_${version}_all.deb$")
expect "three packages" "$(echo "$debs" | wc -l)" 3
[ -n "$controller_deb" ] && [ -n "$worker_deb" ] && [ -n "$script_deb" ] || {
  echo "FAIL: package names"
  exit 1
}
# shlibdeps: the libraries the binaries link, e.g. libzmq5 (>= ...).
dpkg-deb -f "$worker_deb" Depends | grep -q 'libzmq5' || fail "barrage-worker Depends lacks libzmq5: $(dpkg-deb -f "$worker_deb" Depends)"
dpkg-deb -f "$controller_deb" Depends | grep -q 'libsqlite3-0' || fail "barrage Depends lacks libsqlite3-0"
expect "barrage-worker Recommends" "$(dpkg-deb -f "$worker_deb" Recommends)" "barrage-script (= $version)"
expect "barrage-worker conffiles" "$(dpkg-deb -I "$worker_deb" conffiles)" "/etc/barrage/worker.toml"
expect "barrage conffiles" "$(dpkg-deb -I "$controller_deb" conffiles)" "/etc/barrage/controller.toml"

if ! apt-get install -y -q --no-install-recommends "$controller_deb" "$worker_deb" "$script_deb" >"$build/package_install.log" 2>&1; then
  cat "$build/package_install.log"
  echo "FAIL: apt-get install"
  exit 1
fi
expect "barrage --version" "$(/usr/bin/barrage --version)" "barrage $version"
expect "barrage-worker --version" "$(/usr/bin/barrage-worker --version)" "barrage-worker $version"
expect "package version" "$(dpkg-query -W -f='${Version}' barrage-worker)" "$version"
# The packaged examples are valid but for the keys, which only the operator can make.
out=$(/usr/bin/barrage-worker --check-config --config /etc/barrage/worker.toml 2>&1)
expect "worker --check-config exit code" "$?" 2
expect "worker --check-config" "$out" "barrage-worker: /etc/barrage/worker.toml: key security.secret_key_file: missing (CurveZMQ needs this worker's key pair; make one with --keygen FILE, or set insecure = true / --insecure for plain TCP)"
out=$(/usr/bin/barrage serve --check-config --config /etc/barrage/controller.toml 2>&1)
expect "serve --check-config exit code" "$?" 2
expect "serve --check-config" "$out" "barrage: /etc/barrage/controller.toml: key security.secret_key_file: cluster mode needs the controller's key pair (\`barrage keygen -o controller.key\`) or --insecure for plain TCP"
# With keys made by the installed binaries, both check OK.
tmp=$(mktemp -d)
wkey=$(/usr/bin/barrage-worker --keygen "$tmp/worker.key")
ckey=$(/usr/bin/barrage keygen -o "$tmp/controller.key" | tail -1)
# Public keys go in files: a Z85 key may hold & or |, which sed would take for its own.
printf 'public_key = "%s"\n' "$ckey" >"$tmp/controller.pub"
printf 'public_key = "%s"\n' "$wkey" >"$tmp/worker.pub"
sed -e "s|^# secret_key_file = .*|secret_key_file = \"$tmp/worker.key\"|" \
  -e "s|^# controller_public_key = .*|controller_public_key = \"$tmp/controller.pub\"|" /etc/barrage/worker.toml >"$tmp/worker.toml"
out=$(/usr/bin/barrage-worker --check-config --config "$tmp/worker.toml" 2>&1)
expect "worker --check-config with keys" "$out" "$tmp/worker.toml: OK"
sed -e "s|^# secret_key_file = .*|secret_key_file = \"$tmp/controller.key\"|" \
  -e "s|^# allowed_workers = \[\"rq9.*|allowed_workers = [\"$tmp/worker.pub\"]|" /etc/barrage/controller.toml >"$tmp/controller.toml"
out=$(/usr/bin/barrage serve --check-config --config "$tmp/controller.toml" 2>&1)
expect "serve --check-config with keys" "$out" "$tmp/controller.toml: OK"
rm -rf "$tmp"

expect "barrage-worker.service enabled?" "$(systemctl is-enabled barrage-worker.service 2>&1)" disabled
expect "barrage-controller.service enabled?" "$(systemctl is-enabled barrage-controller.service 2>&1)" disabled
expect "worker unit ExecStart" "$(grep '^ExecStart=' /lib/systemd/system/barrage-worker.service)" \
  "ExecStart=/usr/bin/barrage-worker --config /etc/barrage/worker.toml"
for unit in barrage-controller.service barrage-worker.service barrage-worker@.service; do
  expect "systemd-analyze verify $unit" "$(systemd-analyze verify --man=no /lib/systemd/system/$unit 2>&1)" ""
done
expect "barrage user" "$(getent passwd barrage | cut -d: -f1,6,7)" "barrage:/var/lib/barrage:/usr/sbin/nologin"
uid=$(id -u barrage)
[ "$uid" -lt 1000 ] || fail "barrage is not a system user (uid $uid)"
expect "/var/lib/barrage" "$(stat -c '%U:%G %a' /var/lib/barrage)" "barrage:barrage 750"
expect "script jar" "$(ls /usr/share/barrage)" "barrage-script.jar"

apt-get purge -y -q barrage barrage-worker barrage-script >"$build/package_purge.log" 2>&1 || fail "apt-get purge: $(cat "$build/package_purge.log")"
for f in /usr/bin/barrage /usr/bin/barrage-worker /etc/barrage /var/lib/barrage /lib/systemd/system/barrage-worker.service /usr/share/barrage; do
  [ -e "$f" ] && fail "$f is still there after the purge"
done
getent passwd barrage >/dev/null && fail "the barrage user is still there after the purge"
getent group barrage >/dev/null && fail "the barrage group is still there after the purge"
trap - EXIT
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "packages built, installed, checked and purged"
