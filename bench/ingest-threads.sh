#!/usr/bin/env bash
# Where the daemon's CPU goes per copy of its input: bin/knockd --config CONFIG reads FILE... one
# after the other on standard input (a FIFO), pinned to CORE, with WAIT s before the first (JIT
# warm-up) and GAP s after each; after the wait and after each file's gap prints the CPU time
# (user+sys, /proc, 10 ms ticks) each thread of the process used since the last line, grouped:
# log-reader, C2 and C1 compiler threads, GC (SerialGC runs in the VM Thread), sweeper, the rest.
# The config as bench/ingest.sh writes it (Firewall none, FirewallLog -): no firewall, no network.
# Usage: bench/ingest-threads.sh CONFIG CORE FILE...   (env: KNPRF_WAIT=6, KNPRF_GAP=1.5)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
conf=$1; core=$2; shift 2
wait_s=${KNPRF_WAIT:-6}; gap=${KNPRF_GAP:-1.5}
work=$(mktemp -d /tmp/knprf-threads.XXXXXX)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkfifo "$work/in"
taskset -c "$core" "$here/bin/knockd" --config "$conf" < "$work/in" >/dev/null 2>"$work/err" &
pid=$!
exec 3>"$work/in"
# one line per thread group: name ticks (utime + stime), summed over the process's threads
snapshot() {
  for t in /proc/"$pid"/task/*; do
    local stat; stat=$(cat "$t/stat" 2>/dev/null) || continue
    local name=${stat#*(}; name=${name%)*}
    local rest=${stat##*) }
    set -- $rest
    echo "$name|${12}|${13}"
  done | awk -F'|' '{ g = "other" } $1 ~ /^log-reader/ { g = "reader" } $1 ~ /^C2 Comp/ { g = "C2" }
    $1 ~ /^C1 Comp/ { g = "C1" } $1 ~ /^VM Thread/ { g = "gc+vm" } $1 ~ /^sweeper/ { g = "sweeper" }
    { t[g] += $2 + $3 } END { for (g in t) print g, t[g] }' | sort
}
declare -A prev
report() { # $1 = label
  local line="$1:" g v total=0
  while read -r g v; do
    line+=" $g $(( (v - ${prev[$g]:-0}) * 10 ))"; total=$(( total + (v - ${prev[$g]:-0}) * 10 ))
    prev[$g]=$v
  done < <(snapshot)
  echo "$line total $total ms CPU"
}
sleep "$wait_s"; report "start+warm-up"
n=0
for f in "$@"; do
  n=$((n + 1)); cat "$f" >&3; sleep "$gap"; report "copy $n ($(basename "$f"))"
done
exec 3>&-
wait "$pid" || true; pid=
