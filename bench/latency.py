#!/usr/bin/env python3
"""Door latency harness for bench/latency.sh. Runs in the client namespace.

usage: latency.py NAME N SERVER PORT RESET GRANT -- CLIENT ARGV...

For each of N trials: RESET (a shell command: removes the previous grant) ; check that PORT is
closed ; write a calibration mark to /dev/kmsg ; start CLIENT ; connect to SERVER:PORT every 2 ms
(each attempt a new SYN, 2 ms timeout) until one succeeds. Prints one line per trial and a summary.

(b) whole path = from starting the client to the first accepted connection (time.monotonic).
(a) daemon side = from the kernel LOG record of the trial's last knock packet (printk clock) to
    the grant, where GRANT says how the grant is seen:
      audit:FILE   knock's audit log, event=access-granted @timestamp (wall clock, ms): mapped to
                   the printk clock by the trial's calibration mark (wall clock read just before
                   and after writing the mark; the record carries the printk time of the write).
                   The audit truncates its time to the millisecond: the grant is taken at the
                   middle of that millisecond (+0.5 ms; error within +-0.5 ms, none on average;
                   before 2026-12-01 round 6 it was taken at its start, which read (a) 0.5 ms
                   short on average, up to 1 ms)
      kmsg:TEXT    a /dev/kmsg record containing TEXT, written by the door's command right after
                   its firewall change (printk clock on both ends: no mapping)
      none         (a) not measured
All kernel records are read from /dev/kmsg by a thread, from the harness's start on, so the small
ring buffer cannot lose them.
"""
import ipaddress
import os
import re
import socket
import statistics
import subprocess
import sys
import time

from kmsgtail import KmsgTail

name, n, server, port, reset, grant = sys.argv[1:7]
n, port = int(n), int(port)
client = sys.argv[sys.argv.index("--") + 1:]
tag = "KNPRF%x" % os.getpid()

tail = KmsgTail()  # every kernel record from now on: (usec, text)
records, lock = tail.records, tail.lock


def mark(i):
    # a fresh descriptor each time: the kernel rate-limits writes per open /dev/kmsg (10 per 5 s)
    text = "%s: mark %d" % (tag, i)
    fd = os.open("/dev/kmsg", os.O_WRONLY)
    try:
        w0 = time.time_ns()
        os.write(fd, (text + "\n").encode())  # without it the record stays open (a continuation)
        w1 = time.time_ns()
    finally:
        os.close(fd)
    return text, (w0 + w1) // 2


def find(pred, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with lock:
            hits = [r for r in records if pred(r)]
        if hits:
            return hits
        time.sleep(0.005)
    return []


def connects(timeout):
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET)
    s.settimeout(timeout)
    try:
        s.connect((server, port))
        return True
    except ConnectionResetError:
        return True  # the handshake was done; the sink's reset came before connect() returned
    except OSError:
        return False
    finally:
        s.close()


def audit_times(path):
    out = []
    if os.path.exists(path):
        for line in open(path):
            if "event=access-granted" in line:
                m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z", line)
                if m:
                    import calendar
                    y, mo, d, h, mi, s, ms = map(int, m.groups())
                    # the middle of the millisecond the audit truncated its time to
                    out.append((calendar.timegm((y, mo, d, h, mi, s)) * 1000 + ms) * 1000 + 500)
    return out  # usec, wall clock


# the kernel's LOG lines write an IPv6 address in full: eight groups of four hex digits
dst = ipaddress.ip_address(server).exploded
knock_re = re.compile(r"SRC=\S+ DST=%s .*DPT=\d+" % re.escape(dst))


def trial_records(cal):
    """The kernel records logged after the trial's mark (printk usec cal)."""
    with lock:
        return [r for r in records if cal is not None and r[0] > cal]


def knock_records(trial):
    """Of a trial's records, the knock packets (not the harness's own marks)."""
    return [r for r in trial if knock_re.search(r[1]) and tag not in r[1]]


