#!/usr/bin/env bash
# Door latency, side by side: knock (knockd reading kmsg, a file written by rsyslog, the journal,
# NFLOG group 7 read directly, or through ulogd with KNOCKD_JAVA_OPTS=-Dknockd.nflog=ulogd:
# knock-nflog, where a LOG rule of a table of its own only timestamps the knock packets in the
# kernel log, since latency.py takes the packet's time from there),
# Debian's knockd (static sequence, pcap) and fwknop (SPA), each opening port 22 of a server
# namespace for a client namespace (10.207.1.0/24), N trials each (default 50), by
# bench/latency.py. Usage (root): bench/latency.sh [N] [SYSTEM...]
#   SYSTEM: knock-kmsg knock-file knock-journal knock-nflog knockd fwknop (default: all but
#   knock-nflog), and over IPv6
#   (fd10:207:1::/64; not in the default): knock-kmsg6 (bin/knock -6, a granted6 element),
#   knockd6 (Debian's knockd and its client with -6, an ipv6_addr set); knock-kmsgtick: kmsg
#   without the packet wake-up (-Dknockd.kmsgWake=false: the reader waits for the kernel's tick);
#   knock-kmsgpoll: kmsg with `KmsgPoll = 1ms` (not in the default); knock-kmsgnort: kmsg with
#   the log reader at normal scheduling (-Dknockd.realtime=false), not real-time
# KNPRF_SETTLE (default 1): seconds between knockd's "warm-up done" and the first trial
# KNPRF_PIN=S:C (e.g. 0:1): every server (knockd, rsyslog, Debian's knockd, fwknopd) runs on CPUs
#   S and the harness and every client on CPUs C (taskset -c), as when the client is another
#   machine: the daemon side without the client's JVM start competing for its cores
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
n=${1:-50}; shift || true
systems=${*:-knock-kmsg knock-file knock-journal knockd fwknop}
pin_server=() pin_client=()
if [ -n "${KNPRF_PIN:-}" ]; then
  pin_server=(taskset -c "${KNPRF_PIN%%:*}"); pin_client=(taskset -c "${KNPRF_PIN#*:}")
