#!/usr/bin/env bash
# Floods beyond the kernel ring (issue 17): the same hping3 --rand-source SYN flood, PPS SYN/s for
# SECS s into the knock range, against knockd (nftables) reading FirewallLog = kmsg, then
# FirewallLog = nflog:7 (its rules log to NFLOG group 7; knockd reads it directly through its own
# netlink socket), then nflog:7 through the ulogd it starts (the fallback, forced with
# KNOCKD_JAVA_OPTS=-Dknockd.nflog=ulogd), one after the other in one run (KNPRF_CASES picks:
# kmsg nflog nflog-ulogd), namespaces 10.207.7.0/24. During each flood up to
# KNOCKS real `bin/knock -k KEY 10.207.7.1 "open 22 30m" --wait 5`, one after the other, the
# grant removed before each. Reports per source: SYNs sent (and the rate hping3 reached), records
# lost (kmsg: the ring's overruns, from knockd's source-overrun audit events; nflog: the drops of
# the netlink socket bound to the group (knockd's or ulogd's), /proc/net/netlink, and the
# source-overrun events: the direct reader counts gaps in the group's sequence numbers, ulogd's
# overflow complaints have no count), peak RSS (VmHWM) of knockd and of ulogd, CPU seconds of both from flood start
# to 1 s after its end, and each knock. The kmsg case floods the shared kernel log: run it under
# the tests' lock. Usage (root; ~1 min):
#   flock /tmp/knock-it.lock bench/nflog.sh [PPS] [SECS] [KNOCKS]  (KNPRF_KEEP=1 keeps the work dir)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
pps=${1:-40000}; secs=${2:-10}; knocks=${3:-4}; hpings=${KNPRF_HPINGS:-3}
flooder=${KNPRF_FLOODER:-hping3}
command -v hping3 >/dev/null && [ -x /usr/sbin/ulogd ] || { echo "needs hping3 and ulogd2" >&2; exit 2; }
id=$$; S=knprf-ns$id; C=knprf-nc$id; SIP=10.207.7.1; CIP=10.207.7.2
work=$(mktemp -d /tmp/knprf-nflog.XXXXXX)
pids=()
trap ns_cleanup EXIT
chmod 700 "$work"; mkdir -m 700 "$work/client"
KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
machine
ns_pair
ip -n "$C" route add default dev vc # replies to spoofed sources go nowhere
for k in all default vs; do ip netns exec "$S" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"; done
ip netns exec "$S" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.TcpSink 22 600 \
  >/dev/null 2>&1 & pids+=($!)

cpu_ticks_or_0() { { [ -r "/proc/$1/stat" ] && cpu_ticks "$1"; } || echo 0; } # 0 once gone
hwm_mb() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status" 2>/dev/null || echo "?"; }
# drops of the netlink socket bound to NFLOG group $1 in the server namespace (its portid)
nflog_drops() {
  local portid
  portid=$(ip netns exec "$S" awk -v g="$1" '$1 == g {print $2}' /proc/net/netfilter/nfnetlink_log)
  [ -n "$portid" ] || { echo "?"; return; }
  ip netns exec "$S" awk -v p="$portid" 'NR > 1 && $2 == 12 && $3 == p {print $9}' /proc/net/netlink
}