whole, daemon, fails, early = [], [], 0, 0
for i in range(n):
    # a late grant of the previous trial (the client's own retry, knocked again when the port
    # did not answer fast enough) may come after the reset: reset again, a bounded number of times
    for attempt in range(10):
        subprocess.run(reset, shell=True, check=False)
        time.sleep(0.05)
        if not connects(0.05):
            break
        time.sleep(0.3)
    else:
        print("trial %d: port %d still open after 10 resets" % (i, port), file=sys.stderr)
        sys.exit(1)
    text, wall = mark(i)
    m_mark = time.monotonic()  # the mark on the harness's clock (same rate as printk's)
    marks = find(lambda r, text=text: r[1] == text)
    cal = marks[0][0] if marks else None  # printk usec of the mark
    granted_before = len(audit_times(grant[6:])) if grant.startswith("audit:") else 0
    t0 = time.monotonic()
    proc = subprocess.Popen(client, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    opened = None
    while time.monotonic() - t0 < 5:
        if connects(0.002):
            opened = time.monotonic()
            break
    err = proc.communicate(timeout=10)[1].decode(errors="replace").strip()
    if grant.startswith("audit:"):
        # the trial's own grant must be in before the next reset: a slow source (the journal)
        # could otherwise grant it during the next trial
        end = time.monotonic() + 3
        while len(audit_times(grant[6:])) <= granted_before and time.monotonic() < end:
            time.sleep(0.01)
    if opened is None:
        fails += 1
        time.sleep(0.1)
        ports = [m.group(1) for m in (re.search(r"DPT=(\d+)", r[1])
                 for r in knock_records(trial_records(cal))) if m]
        print("trial %d: did not open within 5 s (client exit %s%s; %d knock records: %s)"
              % (i, proc.returncode, ", stderr: " + err.replace("\n", " | ") if err else "",
                 len(ports), " ".join(ports)))
        continue
    b = (opened - t0) * 1000
    # (a): last knock record of this trial, then the grant
    a = None
    if grant.startswith("kmsg:"):  # wait (bounded) for the grant's record
        find(lambda r: cal is not None and r[0] > cal and grant[5:] in r[1], 1.0)
    time.sleep(0.1)
    trial = trial_records(cal)
    knocks = [r[0] for r in knock_records(trial)]
    if grant.startswith("audit:") and knocks and cal is not None:
        times = audit_times(grant[6:])[granted_before:]
        if times:
            offset = wall // 1000 - cal  # wall usec - printk usec, at the mark
            a = (times[0] - offset - max(knocks)) / 1000
    elif grant.startswith("kmsg:") and knocks:
        g = [r[0] for r in trial if grant[5:] in r[1]]
        if g:
            a = (g[0] - max(knocks)) / 1000
    if a is not None:
        daemon.append(a)
    # A connection accepted before the trial's first knock packet was logged was not let in by
    # this knock (the conntrack hole of docs/BENCHMARKS.md §1, since fixed): it does not count in
    # (b). One accepted before the last packet was: a port kept from an earlier knock can lend a
    # knock its last byte, which then opens one SYN early (docs/PROTOCOL.md; (a) is then a little
    # negative). (a) is measured from the audit or kmsg grant record and stays.
    if knocks and cal is not None and (opened - m_mark) * 1e6 < min(knocks) - cal:
        early += 1
        print("trial %d: the port accepted %.1f ms after the client started, before the knock's "
              "first packet: not counted in (b)" % (i, b))
    else:
        whole.append(b)
    print("trial %d: whole path %.1f ms, daemon side %s, %d knock records%s%s" % (
        i, b, "-" if a is None else "%.2f ms" % a, len(knocks),
        "" if cal is not None else ", mark not seen", ", kmsg overruns so far: %d" % tail.overruns))


def stats(xs):
    if not xs:
        return "n/a"
    xs = sorted(xs)
    p95 = xs[max(0, int(round(0.95 * len(xs))) - 1)]
    return "median %.1f ms, p95 %.1f ms, min %.1f, max %.1f (n=%d)" % (
        statistics.median(xs), p95, xs[0], xs[-1], len(xs))


print("RESULT %s: (a) last knock -> grant: %s" % (name, stats(daemon)))
print("RESULT %s: (b) client start -> port open: %s; failures %d; opened before the knock %d"
      % (name, stats(whole), fails, early))
