#!/usr/bin/env bash
# IPv6 flood next to the IPv4 one (issue 15), the same knockd config for both families:
# (1) LINES SYNs from distinct spoofed sources into the knock range as log lines on knockd's
#     stdin (FirewallLog = -, Firewall = none, pinned to core 1), one legitimate knock in the
#     middle; IPv6 sources are distinct /128s across many /64s, a quarter from one /64
#     (bench/gen-flood.py FAMILY 6). Peak RSS (VmHWM), the largest heap left after a GC, CPU.
# (2) a real flood between two namespaces (10.207.3.0/24, fd10:207:3::/64): SynFlood (a
#     non-blocking connect() per random source, knockd/src/test/java/.../it/SynFlood.java) at
#     PPS SYN/s for SECONDS s, a fresh knockd (nftables, kmsg) per family, a real
#     `bin/knock -4|-6 ... --wait 5` in the middle. knockd's VmHWM and VmRSS after the flood,
#     kmsg records lost, whether the knock opened.
# Usage (root): bench/flood6.sh [LINES] [PPS] [SECONDS]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
lines=${1:-1000000}; pps=${2:-10000}; secs=${3:-6}
id=$$; S=knprf-f6s$id; C=knprf-f6c$id; SIP=10.207.3.1; CIP=10.207.3.2
SIP6=fd10:207:3::1; CIP6=fd10:207:3::2
work=$(mktemp -d /tmp/knprf-flood6.XXXXXX)
pids=()
trap ns_cleanup EXIT
KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
conf() { knockd_conf "$1" "$2" "KNPRF$3: " "$work/audit$3.log" "$work/state$3"; } # SOURCE FIREWALL FAMILY
# the heap left after each full GC in a -Xlog:gc file ("Pause Full ... 80M->12M(128M)"): the
# largest, in MB, and how many full GCs ran
heap_after() { grep 'Pause Full' "$1" | grep -o -- '->[0-9]*M' | tr -d '>M-' | sort -n |
  awk '{m = $1; n++} END {printf "%s MB after the largest of %d full GCs", n ? m : "-", n}'; }
machine

echo "== (1) $lines spoofed sources as log lines on stdin (Firewall = none, pinned to core 1)"
for fam in 4 6; do
  if [ $fam = 4 ]; then host=192.0.2.1; me=198.51.100.7; else host=2001:db8:1::1; me=2001:db8:7::7; fi
  conf - none $fam > "$work/stdin$fam.conf"
  KNOCK_HOME="$work/client" "$here/bin/knock" --print -$fam -k "$work/bench.key" --source $host \
    "open 22 30m" | tr '\n' ' ' > "$work/knock.txt"
  python3 "$here/bench/gen-flood.py" "$work/flood.log" "$lines" "KNPRF$fam: " "$work/knock.txt" \
    20000-25119 $fam
  KNOCKD_JAVA_OPTS="-Xlog:gc:file=$work/gc$fam.log" taskset -c 1 /usr/bin/time -f '%e %U %S %M' \
    -o "$work/time" "$here/bin/knockd" --config "$work/stdin$fam.conf" < "$work/flood.log" \
    >/dev/null 2>"$work/stdin.err"
  read -r wall user sys rss < "$work/time"
  echo "IPv$fam: $lines lines: $wall s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') s CPU;" \
    "peak RSS $(( rss / 1024 )) MB; live heap $(heap_after "$work/gc$fam.log");" \
    "legitimate knock: $(grep -c "event=access-granted.*addr=$me" "$work/audit$fam.log" || true) access-granted"
  grep -o 'event=[a-z-]*' "$work/audit$fam.log" | sort | uniq -c | tr '\n' ' '; echo
  rm -f "$work/flood.log" "$work/audit$fam.log"; rm -rf "$work/state$fam"
done

echo "== (2) SynFlood from random sources, $pps SYN/s for $secs s into the knock range; knockd reads kmsg"
ns_pair
ip -n "$S" -6 addr add $SIP6/64 dev vs nodad; ip -n "$C" -6 addr add $CIP6/64 dev vc nodad
ip -n "$C" route add local 198.18.0.0/15 dev lo
ip netns exec "$C" sysctl -qw net.ipv6.ip_nonlocal_bind=1
ip netns exec "$S" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.TcpSink 22 600 \
  >/dev/null 2>&1 & pids+=($!)
count=$(( pps * secs ))
for fam in 4 6; do
  if [ $fam = 4 ]; then dst=$SIP; else dst=$SIP6; fi
  conf kmsg nftables $fam > "$work/kmsg$fam.conf"
  ip netns exec "$S" "$here/bin/knockd" --config "$work/kmsg$fam.conf" 2>"$work/kmsg.err" & kd=$!; pids+=($kd)
  for _ in $(seq 100); do grep -q event=daemon-start "$work/audit$fam.log" 2>/dev/null && break; sleep 0.1; done
  sleep 2
  rss0=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$kd/status)
  ip netns exec "$C" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.SynFlood \
    $dst 20000-25119 $count $pps $fam > "$work/sent" 2>&1 & fl=$!; pids+=($fl)
  sleep $(( secs / 2 ))
  t0=$(date +%s%N)
  if ip netns exec "$C" env KNOCK_HOME="$work/client" "$here/bin/knock" -$fam -k "$work/bench.key" \
      $dst "open 22 30m" --wait 5 >/dev/null 2>&1; then
    verdict="opened after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  else
    verdict="did NOT open within 5 s"
  fi
  wait $fl || true
  sleep 1
  echo "IPv$fam: SynFlood $(cat "$work/sent"); legitimate knock during the flood: $verdict"
  echo "IPv$fam: knockd VmRSS before $rss0 MB, after $(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$kd/status) MB;" \
    "peak (VmHWM) $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$kd/status) MB"
  echo "IPv$fam: audit: $(grep -o 'event=[a-z-]*' "$work/audit$fam.log" | sort | uniq -c | tr '\n' ' ')"
  grep -E 'event=source-overrun' "$work/audit$fam.log" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) {sub("lost=", "", $i); n += $i; c++}} END {printf "kmsg overruns: %d, records lost: %d of %d sent\n", c, n, '"$count"'}' || true
  kill $kd; wait $kd 2>/dev/null || true
done
machine
