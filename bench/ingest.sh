#!/usr/bin/env bash
# Log ingest: lines per second of a generated kern.log (default 10^6 lines) through knockd's
# parser, parser + pipeline (in memory, one thread), and the whole daemon reading it from stdin
# (FirewallLog = -, Firewall = none), each pinned to one core; and LC_ALL=C grep -c DPT= on the
# same file for scale. Usage: bench/ingest.sh [LINES] [CORE]
# KNPRF_COPIES="A B" (default "1 3"): the daemon's two runs read A and B files (the first, then
# others with new scanners); the rate is per copy of the B - A further ones: "4 12" leaves the
# copies during which the JIT still compiles the junk's paths out (the steady state).
# KNPRF_SCANNERS=N (default 300): the sources of the file's scan lines. 300 sweep the knock range
# (knock hunting: tag checks, bounded by MaxTagChecks per second); 10000 is the Internet's
# background noise (~10 ports a source, no source covers the knock's 20 positions).
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
lines=${1:-1000000}; core=${2:-1}
work=$(mktemp -d /tmp/knprf-ingest.XXXXXX); trap 'rm -rf "$work"' EXIT
KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
cat > "$work/knockd.conf" <<CONF
[options]
AllowRoot = yes
FirewallLog = -
Firewall    = none
LogPrefix   = "KNPRF1: "
AuditLog    = $work/audit.log
StateDir    = $work/state
[user bench]
Key   = $work/bench.key
Allow = open 22/tcp
CONF
# stamped 90 s ahead: still inside TimeWindow (120 s) when the last daemon run reads them, ~3 min on
now=$(( $(date +%s) + 90 ))
for i in $(seq 50); do
  KNOCK_HOME="$work/client" "$here/bin/knock" --print -k "$work/bench.key" --source \
    --timestamp "$now" 192.0.2.1 "open 22 30m" | tr '\n' ' '; echo
done > "$work/knocks.txt"
scanners=${KNPRF_SCANNERS:-300}
python3 "$here/bench/gen-kernlog.py" "$work/kern.log" "$lines" "KNPRF1: " "$work/knocks.txt" 1 \
  "$scanners"
# the daemon's further copies: the same mix with other scanners (seeds 2, 3), so that their scan
# packets are new to the tracker (a copy of the same file would be all SYN retransmits, dropped
# before the decoder); their knocks are the first file's again (replays)
read -r copies_a copies_b <<< "${KNPRF_COPIES:-1 3}"
[ "$copies_b" -gt "$copies_a" ] && [ "$copies_a" -ge 1 ] || { echo "bad KNPRF_COPIES" >&2; exit 2; }
for seed in $(seq 2 "$copies_b"); do
  python3 "$here/bench/gen-kernlog.py" "$work/kern$seed.log" "$lines" "KNPRF1: " \
    "$work/knocks.txt" "$seed" "$scanners"
done
size=$(du -m "$work/kern.log" | cut -f1)
echo "file: $lines lines, $size MB ($(grep -c 'DPT=' "$work/kern.log") with DPT=," \
  "$(grep -c 'KNPRF1: ' "$work/kern.log") with our prefix from $scanners scanners, 50 knocks)"
machine

echo "== in memory, one thread (IngestBench)"
taskset -c "$core" java -XX:+UseSerialGC -Xmx2g -cp "$KNOCKD_CP" org.knock.daemon.IngestBench \
  "$work/kern.log" "$work/knockd.conf" "$now" 5

echo "== the daemon: bin/knockd --config C < FILE (stdin, pinned to core $core)"
# CPU time (user+sys) of the daemon's process, not wall time: other work on the machine does not
# count. Start-up, exit and the JIT's warm-up are taken out by difference: A files fed and B
# (the file, then others of other scanners; by cat, whose CPU time is not counted); the rate is
# LINES / ((CPU_B - CPU_A) / (B - A)), the median of three such pairs. Input starts after
# $warm s, when knockd's JIT warm-up (JitWarmup, <= 5 s) is over in both runs of a pair: otherwise
# the part of it that the shorter run cut off by exiting lands in the difference.
warm=${KNPRF_WARM:-6}
run_daemon() { # $1 = how many copies of the file; sets cpu (ms), wall (ms), rss (MB)
  rm -rf "$work/state" "$work/audit.log"
  local files=("$work/kern.log")
  for seed in $(seq 2 "$1"); do files+=("$work/kern$seed.log"); done
  { sleep "$warm"; cat "${files[@]}"; } | taskset -c "$core" /usr/bin/time \
    -f '%e %U %S %M' -o "$work/time" "$here/bin/knockd" --config "$work/knockd.conf" \
    2>"$work/knockd.err" >/dev/null
  read -r w u s r < "$work/time"
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%d", (u + s) * 1000}')
  wall=$(awk -v w="$w" -v s="$warm" 'BEGIN {printf "%d", (w - s) * 1000}'); rss=$(( r / 1024 ))
}
best1=; diffs=()
for run in 1 2 3; do
  run_daemon "$copies_a"   # the knocks are fresh: TimeWindow is 120 s and the daemon's clock is real
  acc=$(grep -c 'event=access-granted' "$work/audit.log" || true)
  echo "run $run, $copies_a file(s): $cpu ms CPU, $wall ms wall after the ${warm} s wait, max RSS $rss MB," \
    "access-granted $acc of 50"
  [ -z "$best1" ] || [ "$cpu" -lt "$best1" ] && best1=$cpu
  once=$cpu
  run_daemon "$copies_b"
  echo "run $run, $copies_b files: $cpu ms CPU, $wall ms wall after the wait, max RSS $rss MB"
  diffs+=($(( (cpu - once) / (copies_b - copies_a) )))
done
net=$(printf '%s\n' "${diffs[@]}" | sort -n | sed -n 2p)   # median of the 3 paired differences
[ "$net" -gt 0 ] || net=1
daemon_lps=$(( lines * 1000 / net ))
echo "daemon: once $best1 ms CPU (start-up, JIT and its warm-up included, $(( lines * 1000 / best1 )) lines/s);" \
  "each further copy ${diffs[*]} ms CPU, median $net ms = $daemon_lps lines/s"

echo "== LC_ALL=C grep -c DPT= FILE (pinned to core $core), best of 5, CPU time"
gbest=
for run in 1 2 3 4 5; do
  # not >/dev/null: GNU grep then stops at the first match
  LC_ALL=C taskset -c "$core" /usr/bin/time -f '%e %U %S' -o "$work/time" \
    grep -c DPT= "$work/kern.log" >"$work/grep.out"
  ms=$(awk '{printf "%d", ($2 + $3) * 1000}' "$work/time"); [ "$ms" -gt 0 ] || ms=1; [ -z "$gbest" ] || [ "$ms" -lt "$gbest" ] && gbest=$ms
done
echo "grep: $gbest ms CPU = $(( lines * 1000 / gbest )) lines/s"
echo "RESULT daemon_lines_per_s=$daemon_lps grep_lines_per_s=$(( lines * 1000 / gbest ))" \
  "ratio=$(awk -v a="$net" -v b="$gbest" 'BEGIN {printf "%.1f", a / b}')"
machine
