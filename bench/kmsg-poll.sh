#!/usr/bin/env bash
# The CPU an idle knockd costs with each KmsgPoll (off, then each value given): knockd reading
# /dev/kmsg with Firewall = none, no knocks; after WARM s (start-up and JitWarmup done) its CPU
# time (utime + stime of /proc/PID/stat, all threads) over SECS s, as % of one core.
# Usage (root): bench/kmsg-poll.sh [SECS [WARM [VALUE...]]], e.g. bench/kmsg-poll.sh 60 10 1ms 0.5ms
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
[ "$(id -u)" = 0 ] || { echo "needs root (/dev/kmsg)" >&2; exit 2; }
secs=${1:-60}; warm=${2:-10}; shift 2 || true
values=(off "${@:-1ms}")
work=$(mktemp -d /tmp/knprf-kmsgpoll.XXXXXX)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
hz=$(getconf CLK_TCK)
machine
for v in "${values[@]}"; do
  KNPRF_OPTIONS="KmsgPoll = $v
SelfTest = no" knockd_conf kmsg none "KNPRFP: " "$work/audit.log" "$work/state" > "$work/knockd.conf"
  "$here/bin/knockd" --config "$work/knockd.conf" > "$work/knockd.out" 2>&1 &
  pid=$!
  sleep "$warm"
  kill -0 "$pid" || { cat "$work/knockd.out"; exit 1; }
  c0=$(cpu_ticks "$pid"); t0=$(date +%s%N)
  sleep "$secs"
  c1=$(cpu_ticks "$pid"); t1=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  awk -v v="$v" -v c="$((c1 - c0))" -v hz="$hz" -v ns="$((t1 - t0))" 'BEGIN {
    printf "RESULT KmsgPoll = %-6s idle knockd: %.2f s CPU in %.1f s = %.2f %% of a core\n",
      v, c / hz, ns / 1e9, 100 * c / hz / (ns / 1e9) }'
done
machine
