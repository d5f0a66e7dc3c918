#!/usr/bin/env bash
# Prove the two README commands on a bare machine: a Debian bookworm root made with debootstrap,
# holding only git, make and python3 (no fonts, poppler, zbar, python3-venv), gets a clean clone of
# this repository's committed HEAD, and `make test` runs there through chroot. Nothing of the host's
# packages is bound into it: only /proc, /sys, /dev and a copy of resolv.conf.
#
#   sudo tools/fresh_machine_check.sh            # base root cached under $FRESH_DIR, a new copy per run
#   sudo tools/fresh_machine_check.sh --new-base # debootstrap the base again
#   sudo tools/fresh_machine_check.sh --base-only
#
# Slow (a debootstrap, the Debian packages, the virtualenvs, the whole suite): not part of `make test`.
# Needs root and debootstrap (apt-get install debootstrap). The host's packages are never changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRESH_DIR="${FRESH_DIR:-/var/tmp/esurety-fresh}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
BASE="$FRESH_DIR/base-bookworm"
new_base=0 base_only=0
for arg in "$@"; do
  case "$arg" in
    --new-base) new_base=1 ;;
    --base-only) base_only=1 ;;
    *) echo "usage: $0 [--new-base] [--base-only]" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "fresh_machine_check: run as root (debootstrap and chroot need it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh_machine_check: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$FRESH_DIR"

if [ "$new_base" = 1 ] || [ ! -f "$BASE/.complete" ]; then
  echo "== debootstrap bookworm (minbase + git, make, python3) into $BASE"
  rm -rf "$BASE"
  debootstrap --variant=minbase --include=git,make,python3 bookworm "$BASE" "$MIRROR"
  touch "$BASE/.complete"
fi
[ "$base_only" = 1 ] && exit 0

run_root="$FRESH_DIR/root-$(date -u +%Y%m%dT%H%M%S)"
echo "== copying the base into $run_root"
cp -a "$BASE" "$run_root"
rm -f "$run_root/.complete"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$run_root/proc" && mounted+=("$run_root/proc")
mount -t sysfs sysfs "$run_root/sys" && mounted+=("$run_root/sys")
mount --bind /dev "$run_root/dev" && mounted+=("$run_root/dev")
mount --bind /dev/pts "$run_root/dev/pts" && mounted+=("$run_root/dev/pts")
cp -L /etc/resolv.conf "$run_root/etc/resolv.conf"
# debootstrap writes no /etc/hosts; every installed machine has one naming localhost.
[ -f "$run_root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$run_root/etc/hosts"
# Networks that intercept TLS give every machine their CA; a bare one gets the host's bundle the same
# way, as a file outside any package, named to pip and Python by environment variables only.
ca_env=()
host_ca="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
if [ -f "$host_ca" ]; then
  cp -L "$host_ca" "$run_root/etc/host-ca-bundle.pem"
  ca_env=(PIP_CERT=/etc/host-ca-bundle.pem SSL_CERT_FILE=/etc/host-ca-bundle.pem REQUESTS_CA_BUNDLE=/etc/host-ca-bundle.pem)
fi
# A chroot has no init: keep package scripts from starting services (what every chroot does).
printf '#!/bin/sh\nexit 101\n' >"$run_root/usr/sbin/policy-rc.d" && chmod +x "$run_root/usr/sbin/policy-rc.d"

branch="$(git -C "$ROOT" rev-parse --abbrev-ref HEAD)"
commit="$(git -C "$ROOT" rev-parse HEAD)"
echo "== cloning $branch ($commit) into /src/esurety"
git clone -q --no-local --branch "$branch" "$ROOT" "$run_root/src/esurety"

echo "== what the bare root has (none of these should be installed):"
chroot "$run_root" dpkg-query -W -f '${Package} ${Status}\n' fonts-ipaexfont poppler-utils zbar-tools python3-venv chromium 2>&1 | sed 's/^/   /' || true

log="$run_root.log"
echo "== make test in the chroot (log: $log)"
started=$(date +%s)
set +e
chroot "$run_root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${ca_env[@]}" \
  bash -c 'cd /src/esurety && make test' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))
summary="$(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -1 || true)"
echo "== fresh machine: make test exit $rc after $((elapsed / 60)) min $((elapsed % 60)) s; ${summary:-no pytest summary}"
echo "== installed there: $(chroot "$run_root" du -sh /src/esurety/.venv /src/esurety/.venvs 2>/dev/null | tr '\n' ' ')"
exit "$rc"
