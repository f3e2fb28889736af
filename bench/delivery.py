#!/usr/bin/env python3
"""Delivery harness for bench/delivery.sh (client namespace): N runs of a client command; for each,
the spread from the first to the last knock packet as the server's kernel logged them (printk
clock on both ends), and the client process's wall time.

usage: delivery.py NAME N SERVER -- CLIENT ARGV...
"""
import os
import re
import statistics
import subprocess
import sys
import time

from kmsgtail import KmsgTail

name, n, server = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = sys.argv[sys.argv.index("--") + 1:]
tag = "KNPRF%x" % os.getpid()
knock_re = re.compile(r"DST=%s .*DPT=\d+" % re.escape(server))
tail = KmsgTail()  # every kernel record from now on: (usec, text)
records, lock = tail.records, tail.lock
spreads, walls, counts = [], [], []
for i in range(n):
    text = "%s: mark %d" % (tag, i)
    w = os.open("/dev/kmsg", os.O_WRONLY)  # fresh: writes are rate-limited per descriptor
    os.write(w, (text + "\n").encode())
    os.close(w)
    t0 = time.monotonic()
    subprocess.run(client, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    walls.append((time.monotonic() - t0) * 1000)
    time.sleep(0.2)
    with lock:
        marks = [r[0] for r in records if r[1] == text]
        got = [r[0] for r in records if marks and r[0] > marks[0] and knock_re.search(r[1])]
    counts.append(len(got))
    if len(got) >= 2:
        spreads.append((max(got) - min(got)) / 1000)


def med(xs):
    return "%.2f" % statistics.median(xs) if xs else "n/a"


print("RESULT %s: first->last knock packet median %s ms (min %s, max %s); client wall time "
      "median %s ms; packets logged per run: %s (n=%d)" % (
          name, med(spreads), "%.2f" % min(spreads) if spreads else "n/a",
          "%.2f" % max(spreads) if spreads else "n/a", med(walls),
          sorted(set(counts)), n))
