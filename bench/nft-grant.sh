#!/usr/bin/env bash
# The firewall step of a grant, before and after: one `nft -f -` process per grant against the
# persistent `nft -i` session, 200 grants each in a throwaway namespace; with GAP_MS each grant
# follows that long a pause, as a real knock does (nft and knockd's threads asleep).
# `netlink`: knockd's path on JDK 17, grants straight through netlink from the JVM (the JVM run
# inside the namespace), the table through nft -i.
# `roundtrip`: where one grant through `nft -i` goes — the same session driven by
# bench/nft-roundtrip.py (Python, no JVM), interleaving variants (the end marker alone, knockd's
# add-delete-add, a single add, a 200-byte comment), each after GAP_MS (default 50) idle.
# Usage (root): bench/nft-grant.sh [N [GAP_MS]]  |  bench/nft-grant.sh roundtrip [N [GAP_MS]]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
ns=knprf-nft$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
machine
if [ "${1:-}" = roundtrip ]; then
  java -XX:+UseSerialGC -cp "$KNOCKD_CP" org.knock.daemon.firewall.NftGrantBench --install "$ns"
  python3 "$here/bench/nft-roundtrip.py" "$ns" "${2:-100}" "${3:-50}"
else
  java -XX:+UseSerialGC -cp "$KNOCKD_CP" org.knock.daemon.firewall.NftGrantBench "$ns" "${1:-200}" "${2:-0}"
  # knockd's own path (JDK 17): the JVM inside the namespace, grants straight through netlink
  ip netns exec "$ns" java -XX:+UseSerialGC --add-modules jdk.incubator.foreign \
    --enable-native-access=ALL-UNNAMED -cp "$KNOCKD_CP" org.knock.daemon.firewall.NftGrantBench \
    --netlink "${1:-200}" "${2:-0}" 2>&1 | grep -v '^WARNING: Using incubator modules'
fi
machine
