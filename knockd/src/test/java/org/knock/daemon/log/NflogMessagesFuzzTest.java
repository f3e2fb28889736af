package org.knock.daemon.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Fuzzes the direct NFLOG reader's pure half: a received netlink datagram through {@link
 * NflogMessages#walk}, each packet through {@link NflogLine#of}, each line through {@link
 * NetfilterLogParser}. Nothing throws; every message of the datagram is accounted for (a packet,
 * skipped as no packet message, or one malformed; a framing error ends the walk), as a decode of
 * the netlink framing written here independently says; each line is one line of printable ASCII;
 * and the packet the parser reads from it has the addresses, transport, ports and SYN/ACK flags
 * that the packet bytes have by the kernel's LOG semantics (decoded here again): a TCP or UDP
 * packet with its header in the copy gives exactly that packet, anything else (a later fragment,
 * a header cut short) no TCP or UDP packet. {@link #datagram} mutates whole datagrams (seeds: real
 * kernel layouts), {@link #payload} only the packet bytes inside a well-formed message (the part
 * an attacker controls). Seeds in {@code NflogMessagesFuzzTestInputs/<method>/}; a plain test run
 * replays them, {@code JAZZER_FUZZ=1} fuzzes (docs/SECURITY.md).
 */
class NflogMessagesFuzzTest {
  private static final String MARKER = "KNFUZZ:";
  /** A LOG prefix as knockd writes them: one token, no '=' (the parser reads the rest). */
  private static final Pattern ADMIN_PREFIX = Pattern.compile("([A-Za-z][A-Za-z0-9_:.-]*)? *");
  private static final HexFormat HEX = HexFormat.of();

  @FuzzTest(maxDuration = "5m")
  void datagram(byte[] input) {
    check(input);
  }

  @FuzzTest(maxDuration = "5m")
  void payload(byte[] input) {
    byte[] packet = Arrays.copyOf(input, Math.min(input.length, 4096));
    check(NflogFixtures.packet(MARKER + " ", packet, 1, 3));
  }

