#!/usr/bin/env python3
"""Times one script through a long-lived `nft -i` (write -> the end marker's output), per variant,
the variants interleaved, each after GAP_MS idle. Usage: nft-roundtrip.py NAMESPACE N GAP_MS"""
import os, select, subprocess, sys, time

ns, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
SET = "inet knockd granted"
MARK = "describe tcp dport\n"  # knockd's end marker (NftSession.SYNC)


def el(i):
    return "10.207.%d.%d . tcp . 22" % (i // 250 % 250, 1 + i % 250)


VARIANTS = {
    "end marker alone": lambda i: MARK,
    "add-delete-add (knockd)": lambda i: "add element %s { %s }; delete element %s { %s }; "
    "add element %s { %s timeout 30m }\n" % (SET, el(i), SET, el(i), SET, el(i)) + MARK,
    "single add": lambda i: "add element %s { %s timeout 30m }\n" % (SET, el(i)) + MARK,
    "200-byte comment, marker": lambda i: "#" + "x" * 199 + "\n" + MARK,
}


def wait_marker(p):
    buf, fd = b"", p.stdout.fileno()
    while b"payload expression" not in buf:
        if not select.select([fd], [], [], 5)[0]:
            sys.exit("nft -i timed out")
        chunk = os.read(fd, 65536)
        if not chunk:
            sys.exit("nft -i exited: " + p.stderr.read().decode())
        buf += chunk


procs = {v: subprocess.Popen(["ip", "netns", "exec", ns, "nft", "-i"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
         for v in VARIANTS}
times = {v: [] for v in VARIANTS}
for i in range(-3, n):  # three rounds of warm-up
    for k, v in enumerate(VARIANTS):
        time.sleep(gap)
        script = VARIANTS[v](10000 * k + i + 3).encode()
        t0 = time.perf_counter()
        procs[v].stdin.write(script)
        wait_marker(procs[v])
        if i >= 0:
            times[v].append((time.perf_counter() - t0) * 1000)
for v in VARIANTS:
    procs[v].stdin.close()
    procs[v].wait()
    t = sorted(times[v])
    print("RESULT %-24s after %4.0f ms idle: median %.2f ms, p95 %.2f ms (n=%d)"
          % (v, gap * 1000, t[len(t) // 2], t[int(len(t) * 0.95)], len(t)))
