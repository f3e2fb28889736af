#!/usr/bin/env bash
# Flood: (1) 10^6 SYNs from distinct spoofed sources into the knock range, as log lines on
# knockd's stdin (FirewallLog = -), one legitimate knock in the middle; (2) a bounded real
# hping3 --rand-source flood between two namespaces (10.207.2.0/24), knockd reading /dev/kmsg,
# a real knock (bin/knock --wait) in the middle. Reports peak RSS (VmHWM), lines/s, lost kmsg
# records and whether the legitimate knock opened. Usage (root): bench/flood.sh [LINES] [PPS] [SECONDS]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
lines=${1:-1000000}; pps=${2:-10000}; secs=${3:-6}
id=$$; S=knprf-fs$id; C=knprf-fc$id; SIP=10.207.2.1; CIP=10.207.2.2
work=$(mktemp -d /tmp/knprf-flood.XXXXXX)
pids=()
trap ns_cleanup EXIT
KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
conf() { knockd_conf "$1" "$2" "KNPRF4: " "$work/audit.log" "$work/state"; } # SOURCE FIREWALL
machine

echo "== (1) $lines spoofed sources as log lines on stdin (Firewall = none, pinned to core 1)"
conf - none > "$work/stdin.conf"
KNOCK_HOME="$work/client" "$here/bin/knock" --print -k "$work/bench.key" --source 192.0.2.1 \
  "open 22 30m" | tr '\n' ' ' > "$work/knock.txt"
python3 "$here/bench/gen-flood.py" "$work/flood.log" "$lines" "KNPRF4: " "$work/knock.txt"
taskset -c 1 /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$here/bin/knockd" \
  --config "$work/stdin.conf" < "$work/flood.log" >/dev/null 2>"$work/stdin.err"
read -r wall user sys rss < "$work/time"
echo "$lines lines: $wall s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') s CPU" \
  "(JVM start included) = $(awk -v n="$lines" -v u="$user" -v s="$sys" 'BEGIN {printf "%d", n / (u + s)}') lines/s;" \
  "peak RSS $(( rss / 1024 )) MB"
echo "legitimate knock: $(grep -c 'event=access-granted.*addr=198.51.100.7' "$work/audit.log" || true) access-granted;" \
  "audit: $(grep -o 'event=[a-z-]*' "$work/audit.log" | sort | uniq -c | tr '\n' ' ')"
grep 'event=flood-evictions' "$work/audit.log" | head -2 || true
rm -f "$work/flood.log" "$work/audit.log"; rm -rf "$work/state"

echo "== (2) hping3 --rand-source, $pps SYN/s for $secs s into the knock range; knockd reads kmsg"
ns_pair
ip -n "$C" route add default dev vc   # replies to spoofed sources go nowhere
ip netns exec "$S" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.TcpSink 22 600 \
  >/dev/null 2>&1 & pids+=($!)
conf kmsg nftables > "$work/kmsg.conf"
start_knockd "$work/kmsg.conf" "$work/kmsg.err"
count=$(( pps * secs ))
ip netns exec "$C" hping3 -q -S --rand-source -p 21000 -i u$(( 1000000 / pps )) -c $count $SIP \
  >/dev/null 2>&1 & hp=$!; pids+=($hp)
sleep $(( secs / 2 ))
t0=$(date +%s%N)
if ip netns exec "$C" env KNOCK_HOME="$work/client" "$here/bin/knock" -k "$work/bench.key" $SIP \
    "open 22 30m" --wait 5 >/dev/null 2>&1; then
  verdict="opened after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
  verdict="did NOT open within 5 s"
fi
hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$kd/status)
wait $hp || true
sleep 1
echo "legitimate knock during the flood: $verdict"
echo "knockd peak RSS (VmHWM): $hwm MB"
echo "audit: $(grep -o 'event=[a-z-]*' "$work/audit.log" | sort | uniq -c | tr '\n' ' ')"
{ grep -E 'event=source-overrun' "$work/audit.log" || true; } | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) {sub("lost=", "", $i); n += $i; c++}} END {printf "kmsg overruns: %d, records lost: %d of %d sent\n", c, n, '"$count"'}'
grep -E 'event=(source-overrun|flood-evictions)' "$work/audit.log" | head -3 || true
machine
