package org.knock.daemon.log;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * Recognises netfilter LOG lines (iptables/nftables {@code LOG}, ulogd's LOGEMU, and the old
 * ipchains {@code Packet log:} lines) in any of the usual log formats (see {@link LogLineHeader})
 * and hands each packet to a {@link PacketHandler}. It never does I/O, never reads the clock, never
 * resolves a name, and never throws for bad input.
 *
 * <p>Each line is counted once as {@link Result#PACKET}, {@link Result#SKIPPED} (not a packet line
 * for us: ordinary kernel messages, or packet lines with another prefix), or {@link
 * Result#UNPARSABLE} (a line that looks like ours — our prefix, or {@code SRC=}/{@code DPT=} —
 * but is truncated or malformed, or holds a value no packet can have, such as port 0 or an
 * address that is no IP literal, or one we must not take for what it says, an IPv4-mapped IPv6
 * address; {@link #lastProblem()} says why). Lines that are not packet lines
 * are skipped with byte tests only: no regular expression and no allocation.
 *
 * <p>The prefix of a netfilter line is the text between the kernel message's start and {@code IN=},
 * trimmed. For ipchains lines it is the chain and target, e.g. {@code "input DENY"}.
 *
 * <p>Lines are read as their UTF-8 bytes, in place ({@link #parse(byte[], int, int,
 * PacketHandler)}, what the sources that split bytes into lines hand on); a line given as text is
 * encoded first. Not thread-safe.
 */
public final class NetfilterLogParser {
  /** What {@link #parse} made of a line. */
  public enum Result {
    PACKET,
    SKIPPED,
    UNPARSABLE
  }

  private static final byte[] IPCHAINS = LogLineHeader.ascii("Packet log: ");
  private static final byte[] OUT = LogLineHeader.ascii(" OUT=");
  private static final byte[] SRC = LogLineHeader.ascii("SRC=");
  private static final byte[] DST = LogLineHeader.ascii("DST=");
  private static final byte[] PROTO = LogLineHeader.ascii("PROTO=");
  private static final byte[] SPT = LogLineHeader.ascii("SPT=");
  private static final byte[] DPT = LogLineHeader.ascii("DPT=");
  private static final byte[] URGP = LogLineHeader.ascii("URGP=");
  private static final byte[] LEN = LogLineHeader.ascii("LEN=");
  private static final byte[] TCP = LogLineHeader.ascii("TCP");
  private static final byte[] UDP = LogLineHeader.ascii("UDP");
  private static final byte[] SYN = LogLineHeader.ascii("SYN");
  private static final byte[] RULE = LogLineHeader.ascii("(#");
  private static final String MAPPED = "SRC= or DST= is an IPv4-mapped IPv6 address "
      + "(::ffff:a.b.c.d): an IPv6 packet, not one from that IPv4 address";

  /** The prefix as UTF-8, trimmed; null: any. */
  private final byte[] prefix;
  private long packets;
  private long skipped;
  private long unparsable;
  private String lastProblem = "";
  private String lastPrefix = "";
  private byte[] lastPrefixBytes = new byte[0];
  private boolean sawPacketField;

  /**
   * @param prefix only lines whose LOG prefix equals this (both trimmed) are parsed; null accepts
   *     any prefix
   */
  public NetfilterLogParser(String prefix) {
    this.prefix = prefix == null ? null : prefix.trim().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses one line (without its line terminator); calls the handler once if it is a packet. */
  public Result parse(CharSequence line, PacketHandler handler) {
    byte[] b = line.toString().getBytes(StandardCharsets.UTF_8);
    return parse(b, 0, b.length, handler);
  }

  /**
   * Parses the line whose UTF-8 bytes are a[from, to) (without its line terminator), in place:
   * nothing of a is kept, and nothing outside [from, to) is read. Calls the handler once if it is
   * a packet.
   *
   * @throws IndexOutOfBoundsException if [from, to) is not a range of a (a caller's bug, not bad
   *     input)
   */
  public Result parse(byte[] a, int from, int to, PacketHandler handler) {
    java.util.Objects.checkFromToIndex(from, to, a.length);
    Result r = classify(a, from, to, handler);
    switch (r) {
      case PACKET -> packets++;
      case SKIPPED -> skipped++;
      default -> unparsable++;
    }
    return r;
  }

  public long packets() {
    return packets;
  }

  public long skipped() {
    return skipped;
  }

  public long unparsable() {
    return unparsable;
  }

  /** Why the last UNPARSABLE line was rejected, one line; "" before the first. */
  public String lastProblem() {
    return lastProblem;
  }

  private Result classify(byte[] s, int from, int n, PacketHandler handler) {
    int start = LogLineHeader.messageStart(s, from, n);
    int in = findInterfaceField(s, start, n);
    if (in >= 0) {
      int pEnd = trimEnd(s, start, in);
      int pStart = trimStart(s, start, pEnd);
      if (prefix != null && !regionEquals(s, pStart, pEnd, prefix)) {
        return Result.SKIPPED;
      }
      return parseNetfilter(s, pStart, pEnd, in, n, handler);
    }
    if (LogLineHeader.startsWith(s, start, n, IPCHAINS)) {
      return parseIpchains(s, start + IPCHAINS.length, n, handler);
    }
    if (sawPacketField
        || (prefix != null && prefix.length > 0 && LogLineHeader.startsWith(s, start, n, prefix))) {
      return problem("no IN= OUT= fields (truncated or not a netfilter line)");
    }
    return Result.SKIPPED;
  }

  /**
   * Index of "IN=" that is followed by an interface name and " OUT=", or -1. Looks only at the
   * '=' signs, and notes in {@link #sawPacketField} whether it passed a SRC= or DPT=.
   */
  private int findInterfaceField(byte[] s, int from, int n) {
    sawPacketField = false;
    for (int e = LogLineHeader.indexOf(s, '=', Math.min(from + 2, n), n); e < n;
        e = LogLineHeader.indexOf(s, '=', e + 1, n)) {
      byte a = s[e - 2];
      byte b = s[e - 1];
      if (a == 'I' && b == 'N') {
        if (LogLineHeader.startsWith(s, tokenEnd(s, e + 1, n), n, OUT)) {
          return e - 2;
        }
      } else if (e >= from + 3 && ((a == 'R' && b == 'C' && s[e - 3] == 'S')
          || (a == 'P' && b == 'T' && s[e - 3] == 'D'))) {
        sawPacketField = true;
      }
    }
    return -1;
  }

  private Result parseNetfilter(byte[] s, int pStart, int pEnd, int from, int n,
      PacketHandler handler) {
    int srcFrom = -1;
    int srcTo = -1;
    int dstFrom = -1;
    int dstTo = -1;
    int protoFrom = -1;
    int protoTo = -1;
    int spt = -2;
    int dpt = -2;
    boolean syn = false;
    boolean ack = false;
    boolean tail = false; // URGP= for TCP, LEN= after DPT= for UDP: the line was not cut short
    int i = from;
    while (i < n) {
      int end = tokenEnd(s, i, n);
      int len = end - i;
      byte c = s[i];
      if (c == '[') {
        break; // an ICMP error's quoted packet, or "INCOMPLETE [n bytes]": not our fields
      }
      if (protoFrom < 0) {
        if (len >= 4 && c == 'S' && LogLineHeader.startsWith(s, i, n, SRC) && srcFrom < 0) {
          srcFrom = i + 4;
          srcTo = end;
        } else if (len >= 4 && c == 'D' && LogLineHeader.startsWith(s, i, n, DST) && dstFrom < 0) {
          dstFrom = i + 4;
          dstTo = end;
        } else if (len >= 6 && c == 'P' && LogLineHeader.startsWith(s, i, n, PROTO)) {
          protoFrom = i + 6;
          protoTo = end;
        }
      } else if (c == 'S' && len >= 4 && LogLineHeader.startsWith(s, i, n, SPT) && spt == -2) {
        spt = port(s, i + 4, end);
        if (spt < 0) {
          return problem("source port not a number in 1..65535");
        }
      } else if (c == 'D' && len >= 4 && LogLineHeader.startsWith(s, i, n, DPT) && dpt == -2) {
        dpt = port(s, i + 4, end);
        if (dpt < 0) {
          return problem("destination port not a number in 1..65535");
        }
      } else if (len == 3 && c == 'S' && s[i + 1] == 'Y' && s[i + 2] == 'N') {
        syn = true;
      } else if (len == 3 && c == 'A' && s[i + 1] == 'C' && s[i + 2] == 'K') {
        ack = true;
      } else if (c == 'U' && LogLineHeader.startsWith(s, i, n, URGP)) {
        tail = true;
      } else if (c == 'L' && dpt >= 0 && LogLineHeader.startsWith(s, i, n, LEN)) {
        tail = true;
      }
      i = end + 1;
    }
    if (srcFrom < 0 || dstFrom < 0) {
      return problem("missing SRC= or DST=");
    }
    if (protoFrom < 0 || protoTo == n) {
      return problem("missing PROTO= or nothing after it (truncated line)");
    }
    Transport transport = transport(s, protoFrom, protoTo);
    if (transport != Transport.OTHER) {
      if (spt < 0 || dpt < 0) {
        return problem("missing SPT= or DPT=");
      }
      if (!tail) {
        return problem("truncated after the ports");
      }
    }
    boolean tcp = transport == Transport.TCP;
    long src4 = AddressLiterals.parseV4(s, srcFrom, srcTo);
    long dst4 = src4 < 0 ? -1 : AddressLiterals.parseV4(s, dstFrom, dstTo);
    if (dst4 >= 0) { // IPv4: no address objects
      handler.onPacket(LoggedPacket.ipv4(prefixString(s, pStart, pEnd), (int) src4, (int) dst4,
          transport, Math.max(spt, -1), Math.max(dpt, -1), tcp && syn, tcp && ack));
      return Result.PACKET;
    }
    InetAddress src = AddressLiterals.parse(s, srcFrom, srcTo);
    InetAddress dst = AddressLiterals.parse(s, dstFrom, dstTo);
    if (src == null || dst == null) {
      return problem("SRC= or DST= is not an IP address literal");
    }
    if (mapped(s, srcFrom, srcTo, src) || mapped(s, dstFrom, dstTo, dst)) {
      return problem(MAPPED);
    }
    handler.onPacket(new LoggedPacket(prefixString(s, pStart, pEnd), src, dst, transport,
        Math.max(spt, -1), Math.max(dpt, -1), tcp && syn, tcp && ack));
    return Result.PACKET;
  }

  /** "chain target iface PROTO=n a.b.c.d:p a.b.c.d:p L=.. S=.. I=.. F=.. T=.. [SYN] (#n)". */
  private Result parseIpchains(byte[] s, int i, int n, PacketHandler handler) {
    int chainEnd = tokenEnd(s, i, n);
    int targetEnd = tokenEnd(s, Math.min(chainEnd + 1, n), n);
    int ifaceEnd = tokenEnd(s, Math.min(targetEnd + 1, n), n);
    if (ifaceEnd >= n) {
      return problem("ipchains line truncated");
    }
    if (prefix != null && !regionEquals(s, i, targetEnd, prefix)) {
      return Result.SKIPPED;
    }
    int protoAt = ifaceEnd + 1;
    int protoEnd = tokenEnd(s, protoAt, n);
    if (!LogLineHeader.startsWith(s, protoAt, n, PROTO)) {
      return problem("ipchains line without PROTO=");
    }
    int proto = number(s, protoAt + 6, protoEnd, 255);
    int srcEnd = tokenEnd(s, Math.min(protoEnd + 1, n), n);
    int dstEnd = tokenEnd(s, Math.min(srcEnd + 1, n), n);
    int srcColon = lastIndexOf(s, ':', protoEnd + 1, srcEnd);
    int dstColon = lastIndexOf(s, ':', srcEnd + 1, dstEnd);
    if (proto < 0 || srcColon < 0 || dstColon < 0) {
      return problem("ipchains addresses not host:port");
    }
    boolean syn = false;
    boolean complete = false;
    for (int t = dstEnd + 1; t < n; t = tokenEnd(s, t, n) + 1) {
      int e = tokenEnd(s, t, n);
      if (e - t == 3 && LogLineHeader.startsWith(s, t, n, SYN)) {
        syn = true;
      } else if (LogLineHeader.startsWith(s, t, n, RULE) && e > t + 2 && s[e - 1] == ')') {
        complete = true;
      }
    }
    if (!complete) {
      return problem("ipchains line truncated (no rule number)");
    }
    Transport transport = proto == 6 ? Transport.TCP : proto == 17 ? Transport.UDP
        : Transport.OTHER;
    boolean ports = transport != Transport.OTHER;
    // ICMP lines carry type and code where TCP and UDP carry ports
    int spt = ports ? port(s, srcColon + 1, srcEnd) : number(s, srcColon + 1, srcEnd, 65535);
    int dpt = ports ? port(s, dstColon + 1, dstEnd) : number(s, dstColon + 1, dstEnd, 65535);
    if (spt < 0 || dpt < 0) {
      return problem("ipchains port not a number in 1..65535");
    }
    InetAddress src = AddressLiterals.parse(s, protoEnd + 1, srcColon);
    InetAddress dst = AddressLiterals.parse(s, srcEnd + 1, dstColon);
    if (src == null || dst == null) {
      return problem("ipchains address is not an IPv4 literal");
    }
    if (mapped(s, protoEnd + 1, srcColon, src) || mapped(s, srcEnd + 1, dstColon, dst)) {
      return problem(MAPPED);
    }
    handler.onPacket(new LoggedPacket(prefixString(s, i, targetEnd), src, dst, transport,
        ports ? spt : -1, ports ? dpt : -1, syn && transport == Transport.TCP, false));
    return Result.PACKET;
  }

  private Result problem(String why) {
    lastProblem = why;
    return Result.UNPARSABLE;
  }

  private static Transport transport(byte[] s, int from, int to) {
    if (to - from == 3) {
      if (LogLineHeader.startsWith(s, from, to, TCP)) {
        return Transport.TCP;
      }
      if (LogLineHeader.startsWith(s, from, to, UDP)) {
        return Transport.UDP;
      }
    }
    return Transport.OTHER;
  }

  /**
   * True when the IPv6 literal s[from, to) became an IPv4 address: {@link InetAddress} turns
   * ::ffff:a.b.c.d into a.b.c.d, and Linux lets IPv6 packets from such sources reach netfilter
   * (since 5.12 only TCP's listen path drops them, after the LOG rule has run).
   */
  private static boolean mapped(byte[] s, int from, int to, InetAddress a) {
    if (a instanceof Inet4Address) {
      for (int i = from; i < to; i++) {
        if (s[i] == ':') {
          return true;
        }
      }
    }
    return false;
  }

  /** The prefix as a String, reusing the previous one when it is the same bytes. */
  private String prefixString(byte[] s, int from, int to) {
    if (!regionEquals(s, from, to, lastPrefixBytes)) {
      lastPrefixBytes = java.util.Arrays.copyOfRange(s, from, to);
      lastPrefix = new String(lastPrefixBytes, StandardCharsets.UTF_8);
    }
    return lastPrefix;
  }

  /** A TCP or UDP port: 1..65535 (port 0 is reserved; no real connection uses it), or -1. */
  private static int port(byte[] s, int from, int to) {
    int p = number(s, from, to, 65535);
    return p == 0 ? -1 : p;
  }

  /** Decimal s[from, to) in 0..max (at most 5 digits), or -1. */
  private static int number(byte[] s, int from, int to, int max) {
    if (to <= from || to - from > 5) {
      return -1;
    }
    int v = 0;
    for (int i = from; i < to; i++) {
      byte c = s[i];
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v <= max ? v : -1;
  }

  private static int tokenEnd(byte[] s, int i, int n) {
    return LogLineHeader.indexOf(s, ' ', i, n);
  }

  private static int lastIndexOf(byte[] s, char c, int from, int to) {
    for (int i = to - 1; i >= from; i--) {
      if (s[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static int trimStart(byte[] s, int from, int to) {
    while (from < to && s[from] == ' ') {
      from++;
    }
    return from;
  }

  private static int trimEnd(byte[] s, int from, int to) {
    while (to > from && s[to - 1] == ' ') {
      to--;
    }
    return to;
  }

  private static boolean regionEquals(byte[] s, int from, int to, byte[] p) {
    return to - from == p.length && LogLineHeader.startsWith(s, from, to, p);
  }
}
