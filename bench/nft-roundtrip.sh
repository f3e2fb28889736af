#!/usr/bin/env bash
# Where one grant through `nft -i` goes: the same session driven by bench/nft-roundtrip.py
# (Python, no JVM), interleaving variants — the end marker alone, knockd's add-delete-add, a
# single add — each after GAP_MS of idleness, against knockd's table in a throwaway namespace.
# Usage (root): bench/nft-roundtrip.sh [N [GAP_MS]]
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/common.sh"
need_build
ns=knprf-nrt$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
java -XX:+UseSerialGC -cp "$KNOCKD_CP" org.knock.daemon.firewall.NftGrantBench --install "$ns"
machine
python3 "$here/bench/nft-roundtrip.py" "$ns" "${1:-100}" "${2:-50}"
machine
