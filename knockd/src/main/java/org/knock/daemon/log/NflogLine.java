package org.knock.daemon.log;

/**
 * One NFLOG packet as the line the kernel's LOG target would have written for it
 * ({@code PREFIXIN=eth0 OUT= SRC=.. DST=.. LEN=.. PROTO=TCP SPT=.. DPT=.. SYN URGP=0 }), so that
 * {@link NetfilterLogParser} reads NFLOG packets exactly as it reads kmsg, journal and ulogd
 * lines. Written from the copied packet bytes: the IPv4 or IPv6 header (IPv6 extension headers
 * are skipped as the kernel's LOG does), then the TCP or UDP header; a packet cut short is
 * written with {@code INCOMPLETE [n bytes]} where the kernel writes it, which the parser counts
 * as unparsable. Pure; the interface name comes from a function of the index.
 */
final class NflogLine {
  private static final int TCP = 6;
  private static final int UDP = 17;
  private static final int ICMP = 1;
  private static final int ICMPV6 = 58;
  private static final String[] TCP_FLAGS = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE",
      "CWR"};

  /** Names an interface by index; null or "" when unknown. */
  @FunctionalInterface
  interface Interfaces {
    String name(int index);
  }

  private NflogLine() {}

  /**
   * The line for {@code p}, or null with {@code why[0]} set when it has no payload or the
   * payload is no IP packet.
   */
  static String of(NflogMessages.Packet p, Interfaces interfaces, String[] why) {
    if (p.payloadFrom < 0) {
      why[0] = "NFLOG packet without payload (copy mode not packet?)";
      return null;
    }
    byte[] a = p.bytes;
    int from = p.payloadFrom;
    int n = p.payloadTo - from;
    StringBuilder b = new StringBuilder(200);
    if (p.prefixFrom >= 0) {
      for (int i = p.prefixFrom; i < p.prefixTo; i++) {
        int c = a[i] & 0xff;
        b.append(c < 0x20 || c > 0x7e ? '?' : (char) c); // one line of ASCII, as configured
      }
    }
    String in = p.inIndex >= 0 ? interfaces.name(p.inIndex) : null;
    b.append("IN=").append(in == null ? "" : in).append(" OUT= ");
    int version = n > 0 ? (a[from] & 0xff) >>> 4 : 0;
    if (version == 4) {
      return ipv4(b, a, from, n, why);
    }
    if (version == 6) {
      return ipv6(b, a, from, n, why);
    }
    why[0] = "NFLOG payload is no IPv4 or IPv6 packet (" + n + " bytes, version " + version + ")";
    return null;
  }

  private static String ipv4(StringBuilder b, byte[] a, int from, int n, String[] why) {
    if (n < 20) {
      return incomplete(b, n);
    }
    int ihl = (a[from] & 0x0f) * 4;
    if (ihl < 20) {
      why[0] = "IPv4 header length " + ihl;
      return null;
    }
    b.append("SRC=");
    dotted(b, a, from + 12);
    b.append(" DST=");
    dotted(b, a, from + 16);
    b.append(" LEN=").append(u16(a, from + 2)).append(" TTL=").append(a[from + 8] & 0xff)
        .append(" ID=").append(u16(a, from + 4)).append(' ');
    int frag = u16(a, from + 6);
    if ((frag & 0x4000) != 0) {
      b.append("DF ");
    }
    if ((frag & 0x2000) != 0) {
      b.append("MF ");
    }
    if ((frag & 0x1fff) != 0) {
      b.append("FRAG:").append(frag & 0x1fff).append(' ');
    }
    int proto = a[from + 9] & 0xff;
    if (ihl > n) {
      return incomplete(b, n);
    }
    return transport(b, a, from + ihl, n - ihl, proto, (frag & 0x1fff) != 0);
  }

  private static String ipv6(StringBuilder b, byte[] a, int from, int n, String[] why) {
    if (n < 40) {
      return incomplete(b, n);
    }
    b.append("SRC=");
    hex6(b, a, from + 8);
    b.append(" DST=");
    hex6(b, a, from + 24);
    b.append(" LEN=").append(u16(a, from + 4) + 40).append(" HOPLIMIT=")
        .append(a[from + 7] & 0xff).append(' ');
    int next = a[from + 6] & 0xff;
    int at = 40;
    boolean fragment = false;
    // extension headers, all of them as the kernel's LOG walks them (each is 8 bytes or more)
    while (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
      if (n - at < 8) {
        return incomplete(b, n - at);
      }
      int len;
      if (next == 44) {
        len = 8;
        fragment = (u16(a, from + at + 2) & 0xfff8) != 0;
        b.append("FRAG:").append(u16(a, from + at + 2) >>> 3).append(' ');
      } else if (next == 51) {
        len = ((a[from + at + 1] & 0xff) + 2) * 4;
      } else {
        len = ((a[from + at + 1] & 0xff) + 1) * 8;
      }
      next = a[from + at] & 0xff;
      at += len;
      if (at > n) {
        return incomplete(b, n);
      }
      if (fragment) {
        break;
      }
    }
    return transport(b, a, from + at, n - at, next, fragment);
  }

  private static String transport(StringBuilder b, byte[] a, int at, int n, int proto,
      boolean laterFragment) {
    switch (proto) {
      case TCP -> {
        b.append("PROTO=TCP ");
        if (laterFragment) {
          return b.toString();
        }
        if (n < 20) {
          return incomplete(b, n);
        }
        b.append("SPT=").append(u16(a, at)).append(" DPT=").append(u16(a, at + 2))
            .append(" WINDOW=").append(u16(a, at + 14)).append(" RES=0x00 ");
        int flags = a[at + 13] & 0xff;
        for (int f = 7; f >= 0; f--) {
          if ((flags & (1 << f)) != 0) {
            b.append(TCP_FLAGS[f]).append(' ');
          }
        }
        return b.append("URGP=").append(u16(a, at + 18)).append(' ').toString();
      }
      case UDP -> {
        b.append("PROTO=UDP ");
        if (laterFragment) {
          return b.toString();
        }
        if (n < 8) {
          return incomplete(b, n);
        }
        return b.append("SPT=").append(u16(a, at)).append(" DPT=").append(u16(a, at + 2))
            .append(" LEN=").append(u16(a, at + 4)).append(' ').toString();
      }
      case ICMP, ICMPV6 -> {
        b.append(proto == ICMP ? "PROTO=ICMP " : "PROTO=ICMPv6 ");
        if (!laterFragment && n >= 2) {
          b.append("TYPE=").append(a[at] & 0xff).append(" CODE=").append(a[at + 1] & 0xff)
              .append(' ');
        }
        return b.toString();
      }
      default -> {
        return b.append("PROTO=").append(proto).append(' ').toString();
      }
    }
  }

  private static String incomplete(StringBuilder b, int n) {
    return b.append("INCOMPLETE [").append(Math.max(0, n)).append(" bytes] ").toString();
  }

  private static void dotted(StringBuilder b, byte[] a, int at) {
    b.append(a[at] & 0xff).append('.').append(a[at + 1] & 0xff).append('.')
        .append(a[at + 2] & 0xff).append('.').append(a[at + 3] & 0xff);
  }

  /** Eight groups of hex, no zero compression: a literal any IPv6 parser takes. */
  private static void hex6(StringBuilder b, byte[] a, int at) {
    for (int g = 0; g < 8; g++) {
      if (g > 0) {
        b.append(':');
      }
      b.append(Integer.toHexString(u16(a, at + 2 * g)));
    }
  }

  private static int u16(byte[] a, int at) {
    return (a[at] & 0xff) << 8 | (a[at + 1] & 0xff);
  }
}
