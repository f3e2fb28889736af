#!/usr/bin/env python3
"""Where a thread waited for a CPU: reads `perf sched timehist` output and prints each time the
thread named THREAD (default log-reader, knockd's reader) waited more than MS (default 0.5) ms
between its wake-up and running, with what ran on its CPU meanwhile and how long the other CPUs
were idle; then the totals. Usage (root, perf installed: apt-get install linux-perf):
  perf sched record -a -o /tmp/perf.data -- sleep 45 &
  sleep 1; bench/latency.sh 20 knock-kmsg
  perf sched timehist -i /tmp/perf.data > /tmp/timehist.txt   # after perf has ended
  bench/sched-delays.py /tmp/timehist.txt [MS [THREAD]]"""
import collections
import re
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__)
limit = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
thread = sys.argv[3] if len(sys.argv) > 3 else "log-reader"
rows = []
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) < 6 or not re.match(r"^\d+\.\d+$", p[0]):
        continue
    try:
        t, cpu = float(p[0]), int(p[1].strip("[]"))
        wait, delay, run = map(float, p[-3:])
    except ValueError:
        continue
    rows.append((t, cpu, " ".join(p[2:-3]), delay, run))
spans = collections.defaultdict(list)  # cpu -> (start, end, task) in s
for t, cpu, name, delay, run in rows:
    spans[cpu].append((t - run / 1000, t, re.sub(r"\[.*", "", name)))


def occupancy(cpu, a, b):
    c = collections.Counter()
    for s, e, n in spans[cpu]:
        o = min(e, b) - max(s, a)
        if o > 0:
            c[n] += o * 1000
    return c


count = total = idle_elsewhere = 0
for t, cpu, name, delay, run in rows:
    if not name.startswith(thread + "[") or delay <= limit:
        continue
    start = t - run / 1000
    a, b = start - delay / 1000, start
    here = occupancy(cpu, a, b)
    others = collections.Counter()
    for c in spans:
        if c != cpu:
            others.update(occupancy(c, a, b))
    idle = others.pop("<idle>", 0)
    count, total, idle_elsewhere = count + 1, total + delay, idle_elsewhere + idle
    print("%.4f cpu%d waited %.2f ms | on its CPU: %s | other CPUs idle %.2f ms, busy: %s" % (
        t, cpu, delay, ", ".join("%s %.1f" % kv for kv in here.most_common(2)), idle,
        ", ".join("%s %.1f" % kv for kv in others.most_common(3))))
waits = sorted(d for _, _, n, d, _ in rows if n.startswith(thread + "["))
print("%s: %d wake-ups, %d waited > %.1f ms (%.1f ms in all; other CPUs idle %.1f ms of it)"
      % (thread, len(waits), count, limit, total, idle_elsewhere))
