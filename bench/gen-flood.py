#!/usr/bin/env python3
"""Writes a flood as kern.log lines for bench/flood.sh: LINES SYNs into the knock range, each
from a different spoofed source, and one legitimate knock (the 20 ports of KNOCK_FILE's first
line, from 198.51.100.7) spread over 2,000 lines in the middle.

usage: gen-flood.py OUT LINES PREFIX KNOCK_FILE [START-END]
"""
import random
import sys

out, total, prefix, knock_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lo, hi = map(int, (sys.argv[5] if len(sys.argv) > 5 else "20000-25119").split("-"))
knock = list(map(int, open(knock_file).readline().split()))
rnd = random.Random(7)
pfx = prefix if prefix.endswith(" ") else prefix + " "
mid = total // 2
at = {mid + 100 * k: p for k, p in enumerate(knock)}
# distinct sources: an odd stride modulo 2^32 visits every address once
step, src = 2654435761, rnd.getrandbits(32)
with open(out, "w") as f:
    for i in range(total):
        if i in at:
            s, dport, sport = "198.51.100.7", at[i], 40001
        else:
            src = (src + step) & 0xFFFFFFFF
            s = "%d.%d.%d.%d" % (src >> 24, src >> 16 & 255, src >> 8 & 255, src & 255)
            dport, sport = rnd.randint(lo, hi), rnd.randint(1024, 65535)
        f.write("Nov 22 09:00:%02d vm kernel: [%12.6f] %sIN=eth0 OUT= "
                "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=%s DST=192.0.2.1 LEN=40 "
                "TOS=0x00 PREC=0x00 TTL=64 ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=512 RES=0x00 "
                "SYN URGP=0 \n" % (i // 20000 % 60, 5000 + i / 20000, pfx, s,
                                   rnd.randint(0, 65535), sport, dport))
