#!/usr/bin/env bash
# Makes sure Debian packages are installed: as root with apt-get it installs the missing ones
# (waiting for the apt/dpkg lock when another install holds it, and saying who holds it);
# otherwise it prints one line naming exactly what to install and exits 1.
# Usage: scripts/ensure-debian-packages.sh "<what needs them>" pkg [pkg ...]
set -euo pipefail
why="$1"; shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "$why needs the Debian packages ${missing[*]}: run  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

LOCK_WAIT="${RNN_DEBUGGER_APT_LOCK_WAIT:-900}"   # seconds; unattended upgrades can hold the lock for minutes
# Says every 15 s which process holds a lock (apt itself prints only when it starts waiting).
lock_holder() {
  for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
    [ -e "$f" ] || continue
    local ino pid
    ino=$(stat -c %i "$f" 2>/dev/null) || continue
    pid=$(awk -v ino="$ino" '{split($6,a,":"); if (a[3]==ino) {print $5; exit}}' /proc/locks 2>/dev/null)
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && { echo "$f held by pid $pid ($(tr '\0\n' '  ' < /proc/$pid/cmdline | cut -c1-80))"; return; }
  done
}
wait_for_locks() {
  local waited=0 who
  while who=$(lock_holder) && [ -n "$who" ]; do
    [ "$waited" -ge "$LOCK_WAIT" ] && { echo "gave up after ${LOCK_WAIT}s waiting for the apt lock: $who" >&2; return 1; }
    echo "waiting for another package install to finish ($who), ${waited}s of ${LOCK_WAIT}s" >&2
    sleep 15; waited=$((waited + 15))
  done
}
apt_q() { apt-get -q -o DPkg::Lock::Timeout="$LOCK_WAIT" "$@"; }
retry() { local n=0; until "$@"; do n=$((n+1)); [ $n -ge 3 ] && return 1; echo "retrying ($n): $*" >&2; sleep $((n*10)); wait_for_locks || true; done; }

echo "installing ${missing[*]} with apt-get (for $why)" >&2
export DEBIAN_FRONTEND=noninteractive
wait_for_locks
# A fresh machine may have no package lists yet; update once, then install.
retry apt_q update >&2
retry apt_q install -y --no-install-recommends "${missing[@]}" >&2