fi
id=$$; S=knprf-s$id; C=knprf-c$id; SIP=10.207.1.1; CIP=10.207.1.2; SIP6=fd10:207:1::1; CIP6=fd10:207:1::2
work=$(mktemp -d /tmp/knprf-latency.XXXXXX)
pids=()
trap ns_cleanup EXIT
stop() { kill "$1" 2>/dev/null || true; for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$1" 2>/dev/null || true; }

ns_pair
ip -n "$S" -6 addr add $SIP6/64 dev vs nodad; ip -n "$C" -6 addr add $CIP6/64 dev vc nodad
ip netns exec "$S" java -cp "$here/knockd/target/test-classes" org.knock.daemon.it.TcpSink 22 7200 \
  >/dev/null 2>&1 & pids+=($!)
sleep 1

harness() { # NAME RESET GRANT -- CLIENT...
  "${pin_client[@]}" ip netns exec "$C" env KNOCK_HOME="$work/client" HOME="$work" python3 -u \
    "$here/bench/latency.py" "$1" "$n" "${host:-$SIP}" 22 "$2" "$3" "${@:4}" | tee -a "$work/results" \
    | grep -E "^RESULT|^trial" || true
}

knock_system() { # kmsg | file | journal | nflog, [6: over IPv6] (env: label, KNPRF_OPTIONS)
  local src=$1 log=$1 v6=${2:-} pid host=$SIP name=${label:-knock-$1${2:-}}
  local conf="$work/$name.conf"
  [ -z "$v6" ] || host=$SIP6
  [ -f "$work/bench.key" ] || KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
  [ "$src" = file ] && log="$work/kern.log"
  if [ "$src" = nflog ]; then
    log=nflog:7
    ip netns exec "$S" nft -f - <<NFT
table inet knprfts {
  chain input { type filter hook input priority filter - 2; policy accept;
    tcp dport 20000-25119 tcp flags & (fin|syn|rst|ack) == syn log prefix "KNPRFTS: "
  }
}
NFT
  fi
  knockd_conf "$log" nftables "KNPRF1: " "$work/audit-$name.log" "$work/state-$name" > "$conf"
  local run=("${pin_server[@]}" ip netns exec "$S" "$here/bin/knockd" --config "$conf")
  if [ "$src" = file ]; then
    # rsyslog (Debian 12 package) writing kern.log from /dev/kmsg (imkmsg, non-destructive)
    mkdir -p "$work/rs"; : > "$work/kern.log"
    cat > "$work/rsyslog.conf" <<RS
global(workDirectory="$work/rs")
module(load="imkmsg")
kern.* action(type="omfile" file="$work/kern.log" template="RSYSLOG_TraditionalFileFormat")
RS
    "${pin_server[@]}" rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rs.pid" & pids+=($!); local rs=$!
  fi
  if [ "$src" = journal ]; then
    # no journald on this machine: systemd-journald 252 in a private mount namespace (tmpfs over
    # its directories), knockd's journalctl in the same namespace
    # (a TERM to this shell stops knockd and journald too)
    run=("${pin_server[@]}" unshare -m bash -c 'for d in /run/systemd /run/log /var/log/journal; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
      /lib/systemd/systemd-journald & j=$!; sleep 1
      ip netns exec "$0" "$1" --config "$2" & k=$!
      trap "kill $k $j 2>/dev/null; wait" TERM; wait $k; kill $j' "$S" "$here/bin/knockd" "$conf")
  fi
  "${run[@]}" 2>"$work/$name.err" & pid=$!; pids+=($pid)
  for _ in $(seq 100); do ip netns exec "$S" nft list table inet knockd >/dev/null 2>&1 && break; sleep 0.1; done
  # steady state: knockd compiles a knock's path at start (JitWarmup, a few seconds), then says so
  for _ in $(seq 300); do grep -q 'warm-up done' "$work/$name.err" && break; sleep 0.1; done
  sleep "${KNPRF_SETTLE:-1}" # after the warm-up, before the first trial
  harness "$name" "ip netns exec $S nft flush set inet knockd granted$v6" \
    "audit:$work/audit-$name.log" -- "$here/bin/knock" ${v6:+-6} -k "$work/bench.key" $host "open 22 30m"
  stop $pid
  [ "$src" != nflog ] || grep -o 'log nflog:[^)]*)' "$work/$name.err" || true
  grep -o 'reader [a-z-]* ([^)]*)' "$work/$name.err" | head -1 || true
  [ "$src" != file ] || stop "$rs"
  [ "$src" != nflog ] || ip netns exec "$S" nft delete table inet knprfts
  sleep 0.5
}

knockd_system() { # [6: over IPv6]
  local v6=${1:-} host=$SIP
  [ -z "$v6" ] || host=$SIP6
  ip netns exec "$S" nft -f - <<NFT
table inet knprf {
  set allowed { type ipv4_addr; flags timeout; }
  set allowed6 { type ipv6_addr; flags timeout; }
  chain input { type filter hook input priority 0; policy accept;
    ct state established,related accept
    ip saddr @allowed tcp dport 22 accept
    ip6 saddr @allowed6 tcp dport 22 accept
    tcp dport 22 drop
    tcp dport { 7000, 8000, 9000 } log prefix "KNPRF2: " drop
  }
}
NFT
  cat > "$work/knockd-debian.conf" <<CONF
[options]
  LogFile = $work/knockd-debian.log
[open]
  sequence      = 7000,8000,9000
  seq_timeout   = 5
  tcpflags      = syn
  start_command = nft add element inet knprf allowed$v6 { %IP% timeout 30m } && echo "KNPRF2: knockd opened %IP%" > /dev/kmsg
CONF
  "${pin_server[@]}" ip netns exec "$S" knockd -c "$work/knockd-debian.conf" -i vs 2>"$work/knockd-debian.err" & local pid=$!; pids+=($pid)
  sleep 1
  harness knockd$v6 "ip netns exec $S nft flush set inet knprf allowed$v6" "kmsg:knockd opened" \
    -- knock ${v6:+-6} $host 7000 8000 9000
  stop $pid
  ip netns exec "$S" nft delete table inet knprf
}

fwknop_system() {
  HOME="$work" fwknop --key-gen > "$work/fwknop.keys" 2>/dev/null
  local k h
  k=$(awk '/^KEY_BASE64/ {print $2}' "$work/fwknop.keys"); h=$(awk '/^HMAC_KEY_BASE64/ {print $2}' "$work/fwknop.keys")
  printf 'SOURCE ANY\nOPEN_PORTS tcp/22\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nFW_ACCESS_TIMEOUT 1800\n' "$k" "$h" > "$work/access.conf"
  printf 'PCAP_INTF vs\n' > "$work/fwknopd.conf"
  chmod 600 "$work/access.conf" "$work/fwknopd.conf"
  ip netns exec "$S" iptables -A INPUT -p tcp --dport 22 -j DROP
  ip netns exec "$S" iptables -I INPUT -p udp --dport 62201 -j LOG --log-prefix "KNPRF3: "
  # fwknopd -v says "Added access rule ..." once the rule is in: each of its lines goes to
  # /dev/kmsg at once (line-buffered by stdbuf), so that its time is on the printk clock
  "${pin_server[@]}" ip netns exec "$S" stdbuf -oL -eL fwknopd -f -v -c "$work/fwknopd.conf" -a "$work/access.conf" -i vs \
    -d "$work/digest.cache" -p "$work/fwknopd.pid" 2>&1 | python3 -u -c '
import os, sys
for line in sys.stdin:  # a fresh descriptor per line: the kernel rate-limits each one
    fd = os.open("/dev/kmsg", os.O_WRONLY)
    os.write(fd, ("KNPRF3: fwknopd: " + line.strip())[:900].encode() + b"\n")
    os.close(fd)
' & local pid=$!; pids+=($pid)
  sleep 2
  harness fwknop "ip netns exec $S iptables -F FWKNOP_INPUT" "kmsg:Added access rule" \
    -- fwknop --no-rc-file -A tcp/22 -a $CIP -D $SIP --key-base64-rijndael "$k" --key-base64-hmac "$h" --use-hmac
  pkill -F "$work/fwknopd.pid" 2>/dev/null || true
  stop $pid
}

machine
[ -z "${KNPRF_PIN:-}" ] || echo "pinned: servers on CPUs ${KNPRF_PIN%%:*}, harness and clients on CPUs ${KNPRF_PIN#*:}"
for s in $systems; do
  case $s in
    knock-kmsg) knock_system kmsg ;;
    knock-file) knock_system file ;;
    knock-journal) knock_system journal ;;
    knock-kmsg6) knock_system kmsg 6 ;;
    knock-kmsgpoll) label=knock-kmsgpoll KNPRF_OPTIONS="KmsgPoll = 1ms" knock_system kmsg ;;
    knock-kmsgnort) label=knock-kmsgnort KNOCKD_JAVA_OPTS="${KNOCKD_JAVA_OPTS:-} -Dknockd.realtime=false" \
      knock_system kmsg ;;
    knock-kmsgtick) label=knock-kmsgtick KNOCKD_JAVA_OPTS="${KNOCKD_JAVA_OPTS:-} -Dknockd.kmsgWake=false" \
      knock_system kmsg ;;
    knock-nflog) knock_system nflog ;;
    knockd) knockd_system ;;
    knockd6) knockd_system 6 ;;
    fwknop) fwknop_system ;;
    *) echo "unknown system $s" >&2; exit 2 ;;
  esac
done
machine
