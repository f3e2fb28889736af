#!/usr/bin/env python3
"""Writes a flood as kern.log lines for bench/flood.sh and bench/flood6.sh: LINES SYNs into the
knock range, each from a different spoofed source, and one legitimate knock (the 20 ports of
KNOCK_FILE's first line, from 198.51.100.7, or 2001:db8:7::7 with FAMILY 6) spread over 2,000
lines in the middle. FAMILY 6: the sources are distinct /128s across many /64s — a quarter of
the lines from one /64 (random interface ids: the per-/64 cap), the rest each from one of
LINES/4 random /64s (~3 sources each) — and the lines are the kernel's IPv6 LOG format.

usage: gen-flood.py OUT LINES PREFIX KNOCK_FILE [START-END] [FAMILY]
"""
import random
import sys

out, total, prefix, knock_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lo, hi = map(int, (sys.argv[5] if len(sys.argv) > 5 else "20000-25119").split("-"))
family = int(sys.argv[6]) if len(sys.argv) > 6 else 4
knock = list(map(int, open(knock_file).readline().split()))
rnd = random.Random(7)
pfx = prefix if prefix.endswith(" ") else prefix + " "
mid = total // 2
at = {mid + 100 * k: p for k, p in enumerate(knock)}
# distinct sources: an odd stride modulo 2^32 (2^64 for interface ids) visits every value once
step, src = 2654435761, rnd.getrandbits(32)
iid_step, iid = 0x9E3779B97F4A7C15, rnd.getrandbits(64)
hot = 0x20010db8ffff0000
nets = [0x20010db800000000 | rnd.getrandbits(32) for _ in range(max(1, total // 4))]


def v6(hi64, lo64):
    w = [(hi64 >> s) & 0xFFFF for s in (48, 32, 16, 0)] + [(lo64 >> s) & 0xFFFF for s in (48, 32, 16, 0)]
    return ":".join("%04x" % g for g in w)


if family == 6:
    head, tail, dst, me = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:86:dd", \
        "LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=%d", v6(0x20010db800010000, 1), v6(0x20010db800070000, 7)
else:
    head, tail, dst, me = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00", \
        "LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=%d", "192.0.2.1", "198.51.100.7"
with open(out, "w") as f:
    for i in range(total):
        if i in at:
            s, dport, sport = me, at[i], 40001
        else:
            if family == 6:
                iid = (iid + iid_step) & 0xFFFFFFFFFFFFFFFF
                s = v6(hot if i % 4 == 0 else rnd.choice(nets), iid)
            else:
                src = (src + step) & 0xFFFFFFFF
                s = "%d.%d.%d.%d" % (src >> 24, src >> 16 & 255, src >> 8 & 255, src & 255)
            dport, sport = rnd.randint(lo, hi), rnd.randint(1024, 65535)
        f.write("Nov 22 09:00:%02d vm kernel: [%12.6f] %sIN=eth0 OUT= %s SRC=%s DST=%s %s "
                "PROTO=TCP SPT=%d DPT=%d WINDOW=512 RES=0x00 SYN URGP=0 \n"
                % (i // 20000 % 60, 5000 + i / 20000, pfx, head, s, dst,
                   tail % rnd.randint(0, 65535), sport, dport))
