#!/usr/bin/env python3
"""Writes a realistic kern.log (rsyslog's traditional format) for bench/ingest.sh.

usage: gen-kernlog.py OUT LINES PREFIX KNOCKS_FILE [SEED [SCANNERS]]

Mix: 90 % noise (two thirds ordinary kernel messages, one third LOG lines of another firewall
rule, "[UFW BLOCK] "), ~9.9 % port-scan lines with PREFIX (a few hundred scanners sweeping the
knock range and the ports around it), and the knocks of KNOCKS_FILE (one knock per line: 20 ports
separated by spaces), each from its own source, its 20 packets spread over 2 s of log among the
rest. SCANNERS (default 300) sets how many sources share the scan lines: 300 sweep the knock range
(~330 ports each, every position covered: knock hunting, which spends tag checks); 10,000 send ~10
ports each, as the Internet's background scanning does, and no source covers the 20 positions.
Seeded: the same arguments give the same file.
"""
import random
import sys

out, total, prefix, knocks_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
knocks = [list(map(int, l.split())) for l in open(knocks_file) if l.strip()]

NOISE = [
    "EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.",
    "usb 1-1: new high-speed USB device number %d using xhci_hcd",
    "audit: type=1400 audit(%d.123:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"snap\" name=\"/proc/%d/mounts\"",
    "TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.",
    "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
    "perf: interrupt took too long (%d > 2500), lowering kernel.perf_event_max_sample_rate to 79750",
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
    "systemd-journald[%d]: Data hash table of /var/log/journal/system.journal has a fill level at 75.0",
    "nf_conntrack: nf_conntrack: table full, dropping packet",
    "device veth%d entered promiscuous mode",
]
MAC = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00"


def ip(n):
    return "%d.%d.%d.%d" % (n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255)


def packet(pfx, src, dport, sport, syn=True):
    return ("%sIN=eth0 OUT= %s SRC=%s DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=%d ID=%d DF "
            "PROTO=TCP SPT=%d DPT=%d WINDOW=64240 RES=0x00 %sURGP=0 "
            % (pfx, MAC, src, rnd.randint(40, 64), rnd.randint(0, 65535), sport, dport,
               "SYN " if syn else "ACK "))


scanners = [rnd.randint(0x01000000, 0xDF000000)
            for _ in range(int(sys.argv[6]) if len(sys.argv) > 6 else 300)]
n_knock_lines = 20 * len(knocks)
n_scan = int(total * 0.099)
n_noise = total - n_scan - n_knock_lines
kind = ["n"] * n_noise + ["s"] * n_scan
rnd.shuffle(kind)
# each knock's 20 packets at random spots, within a 2 s window of log time
events = {}
for k, ports in enumerate(knocks):
    start = rnd.randint(0, total - 1000)
    for p in ports:
        at = start + rnd.randint(0, 999)
        while at in events:
            at = (at + 1) % total
        events[at] = (k, p)
pfx = prefix if prefix.endswith(" ") else prefix + " "
t = 1769000.0
clock = 0
with open(out, "w") as f:
    ki = 0
    for i in range(total):
        t += 2.0 / 1000
        hh, mm, ss = 8 + int(t // 3600) % 12, int(t // 60) % 60, int(t) % 60
        head = "Nov 22 %02d:%02d:%02d vm kernel: [%12.6f] " % (hh, mm, ss, t)
        if i in events:
            k, p = events[i]
            line = packet(pfx, ip(0xC6336400 + k), p, 40000 + k)  # 198.51.100.k
        else:
            c = kind[ki]
            ki += 1
            if c == "s":
                dport = rnd.choice((rnd.randint(19000, 26000), rnd.randint(20000, 25119)))
                line = packet(pfx, ip(rnd.choice(scanners)), dport, rnd.randint(1024, 65535),
                              syn=rnd.random() < 0.95)
            elif rnd.random() < 1 / 3:
                line = packet("[UFW BLOCK] ", ip(rnd.randint(0x01000000, 0xDF000000)),
                              rnd.choice((23, 80, 443, 445, 3389, 8080)), rnd.randint(1024, 65535))
            else:
                msg = rnd.choice(NOISE)
                line = msg % tuple(rnd.randint(1, 99999) for _ in range(msg.count("%d")))
        f.write(head + line + "\n")