  private static void check(byte[] d) {
    List<String> events = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    List<Expected> wanted = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    String[] why = new String[1];
    NflogMessages.walk(d, d.length, new NflogMessages.Packet(), new NflogMessages.Visitor() {
      @Override
      public void packet(NflogMessages.Packet p) {
        events.add(describe(p.bytes, p.prefixFrom, p.prefixTo, p.payloadFrom, p.payloadTo, p.seq,
            p.inIndex));
        String prefix = p.prefixFrom < 0 ? ""
            : new String(p.bytes, p.prefixFrom, p.prefixTo - p.prefixFrom,
                StandardCharsets.ISO_8859_1);
        if (p.prefixFrom >= 0) { // the reader drops packets the sink's filter does not want
          assertThat(LineFilter.containing(MARKER).wants(p.bytes, p.prefixFrom, p.prefixTo))
              .isEqualTo(prefix.contains(MARKER));
        }
        why[0] = null;
        String line = NflogLine.of(p, i -> i == 3 ? "vs0" : null, why);
        Expected e = p.payloadFrom < 0 ? Expected.NO_LINE
            : expected(p.bytes, p.payloadFrom, p.payloadTo);
        if (line == null) {
          assertThat(e).as("no line for a packet the kernel logs").isSameAs(Expected.NO_LINE);
          oneLine(why[0]);
          return;
        }
        assertThat(e).as(line).isNotSameAs(Expected.NO_LINE);
        assertThat(line.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)).as(line).isTrue();
        lines.add(line);
        wanted.add(e);
        prefixes.add(prefix);
      }

      @Override
      public void malformed(String problem) {
        oneLine(problem);
        events.add("malformed");
      }
    });
    assertThat(events).isEqualTo(framing(d));

    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String prefix = sanitized(prefixes.get(i));
      boolean admin = ADMIN_PREFIX.matcher(prefix).matches();
      NetfilterLogParser parser = new NetfilterLogParser(admin ? prefix : null);
      List<LoggedPacket> got = new ArrayList<>();
      NetfilterLogParser.Result r = parser.parse(line, got::add);
      assertThat(got).hasSize(r == NetfilterLogParser.Result.PACKET ? 1 : 0);
      if (!admin) {
        continue; // a prefix with '=' or a log header in it is the admin's own doing
      }
      Expected e = wanted.get(i);
      LoggedPacket p = got.isEmpty() ? null : got.get(0);
      String as = line + " (" + parser.lastProblem() + ")";
      if (e.packet != null) {
        assertThat(p).as(as).isEqualTo(new LoggedPacket(prefix.trim(), e.packet.source(),
            e.packet.destination(), e.packet.transport(), e.packet.sourcePort(),
            e.packet.destinationPort(), e.packet.syn(), e.packet.ack()));
      } else if (e == Expected.NOT_A_PACKET) {
        assertThat(r).as(as).isEqualTo(NetfilterLogParser.Result.UNPARSABLE);
      } else if (p != null) { // another transport: no ports, no flags, the packet's addresses
        assertThat(p.transport()).as(as).isEqualTo(Transport.OTHER);
        assertThat(p.source()).as(as).isEqualTo(e.source);
        assertThat(p.destination()).as(as).isEqualTo(e.destination);
        assertThat(p.sourcePort()).isEqualTo(-1);
        assertThat(p.destinationPort()).isEqualTo(-1);
        assertThat(p.syn() || p.ack()).isFalse();
      }
    }
  }

  private static void oneLine(String why) {
    assertThat(why).isNotEmpty().doesNotContain("\n", "\r");
  }

  private static String sanitized(String prefix) {
    StringBuilder b = new StringBuilder();
    for (char c : prefix.toCharArray()) {
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  private static String describe(byte[] a, int prefixFrom, int prefixTo, int payloadFrom,
      int payloadTo, long seq, int in) {
    return "packet seq=" + seq + " in=" + in
        + " prefix=" + (prefixFrom < 0 ? "-" : HEX.formatHex(a, prefixFrom, prefixTo))
        + " payload=" + (payloadFrom < 0 ? "-" : HEX.formatHex(a, payloadFrom, payloadTo));
  }

  /** The messages of datagram {@code d}, decoded from the netlink and nfnetlink layouts. */
  private static List<String> framing(byte[] d) {
    List<String> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.nativeOrder());
    long at = 0;
    while (at < d.length) {
      long len = d.length - at < 16 ? -1 : b.getInt((int) at) & 0xffffffffL;
      boolean packet = len >= 16 && (b.getShort((int) at + 4) & 0xffff) == 0x0400; // ULOG PACKET
      if (len < 16 || len > d.length - at || (packet && len < 20)) {
        out.add("malformed"); // cut short, nlmsg_len beyond the datagram, or no nfgenmsg
        return out;
      }
      if (packet) {
        out.add(attributes(b, d, (int) at + 20, (int) (at + len)));
      }
      at += (len + 3) & ~3L; // NLMSG_ALIGN
    }
    return out;
  }

  private static String attributes(ByteBuffer b, byte[] d, int from, int to) {
    int prefixFrom = -1;
    int prefixTo = -1;
    int payloadFrom = -1;
    int payloadTo = -1;
    long seq = -1;
    int in = -1;
    int at = from;
    while (to - at >= 4) {
      int len = b.getShort(at) & 0xffff;
      if (len < 4 || len > to - at) {
        return "malformed";
      }
      int v = at + 4;
      switch (b.getShort(at + 2) & 0x3fff) { // without NLA_F_NESTED, NLA_F_NET_BYTEORDER
        case 10 -> { // NFULA_PREFIX, NUL-terminated
          prefixFrom = v;
          prefixTo = v;
          while (prefixTo < at + len && d[prefixTo] != 0) {
            prefixTo++;
          }
        }
        case 9 -> { // NFULA_PAYLOAD
          payloadFrom = v;
          payloadTo = at + len;
        }
        case 12 -> seq = len == 8 ? ByteBuffer.wrap(d, v, 4).getInt() & 0xffffffffL : seq;
        case 4 -> in = len == 8 ? ByteBuffer.wrap(d, v, 4).getInt() : in;
        default -> { }
      }
      at += (len + 3) & ~3; // NLA_ALIGN
    }
    return describe(d, prefixFrom, prefixTo, payloadFrom, payloadTo, seq, in);
  }

  /** What the kernel's LOG line for a packet gives the parser. */
  private static final class Expected {
    /** Not written at all: no payload, no IP version 4 or 6, or an IPv4 header length below 20. */
    static final Expected NO_LINE = new Expected(null, null, null);
    /** Written, but no packet: cut short, or a TCP/UDP header that is not there or has port 0. */
    static final Expected NOT_A_PACKET = new Expected(null, null, null);

    final LoggedPacket packet;
    final InetAddress source;
    final InetAddress destination;

    Expected(LoggedPacket packet, InetAddress source, InetAddress destination) {
      this.packet = packet;
      this.source = source;
      this.destination = destination;
    }

    /** Another transport (or a header the kernel words differently): OTHER or not a packet. */
    static Expected other(InetAddress source, InetAddress destination) {
      return new Expected(null, source, destination);
    }
  }

  /** The packet in a[from, to), decoded as nf_log_syslog.c's dump_ipv4/ipv6_packet do. */
  private static Expected expected(byte[] a, int from, int to) {
    int n = to - from;
    int version = n == 0 ? 0 : (a[from] & 0xff) >> 4;
    if (version == 4) {
      if (n < 20) {
        return Expected.NOT_A_PACKET;
      }
      int ihl = (a[from] & 0x0f) * 4;
      if (ihl < 20) {
        return Expected.NO_LINE;
      }
      if (ihl > n) {
        return Expected.NOT_A_PACKET;
      }
      boolean later = (u16(a, from + 6) & 0x1fff) != 0;
      return transport(a, from + ihl, to, a[from + 9] & 0xff, later,
          address(a, from + 12, 4), address(a, from + 16, 4));
    }
    if (version != 6) {
      return Expected.NO_LINE;
    }
    if (n < 40) {
      return Expected.NOT_A_PACKET;
    }
    InetAddress src = address(a, from + 8, 16);
    InetAddress dst = address(a, from + 24, 16);
    if (mapped(a, from + 8) || mapped(a, from + 24)) {
      return Expected.NOT_A_PACKET; // ::ffff:a.b.c.d is no packet from a.b.c.d
    }
    int next = a[from + 6] & 0xff;
    int at = from + 40;
    boolean later = false;
    while (next == 0 || next == 43 || next == 44 || next == 51 || next == 60) {
      if (later) {
        return Expected.other(src, dst); // the kernel stops here; never ports
      }
      if (to - at < 8) {
        return Expected.NOT_A_PACKET;
      }
      int len = next == 44 ? 8 : next == 51 ? ((a[at + 1] & 0xff) + 2) * 4
          : ((a[at + 1] & 0xff) + 1) * 8;
      later = next == 44 && (u16(a, at + 2) & 0xfff8) != 0;
      next = a[at] & 0xff;
      at += len;
      if (at > to) {
        return Expected.NOT_A_PACKET;
      }
    }
    return transport(a, at, to, next, later, src, dst);
  }

  private static Expected transport(byte[] a, int at, int to, int proto, boolean later,
      InetAddress src, InetAddress dst) {
    int header = proto == 6 ? 20 : proto == 17 ? 8 : -1;
    if (header < 0) {
      return Expected.other(src, dst);
    }
    if (later || to - at < header) {
      return Expected.NOT_A_PACKET;
    }
    int spt = u16(a, at);
    int dpt = u16(a, at + 2);
    if (spt == 0 || dpt == 0) {
      return Expected.NOT_A_PACKET; // the parser's rule: no connection uses port 0
    }
    boolean tcp = proto == 6;
    int flags = tcp ? a[at + 13] & 0xff : 0;
    return new Expected(new LoggedPacket("", src, dst, tcp ? Transport.TCP : Transport.UDP, spt,
        dpt, (flags & 0x02) != 0, (flags & 0x10) != 0), src, dst);
  }

  /** The address as the packet has it: 16 bytes stay IPv6 (InetAddress maps ::ffff:0:0/96). */
  private static InetAddress address(byte[] a, int at, int len) {
    byte[] bytes = Arrays.copyOfRange(a, at, at + len);
    try {
      return len == 4 ? InetAddress.getByAddress(bytes)
          : Inet6Address.getByAddress(null, bytes, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean mapped(byte[] a, int at) {
    for (int i = 0; i < 10; i++) {
      if (a[at + i] != 0) {
        return false;
      }
    }
    return a[at + 10] == (byte) 0xff && a[at + 11] == (byte) 0xff;
  }

  private static int u16(byte[] a, int at) {
    return (a[at] & 0xff) << 8 | (a[at + 1] & 0xff);
  }
}
