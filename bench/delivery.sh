#!/usr/bin/env bash
# Delivery: how long the client takes to put a knock on the wire — a 20-port indexed knock (one
# burst, any order) against a classic knock (in order, with the 20 ms delay bin/knock uses for
# it), and knockd's 3-port static sequence for scale — measured as first-to-last knock packet in
# the server's kernel log, and as the client's wall time. Namespaces 10.207.3.0/24; the server
# only logs and drops (no daemon). Usage (root): bench/delivery.sh [N]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
n=${1:-20}
id=$$; S=knprf-ds$id; C=knprf-dc$id; SIP=10.207.3.1; CIP=10.207.3.2
work=$(mktemp -d /tmp/knprf-delivery.XXXXXX)
pids=()
trap ns_cleanup EXIT
ns_pair
ip netns exec "$S" nft -f - <<NFT
table inet knprf {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport { 7000, 8000, 9000, 20000-25119 } tcp flags & (syn|ack) == syn log prefix "KNPRF5: " drop
  }
}
NFT
KNOCK_HOME="$work/client" "$here/bin/knock" keygen -o "$work/bench.key" --user bench >/dev/null
"$here/bin/knock" --print -k "$work/bench.key" 127.0.0.1 "open 22" >/dev/null 2>&1 || true  # CDS archive
machine
run() { ip netns exec "$C" env KNOCK_HOME="$work/client" python3 -u "$here/bench/delivery.py" "$@"; }
run indexed "$n" $SIP -- "$here/bin/knock" -k "$work/bench.key" $SIP "open 22 30m"
run classic "$n" $SIP -- "$here/bin/knock" -k "$work/bench.key" --mapping classic $SIP "open 22 30m"
run "knockd-client(3 ports)" "$n" $SIP -- knock $SIP 7000 8000 9000
machine
