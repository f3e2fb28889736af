#!/usr/bin/env bash
# Junk floods against a 1,000-user knockd (issue 11): knockd (nftables, FirewallLog = kmsg) in a
# server namespace (10.207.6.1) with USERS [user] sections; from the client namespace, for SECS
# seconds at PPS SYN/s into the knock range,
#   (a) every SYN from a new random address (as hping3 --rand-source; here paced by
#       bench/junk.py, since hping3 -i u200 sent only ~3,400/s on this machine): no source ever
#       completes a message;
#   (b) SYNs from SOURCES fixed spoofed addresses to random ports of the whole indexed range, so
#       every source holds candidates for all 20 positions and each further SYN costs a
#       newest-first check and a depth search — run with MaxTagChecks at its default and at
#       1,000,000,000 (effectively unbounded);
# and during each flood up to KNOCKS real `bin/knock -k KEY 10.207.6.1 "open 22 30m" --wait 5`
# by the last user, one after the other, the grant removed before each. Reports per case: each
# knock (client start -> port 22 accepts, client exit, knock-accepted in the audit log), knockd's
# CPU seconds from flood start to 1 s after its end (/proc/PID/stat utime+stime), how much of
# that time its log-reader thread ran and waited for a CPU (/proc/PID/task/TID/schedstat), peak RSS
# (VmHWM), kmsg overruns (audit source-overrun) and knock-rejected reasons (decoder-busy: a source
# whose sequence ended after the budget refused it a check; audited when the sequence times out,
# so the script waits SequenceTimeout after the flood of case b).
# Usage (root; ~1.5-2 min): bench/junk.sh [PPS] [SECS] [SOURCES] [KNOCKS] [USERS]
# (KNPRF_CASES="a b u" picks cases; KNPRF_KEEP=1 keeps the work directory.)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
pps=${1:-5000}; secs=${2:-12}; nsrc=${3:-300}; knocks=${4:-5}; nusers=${5:-1000}
id=$$; S=knprf-js$id; C=knprf-jc$id; SIP=10.207.6.1; CIP=10.207.6.2
work=$(mktemp -d /tmp/knprf-junk.XXXXXX)
pids=()
trap ns_cleanup EXIT
chmod 700 "$work"
mkdir -m 700 "$work/keys" "$work/client"
python3 "$here/bench/junk.py" users "$work/keys" "$nusers" > "$work/users.conf"
key=$(printf '%s/keys/u%04d.key' "$work" "$nusers") # tried last, as in bench/users.sh
machine
echo "$nusers users ($(grep -c '^\[user' "$work/users.conf") [user] sections), knock by the last"

ns_pair
ip -n "$C" route add default dev vc # replies to spoofed sources go nowhere
for k in all default vs; do ip netns exec "$S" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"; done
ip netns exec "$S" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.TcpSink 22 600 \
  >/dev/null 2>&1 & pids+=($!)

