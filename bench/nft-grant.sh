#!/usr/bin/env bash
# The firewall step of a grant, before and after: one `nft -f -` process per grant against the
# persistent `nft -i` session, 200 grants each in a throwaway namespace; with GAP_MS each grant
# follows that long a pause, as a real knock does (nft and knockd's threads asleep).
# Usage (root): bench/nft-grant.sh [N [GAP_MS]]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
ns=knprf-nft$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
machine
java -XX:+UseSerialGC -cp "$KNOCKD_CP" org.knock.daemon.firewall.NftGrantBench "$ns" "${1:-200}" "${2:-0}"
machine
