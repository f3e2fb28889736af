#!/bin/bash
# Captures the `nft -j list set|map inet knockd NAME` output NftLeftoversTest reads: knockd's own
# table as NftScripts.install writes its sets and maps, with elements of every shape knockd adds
# (plain IPv4, IPv6 and IPv6 /64 grants, random-port redirects (IPv4 and IPv6), forwards with and without
# masquerade) and some it never adds (no timeout, port 0). Run as root from this directory.
set -eu
N=knleft$$
trap 'ip netns del $N 2>/dev/null' EXIT
ip netns add $N
ip netns exec $N nft -f - <<'NFT'
add table inet knockd
add set inet knockd granted { type ipv4_addr . inet_proto . inet_service; flags timeout; }
add set inet knockd granted6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
add set inet knockd granted6net { type ipv6_addr . inet_proto . inet_service; flags interval, timeout; }
add map inet knockd redirects { type ipv4_addr . inet_proto . inet_service : inet_service; flags timeout; }
add set inet knockd redirected { type ipv4_addr . inet_proto . inet_service . inet_service; flags timeout; }
add map inet knockd redirects6 { type ipv6_addr . inet_proto . inet_service : inet_service; flags timeout; }
add set inet knockd redirected6 { type ipv6_addr . inet_proto . inet_service . inet_service; flags timeout; }
add map inet knockd forwards { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags timeout; }
add set inet knockd forwarded { type ipv4_addr . inet_proto . inet_service; flags timeout; }
add set inet knockd masqueraded { type ipv4_addr . inet_proto . inet_service; flags timeout; }
add element inet knockd granted { 10.99.0.2 . tcp . 22 timeout 30m }
add element inet knockd granted { 10.99.0.3 . udp . 53 timeout 1d2h }
add element inet knockd granted { 10.99.0.5 . tcp . 0 timeout 5m }
add element inet knockd granted { 10.99.0.6 . tcp . 22 }
add element inet knockd granted6 { fd10::2 . tcp . 22 timeout 10m }
add element inet knockd granted6net { fd10:204:15::/64 . tcp . 22 timeout 10m }
add element inet knockd redirects { 10.99.0.2 . tcp . 41369 timeout 30m : 22 }
add element inet knockd redirected { 10.99.0.2 . tcp . 41369 . 22 timeout 30m }
add element inet knockd redirects { 10.99.0.3 . udp . 45000 timeout 5m : 53 }
add element inet knockd redirected { 10.99.0.3 . udp . 45000 . 53 timeout 5m }
add element inet knockd redirects { 10.99.0.4 . tcp . 41000 : 22 }
add element inet knockd redirects6 { fd10::2 . tcp . 42000 timeout 15m : 22 }
add element inet knockd redirected6 { fd10::2 . tcp . 42000 . 22 timeout 15m }
add element inet knockd redirects6 { fd10::4 . tcp . 42001 : 22 }
add element inet knockd forwards { 10.99.0.2 . tcp . 8443 timeout 30m : 10.98.0.2 . 5432 }
add element inet knockd forwarded { 10.99.0.2 . tcp . 8443 timeout 30m }
add element inet knockd masqueraded { 10.99.0.2 . tcp . 8443 timeout 30m }
add element inet knockd forwards { 10.99.0.3 . tcp . 8444 timeout 20m : 10.98.0.3 . 5433 }
add element inet knockd forwarded { 10.99.0.3 . tcp . 8444 timeout 20m }
NFT
for s in granted granted6 granted6net masqueraded; do
  ip netns exec $N nft -j list set inet knockd $s > $s.json
done
for m in redirects redirects6 forwards; do
  ip netns exec $N nft -j list map inet knockd $m > $m.json
done
ip netns exec $N nft -j list table inet knockd > table.json
nft --version > nft-version.txt
