"""Helpers of bench/junk.sh (root, inside its namespaces). Subcommands:

  users DIR N              N key files DIR/uNNNN.key (32 random bytes, base64, mode 0600, the
                           format `knock keygen` writes) and their [user] sections on stdout
  send DST PPS SECS N SEED SYNs at PPS for SECS seconds (bounded count), each to a random port
                           of the indexed knock range 20000-25119 from a random source port:
                           from N fixed spoofed sources (198.18.0.1 ..., round robin), so that
                           every source soon holds candidates for all 20 positions; or, N = 0,
                           each from a new random address (like hping3 --rand-source); prints
                           what it sent
  knock HOST PORT LOG -- CLIENT...
                           runs CLIENT (a real `bin/knock ... --wait`) and at the same time
                           opens a TCP connection to HOST:PORT every 5 ms (each given 1 s,
                           several in flight) until one is accepted (at most 6 s); prints client start ->
                           port accepts, client exit, its status, and the audit log's
                           knock-accepted for this client relative to its start
  closed HOST PORT         exit 0 if HOST:PORT accepts nothing within 0.3 s
"""
import base64
import calendar
import os
import random
import re
import select
import socket
import struct
import subprocess
import sys
import time


def users(directory, n):
    for i in range(1, n + 1):
        name = "u%04d" % i
        path = os.path.join(directory, name + ".key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, base64.b64encode(os.urandom(32)) + b"\n")
        os.close(fd)
        print("[user %s]\nKey   = %s\nAllow = open 22/tcp\n" % (name, path))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, rnd):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, rnd.getrandbits(32), 0, 5 << 4, 0x02,
                      64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # IP_HDRINCL: the kernel fills in the total length and the header checksum
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, rnd.getrandbits(16), 0, 64,
                     socket.IPPROTO_TCP, 0, src, dst)
    return ip + tcp


def send(dst, pps, secs, n, seed):
    rnd = random.Random(seed)
    d = socket.inet_aton(dst)
    base = struct.unpack("!I", socket.inet_aton("198.18.0.1"))[0]
    sources = [struct.pack("!I", base + i) for i in range(n)]
    # n = 0: a random source in 11.0.0.0-126.255.255.255 (not 10/8, not 127/8) for every SYN
    lo, hi = 11 << 24, (127 << 24) - 1
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    total = pps * secs
    tick = 0.01  # one batch every 10 ms
    per_tick = max(1, pps // 100)
    sent = 0
    start = time.monotonic()
    while sent < total and time.monotonic() - start < secs + 5:
        for _ in range(min(per_tick, total - sent)):
            src = sources[sent % n] if n else struct.pack("!I", rnd.randint(lo, hi))
            pkt = syn(src, d, rnd.randint(1024, 65535),
                      20000 + rnd.randrange(20 * 256), rnd)
            s.sendto(pkt, (dst, 0))
            sent += 1
        due = start + (sent // per_tick) * tick
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    took = time.monotonic() - start
    print("sent %d SYNs from %s in %.2f s = %d SYN/s" % (
        sent, "%d fixed sources" % n if n else "random sources", took, sent / took))


def audit_ms(line):
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z", line)
    if not m:
        return None
    y, mo, d, h, mi, s, ms = map(int, m.groups())
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000 + ms


def accepted_after(log, t0_ms):
    """Wall-clock ms of the first knock-accepted line at or after t0_ms (None if none)."""
    try:
        lines = open(log).read().splitlines()
    except OSError:
        return None
    for line in lines:
        if "event=knock-accepted" in line:
            t = audit_ms(line)
            if t is not None and t >= t0_ms - 5:
                return t
    return None


def knock(host, port, log, client):
    t0_wall = time.time() * 1000
    t0 = time.monotonic()
    proc = subprocess.Popen(client, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    flight = {}  # socket -> started
    opened = None
    next_try = t0
    while opened is None and time.monotonic() - t0 < 6:
        now = time.monotonic()
        if now >= next_try and len(flight) < 400:
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex((host, port))
            flight[c] = now
            next_try = now + 0.005
        _, w, _ = select.select([], list(flight), [], 0.005)
        for c in w:
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                opened = time.monotonic()
            c.close()
            del flight[c]
        for c, t in list(flight.items()):
            if time.monotonic() - t > 1.0:
                c.close()
                del flight[c]
    for c in flight:
        c.close()
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    exited = time.monotonic()
    time.sleep(0.2)  # the audit line is written before the grant; let it reach the file
    acc = accepted_after(log, t0_wall)
    verdict = "opened" if opened is not None else "NOT opened"
    print("%s: client start -> port accepts %s, client exit %d ms (status %d), "
          "knock-accepted %s" % (
              verdict,
              "%d ms" % ((opened - t0) * 1000) if opened is not None else "never (6 s)",
              (exited - t0) * 1000, proc.returncode,
              "+%d ms" % (acc - t0_wall) if acc is not None else "none"))
    if err.strip():
        print("  client stderr: " + err.decode("utf-8", "replace").strip().replace("\n", " | "))


def closed(host, port):
    c = socket.socket()
    c.settimeout(0.3)
    try:
        c.connect((host, port))
        return 1
    except OSError:
        return 0
    finally:
        c.close()


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "users" and len(argv) == 4:
        users(argv[2], int(argv[3]))
    elif cmd == "send" and len(argv) == 7:
        send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]))
    elif cmd == "knock" and len(argv) > 6 and argv[5] == "--":
        knock(argv[2], int(argv[3]), argv[4], argv[6:])
    elif cmd == "closed" and len(argv) == 4:
        return closed(argv[2], int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
