#!/usr/bin/env bash
# Where the daemon's CPU goes per copy of its input: bin/knockd --config CONFIG reads FILE... one
# after the other on standard input (a FIFO), pinned to CORE, with WAIT s before the first (JIT
# warm-up) and GAP s after each; after the wait and after each file's gap prints the CPU time
# (user+sys, /proc, 10 ms ticks) each thread of the process used since the last line, grouped:
# log-reader, C2 and C1 compiler threads, GC (SerialGC runs in the VM Thread), sweeper, the rest.
# The config as bench/ingest.sh writes it (Firewall none, FirewallLog -): no firewall, no network.
# Each copy's whole-process CPU over grep's (LC_ALL=C grep -c DPT= on the same file, same core,
# CPU time): the steady-state ratio of issue 17 is the median over the copies from KNPRF_STEADY
# (default 4: C2 is done with the junk's paths by then) on. KNPRF_GREP=paired (default): grep runs
# once right after each copy's report, so that both sides of a ratio are measured one after the
# other (this VM's speed drifts by ±30 % within minutes); KNPRF_GREP=best3 (rounds 3-9): grep's
# best of 3 per file after all copies, against one measurement of each copy.
# KNPRF_SOURCE=stdin (default): the copies go through a FIFO on standard input; =file: knockd
# follows a log file (FirewallLog = that file, the rest of CONFIG kept) and each copy is appended
# to it, as rsyslog appends to kern.log: knockd then reads from the page cache, as grep does.
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
if [ "${KNPRF_SOURCE:-stdin}" = file ]; then
  : > "$work/kern.log"
  sed "s|^FirewallLog *=.*|FirewallLog = $work/kern.log|" "$conf" > "$work/knockd.conf"
  grep -q "^FirewallLog = $work/kern.log" "$work/knockd.conf" || { echo "no FirewallLog in $conf" >&2; exit 2; }
  taskset -c "$core" "$here/bin/knockd" --config "$work/knockd.conf" < /dev/null >/dev/null 2>"$work/err" &
  pid=$!
  exec 3>>"$work/kern.log"
else
  mkfifo "$work/in"
  taskset -c "$core" "$here/bin/knockd" --config "$conf" < "$work/in" >/dev/null 2>"$work/err" &
  pid=$!
  exec 3>"$work/in"
fi
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
  totals+=("$total")
}
totals=()
sleep "$wait_s"; report "start+warm-up"
# CPU ms of one LC_ALL=C grep -c DPT= FILE on the core (not >/dev/null: GNU grep then stops at
# the first match)
grep_ms() {
  LC_ALL=C taskset -c "$core" /usr/bin/time -f '%U %S' -o "$work/time" grep -c DPT= "$1" \
    >"$work/grep.out"
  local ms; ms=$(awk '{printf "%d", ($1 + $2) * 1000}' "$work/time"); [ "$ms" -gt 0 ] || ms=1
  echo "$ms"
}
mode=${KNPRF_GREP:-paired}
steady=${KNPRF_STEADY:-4}
ratios=()
n=0
for f in "$@"; do
  n=$((n + 1)); cat "$f" >&3; sleep "$gap"; report "copy $n ($(basename "$f"))"
  if [ "$mode" = paired ]; then
    g=$(grep_ms "$f")
    r=$(awk -v a="${totals[$n]}" -v b="$g" 'BEGIN {printf "%.2f", a / b}')
    echo "copy $n: knockd ${totals[$n]} ms CPU, grep right after $g ms CPU: ratio $r"
    [ "$n" -lt "$steady" ] || ratios+=("$r")
  fi
done
exec 3>&-
[ "${KNPRF_SOURCE:-stdin}" != file ] || kill "$pid"
wait "$pid" || true; pid=
n=0
[ "$mode" = paired ] || for f in "$@"; do
  n=$((n + 1)); gbest=
  for run in 1 2 3; do
    ms=$(grep_ms "$f")
    [ -z "$gbest" ] || [ "$ms" -lt "$gbest" ] && gbest=$ms
  done
  r=$(awk -v a="${totals[$n]}" -v b="$gbest" 'BEGIN {printf "%.2f", a / b}')
  echo "copy $n: knockd ${totals[$n]} ms CPU, grep $gbest ms CPU: ratio $r"
  [ "$n" -lt "$steady" ] || ratios+=("$r")
done
[ "${#ratios[@]}" -eq 0 ] || echo "RESULT grep=$mode steady_copies=$steady.. ratio_median=$(printf '%s\n' "${ratios[@]}" \
  | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')" \
  "ratios=${ratios[*]}"
