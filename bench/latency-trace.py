#!/usr/bin/env python3
"""Summarises knockd's latency trace (-Dknockd.traceLatency=true: one "trace-latency:" line on
standard error per grant, each step in microseconds after the printk time of the knock's last
LOG record): the median, min and max of each step, and of each step's own share (the time since
the step before it). Usage: bench/latency-trace.py FILE..."""
import re
import statistics
import sys

ORDER = ["read", "parsed", "replay", "decoded", "accepted", "sent", "acked", "grant", "stamped",
         "written"]
EXTRA = ["first-read", "burst", "stamp-truncated"]
rows = []
for path in sys.argv[1:]:
    for line in open(path):
        if "trace-latency:" in line:
            rows.append({k: float(v) for k, v in re.findall(r"(\S+)=(-?\d+)", line)})
if not rows:
    sys.exit("no trace-latency lines")


def show(name, xs):
    xs = sorted(xs)
    print("%-28s median %8.0f us  min %8.0f  max %8.0f  (n=%d)" % (
        name, statistics.median(xs), xs[0], xs[-1], len(xs)))


print("after the printk time of the last record:")
for k in ORDER:
    show(k, [r[k] for r in rows if k in r])
print("each step's own share:")
prev = None
for k in ORDER:
    if prev is not None:
        show("%s - %s" % (k, prev), [r[k] - r[prev] for r in rows if k in r and prev in r])
    prev = k
print("other:")
for k in EXTRA:
    show(k, [r[k] for r in rows if k in r])