# "RUN_NS WAIT_NS" of knockd's log-reader thread (it reads, parses and decodes every record)
reader_sched() {
  local t
  for t in /proc/"$1"/task/*; do
    if [ "$(cat "$t/comm" 2>/dev/null)" = log-reader ]; then cut -d' ' -f1-2 "$t/schedstat"; return; fi
  done
  echo "0 0"
}

# case NAME MAXTAGCHECKS FLOOD-COMMAND...
case_run() {
  local name=$1 checks=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"; : > "$dir/knocks"
  cat > "$dir/knockd.conf" <<CONF
[options]
AllowRoot    = yes
FirewallLog  = kmsg
Firewall     = nftables
Protect      = 22/tcp
LogPrefix    = "KNPRF6: "
AuditLog     = $dir/audit.log
StateDir     = $dir/state
MaxTagChecks = $checks
CONF
  cat "$work/users.conf" >> "$dir/knockd.conf"
  echo "== $name: MaxTagChecks = $checks; $*"
  local kd; start_knockd "$dir/knockd.conf" "$dir/knockd.err"
  local tck c0 c1 t0 i r0 r1
  tck=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$kd"); r0=$(reader_sched "$kd"); t0=$(date +%s%N)
  ip netns exec "$C" "$@" > "$dir/flood.out" 2>&1 & local fl=$!; pids+=($fl)
  ( # 1 s after the flood ends (knocks may still run): knockd's CPU and its reader's times
    for _ in $(seq $(( (secs + 20) * 10 ))); do kill -0 "$fl" 2>/dev/null || break; sleep 0.1; done
    echo $(( ($(date +%s%N) - t0) / 1000000 )) > "$dir/flood.ms"
    sleep 1
    echo "$(cpu_ticks "$kd") $(reader_sched "$kd") $(( ($(date +%s%N) - t0) / 1000000 ))" > "$dir/after"
  ) & local sampler=$!; pids+=($sampler)
  sleep 1.5
  knocks_during "$dir" "$knocks" "$secs" "$t0" "$key"
  wait "$fl" || true
  wait "$sampler"
  local took wall
  took=$(cat "$dir/flood.ms")
  read -r c1 r1a r1b wall < "$dir/after"; r1="$r1a $r1b"
  echo "knocks: $(grep -c '^opened' "$dir/knocks" || true) of $(grep -cE '^(NOT )?opened' "$dir/knocks" || true) opened;" \
    "client start -> port accepts: $( (grep -o 'accepts [0-9]* ms' "$dir/knocks" || true) | cut -d' ' -f2 | tr '\n' ' ')ms"
  echo "flood (ended at +$(awk -v t="$took" 'BEGIN {printf "%.1f", t / 1000}') s): $(tail -1 "$dir/flood.out")"
  awk -v a="$c0" -v b="$c1" -v t="$tck" -v w="$wall" 'BEGIN {
    printf "knockd CPU from flood start to 1 s after its end: %.2f s in %.1f s wall (%.0f%% of a core)\n",
      (b - a) / t, w / 1000, 100 * (b - a) / t / (w / 1000) }'
  awk -v a="$r0" -v b="$r1" -v w="$wall" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "log-reader thread: ran %.2f s, waited for a CPU %.2f s (busy %.0f%% of the time)\n",
      (y[1] - x[1]) / 1e9, (y[2] - x[2]) / 1e9, 100 * (y[1] - x[1] + y[2] - x[2]) / 1e6 / w }'
  echo "knockd peak RSS (VmHWM): $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$kd/status") MB"
  # decoder-busy is audited when a sequence ends: wait SequenceTimeout (10 s) and a sweep
  [ "$checks" -ge 1000000000 ] || [ "$name" = a-random-sources ] || sleep 11
  (grep -E 'event=source-overrun' "$dir/audit.log" || true) | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) {sub("lost=", "", $i); n += $i; c++}} END {printf "kmsg overruns: %d, records lost: %d\n", c, n}'
  (grep -E 'event=source-overrun' "$dir/audit.log" || true) | awk '{ms = substr($1, 21, 3) + 0; q[int(ms / 250)]++}
    END {if (NR) printf "overruns noticed in each quarter of the second (ms 0-249, 250-499, 500-749, 750-999): %d %d %d %d\n", q[0], q[1], q[2], q[3]}'
  echo "knock-rejected: $( (grep -o 'event=knock-rejected.*reason=[a-z-]*' "$dir/audit.log" || true) | grep -o 'reason=[a-z-]*' | sort | uniq -c | tr '\n' ' ')"
  echo "audit: $( (grep -o 'event=[a-z-]*' "$dir/audit.log" || true) | sort | uniq -c | tr '\n' ' ')"
  kill "$kd"; wait "$kd" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$kd" ] || [ "$p" = "$fl" ] || [ "$p" = "$sampler" ] || keep+=("$p"); done
  pids=("${keep[@]}") # all ended: never signal a reused PID
  ip netns exec "$S" nft delete table inet knockd 2>/dev/null || true
}

cases=${KNPRF_CASES:-a b u} # a: random sources; b: fixed sources, default budget; u: unbounded
for c in $cases; do
  case $c in
    a) case_run a-random-sources 1000000 \
         python3 "$here/bench/junk.py" send $SIP "$pps" "$secs" 0 1 ;;
    b) case_run b-fixed-sources-budget 1000000 \
         python3 "$here/bench/junk.py" send $SIP "$pps" "$secs" "$nsrc" 1 ;;
    u) case_run b-fixed-sources-unbounded 1000000000 \
         python3 "$here/bench/junk.py" send $SIP "$pps" "$secs" "$nsrc" 1 ;;
    *) echo "KNPRF_CASES: unknown case $c (a, b or u)" >&2; exit 2 ;;
  esac
done
machine
