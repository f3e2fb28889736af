#!/usr/bin/env bash
# The CPU knockd's kmsg reader costs under steady background noise to the knock ports (scanners
# that never knock): knockd in a server namespace (nftables, kmsg), hping3 in a client namespace
# sending RATE SYNs/s to successive knock ports (20000 up; RATE x SECS at most 5120) for SECS s;
# knockd's CPU time over that time (utime + stime of /proc/PID/stat, all threads) as % of one
# core. Run each build's checkout with the same arguments to compare them.
# Usage (root): bench/kmsg-noise.sh [SECS [RATE...]], e.g. bench/kmsg-noise.sh 20 20 200
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
command -v hping3 >/dev/null || { echo "needs hping3" >&2; exit 2; }
secs=${1:-20}; shift || true
rates=("${@:-20 200}")
read -r -a rates <<< "${rates[*]}"
id=$$; S=knprf-s$id; C=knprf-c$id; SIP=10.207.1.1; CIP=10.207.1.2
work=$(mktemp -d /tmp/knprf-noise.XXXXXX)
pids=()
trap ns_cleanup EXIT
ns_pair
"$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
hz=$(getconf CLK_TCK)
machine
KNPRF_OPTIONS="SelfTest = no" knockd_conf kmsg nftables "KNPRFN$id: " "$work/audit.log" \
  "$work/state" > "$work/knockd.conf"
kd=
start_knockd "$work/knockd.conf" "$work/knockd.err"
for _ in $(seq 100); do grep -q 'warm-up done' "$work/knockd.err" && break; sleep 0.1; done
sleep 2
echo "knockd: $(grep -o 'log kmsg[^)]*)' "$work/knockd.err" || echo 'kmsg')"
for rate in "${rates[@]}"; do
  usec=$((1000000 / rate))
  c0=$(cpu_ticks "$kd"); t0=$(date +%s%N)
  # random ports in the default knock range 20000-25119 (hping3 -p ++N counts up from N)
  timeout "$secs" ip netns exec "$C" hping3 -q -S -i "u$usec" -p ++20000 "$SIP" \
    >/dev/null 2>&1 || true
  c1=$(cpu_ticks "$kd"); t1=$(date +%s%N)
  awk -v r="$rate" -v c="$((c1 - c0))" -v hz="$hz" -v ns="$((t1 - t0))" 'BEGIN {
    printf "RESULT noise %d SYN/s: knockd CPU %.2f %% of a core over %.1f s\n", r,
      100 * c / hz / (ns / 1e9), ns / 1e9 }'
done
machine