# case_run NAME FIREWALLLOG [KNOCKD_JAVA_OPTS] (added to the caller's KNOCKD_JAVA_OPTS)
java_opts=${KNOCKD_JAVA_OPTS:-}
case_run() {
  local name=$1 log=$2 dir="$work/$1"
  export KNOCKD_JAVA_OPTS="$java_opts ${3:-}"
  mkdir -p "$dir"; : > "$dir/knocks"
  cat > "$dir/knockd.conf" <<CONF
[options]
AllowRoot   = yes
FirewallLog = $log
Firewall    = nftables
Protect     = 22/tcp
LogPrefix   = "KNPRF7: "
AuditLog    = $dir/audit.log
StateDir    = $dir/state
[user bench]
Key   = $work/bench.key
Allow = open 22/tcp
CONF
  echo "== $name: FirewallLog = $log${3:+ (KNOCKD_JAVA_OPTS=$3)}; $flooder SYNs from random sources, $pps/s for $secs s"
  local kd; start_knockd "$dir/knockd.conf" "$dir/knockd.err"
  local ul tck c0 u0 t0
  ul=$(pgrep -P "$kd" -x ulogd || true)
  tck=$(getconf CLK_TCK)
  c0=$(cpu_ticks_or_0 "$kd"); u0=$([ -n "$ul" ] && cpu_ticks_or_0 "$ul" || echo 0); t0=$(date +%s%N)
  # hping3's -i pacing reaches about half its nominal rate here (one at -i u25: ~13,000 SYN/s),
  # so each of HPINGS asks for twice its share, for SECS s; the rate reached is reported
  if [ "$flooder" = junk ]; then # paced in 10 ms batches; a random source per SYN, as --rand-source
    ip netns exec "$C" python3 "$here/bench/junk.py" send $SIP "$pps" "$secs" 0 1 \
      > "$dir/flood.out" 2>&1 &
  else
  ip netns exec "$C" bash -c 'for _ in $(seq "$1"); do
      timeout -s INT "$4" hping3 -q -S --rand-source -p 21000 -i "u$2" "$3" 2>&1 \
        | grep "packets transmitted" &
    done; wait' flood "$hpings" $(( 1000000 * hpings / pps / 2 )) $SIP "$secs" \
    > "$dir/flood.out" 2>&1 &
  fi
  local fl=$!; pids+=($fl)
  sleep 1.5
  knocks_during "$dir" "$knocks" "$secs" "$t0" "$work/bench.key"
  wait "$fl" || true
  local took=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 1
  local c1 u1 wall drops
  c1=$(cpu_ticks_or_0 "$kd"); u1=$([ -n "$ul" ] && cpu_ticks_or_0 "$ul" || echo 0)
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  drops=$([ "$log" != "${log#nflog:}" ] && nflog_drops "${log#nflog:}" || echo "-")
  echo "knocks: $(grep -c '^opened' "$dir/knocks" || true) of $(grep -cE '^(NOT )?opened' "$dir/knocks" || true) opened"
  local sent
  sent=$(awk '/packets transmitted/ {n += $1} /^sent / {n += $2} END {print n + 0}' "$dir/flood.out")
  echo "flood: $sent SYNs sent by $([ "$flooder" = junk ] && echo bench/junk.py || echo "$hpings hping3") in $(awk -v t="$took" 'BEGIN {printf "%.1f", t / 1000}') s" \
    "(~$(( sent * 1000 / took )) SYN/s)"
  (grep -E 'event=source-overrun' "$dir/audit.log" || true) | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) {sub("lost=", "", $i); if ($i >= 0) n += $i; else u++; c++}} END {printf "source-overrun events: %d, records lost they count: %d (%d of unknown count)\n", c, n, u}'
  [ "$drops" = - ] || echo "$([ -n "$ul" ] && echo "ulogd's" || echo "knockd's") netlink socket (group ${log#nflog:}): $drops records dropped (/proc/net/netlink Drops)"
  grep -o 'log nflog:[^)]*)' "$dir/knockd.err" "$dir"/*.out 2>/dev/null | head -1 || true
  awk -v a="$c0" -v b="$c1" -v x="$u0" -v y="$u1" -v t="$tck" -v w="$wall" 'BEGIN {
    printf "CPU from flood start to 1 s after its end (%.1f s wall): knockd %.2f s (%.0f%% of a core), ulogd %.2f s\n",
      w / 1000, (b - a) / t, 100 * (b - a) / t / (w / 1000), (y - x) / t }'
  echo "peak RSS (VmHWM): knockd $(hwm_mb "$kd") MB$([ -z "$ul" ] || echo ", ulogd $(hwm_mb "$ul") MB")"
  echo "audit: $( (grep -o 'event=[a-z-]*' "$dir/audit.log" || true) | sort | uniq -c | tr '\n' ' ')"
  kill "$kd"; wait "$kd" 2>/dev/null || true
  [ -z "$ul" ] || ! kill -0 "$ul" 2>/dev/null || echo "WARNING: ulogd $ul outlived knockd" >&2
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$kd" ] || [ "$p" = "$fl" ] || keep+=("$p"); done
  pids=("${keep[@]}") # ended: never signal a reused PID
  ip netns exec "$S" nft delete table inet knockd 2>/dev/null || true
}

for c in ${KNPRF_CASES:-kmsg nflog nflog-ulogd}; do
  case $c in
    kmsg) case_run kmsg kmsg ;;
    nflog) case_run nflog nflog:7 ;;
    nflog-ulogd) case_run nflog-ulogd nflog:7 -Dknockd.nflog=ulogd ;;
    *) echo "KNPRF_CASES: unknown case $c (kmsg, nflog, nflog-ulogd)" >&2; exit 2 ;;
  esac
done
machine
