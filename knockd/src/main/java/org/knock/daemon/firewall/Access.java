package org.knock.daemon.firewall;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knock.core.Protocol;

/**
 * Access of one IPv4 or IPv6 address (or an IPv6 /64) to one port: what a grant opens, either at
 * the port itself or, for {@code open PORT random} and forwards, only through an external port the
 * firewall redirects to it. Guarantees non-null parts, a port in 1-65535, an external port that is
 * 0 or 1-65535, and a prefix that is the address's full length or, for IPv6, 64 with the address's
 * last 8 bytes zero.
 *
 * @param address the source address let in (for a /64: the network's first address)
 * @param port 1-65535
 * @param protocol TCP or UDP
 * @param prefix 32 (IPv4), 128 (IPv6) or 64 (an IPv6 /64)
 * @param external the port the address connects to, redirected to {@code port}; 0: none (the
 *     address reaches {@code port} itself)
 * @param to for a forward: the inner host (IPv4) whose {@code port} {@code external} leads to;
 *     null: this host
 * @param masquerade for a forward: the flow leaves with this host's address
 */
public record Access(InetAddress address, int port, Protocol protocol, int prefix, int external,
    Inet4Address to, boolean masquerade) {
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  /** 192.0.2.1 22/tcp (a documentation address), for descriptions. */
  static final Access EXAMPLE = new Access(ipv4("192.0.2.1"), 22, Protocol.TCP);
  /** 2001:db8::1 22/tcp (a documentation address), for descriptions. */
  static final Access EXAMPLE6 = new Access(ipv6("2001:db8::1"), 22, Protocol.TCP);

  public Access {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("bad port " + port + ": use 1-65535");
    }
    int full = address.getAddress().length * 8;
    if (prefix != full && !(full == 128 && prefix == 64 && hostBitsZero(address))) {
      throw new IllegalArgumentException("bad prefix /" + prefix + " for " + text(address));
    }
    if (external < 0 || external > 65535) {
      throw new IllegalArgumentException("bad external port " + external + ": use 1-65535");
    }
    if (to != null && external == 0) {
      throw new IllegalArgumentException("a forward needs an external port");
    }
    if (masquerade && to == null) {
      throw new IllegalArgumentException("only a forward is masqueraded");
    }
  }

  /** Access of one address or network at the port itself. */
  public Access(InetAddress address, int port, Protocol protocol, int prefix) {
    this(address, port, protocol, prefix, 0, null, false);
  }

  /** Access of one address to {@code port} through {@code external}, or a forward (to non-null). */
  public Access(InetAddress address, int port, Protocol protocol, int external,
      Inet4Address to, boolean masquerade) {
    this(address, port, protocol, full(address), external, to, masquerade);
  }

  /** Access of one address to this host's {@code port} through {@code external} (0: itself). */
  public static Access redirect(InetAddress address, int port, Protocol protocol, int external) {
    return new Access(address, port, protocol, full(address), external, null, false);
  }

  private static int full(InetAddress address) {
    return Objects.requireNonNull(address, "address").getAddress().length * 8;
  }

  /** True for a forward: {@code external} leads to {@link #to}'s {@code port}. */
  public boolean forwarded() {
    return to != null;
  }

  /** True if the address reaches this host's port only through {@link #external}. */
  public boolean redirected() {
    return external != 0 && to == null;
  }

  /** Access of one address (its full length) at the port itself. */
  public Access(InetAddress address, int port, Protocol protocol) {
    this(address, port, protocol, full(address), 0, null, false);
  }

  private static boolean hostBitsZero(InetAddress a) {
    byte[] b = a.getAddress();
    for (int i = 8; i < 16; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** True for a network (an IPv6 /64) rather than one address. */
  public boolean network() {
    return prefix != address.getAddress().length * 8;
  }

  /** The address as text, e.g. {@code 192.0.2.1}, {@code fd00:15::2} or {@code fd00:15::/64}. */
  public String ip() {
    return text(address, prefix);
  }

  /** An address as {@link #text(InetAddress)}, with {@code /prefix} if shorter than full. */
  public static String text(InetAddress a, int prefix) {
    return prefix == a.getAddress().length * 8 ? text(a) : text(a) + "/" + prefix;
  }

  /** True for an IPv6 address. */
  public boolean ipv6() {
    return !(address instanceof Inet4Address);
  }

  /**
   * An address as text: IPv4 dotted, IPv6 in its short form (RFC 5952: lower case, the longest
   * run of two or more zero groups, the first of equals, as {@code ::}).
   */
  public static String text(InetAddress a) {
    if (a instanceof Inet4Address) {
      return a.getHostAddress();
    }
    byte[] b = a.getAddress();
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = (b[2 * i] & 0xFF) << 8 | (b[2 * i + 1] & 0xFF);
    }
    int best = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder t = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == best) {
        t.append("::");
        i += bestLen - 1;
        continue;
      }
      if (t.length() > 0 && t.charAt(t.length() - 1) != ':') {
        t.append(':');
      }
      t.append(Integer.toHexString(g[i]));
    }
    return t.toString();
  }

  /** E.g. {@code 192.0.2.1 22/tcp}, or {@code 192.0.2.1 22/tcp external 41369}. */
  @Override
  public String toString() {
    return ip() + " " + port + "/" + protocol.word()
        + (external == 0 ? "" : " external " + external)
        + (to == null ? "" : " to " + to.getHostAddress() + (masquerade ? " masquerade" : ""));
  }

  /** A documentation IPv6 literal (hex digits and ':' only: parsed, never looked up). */
  private static InetAddress ipv6(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(literal, e);
    }
  }

  /**
   * Parses a dotted quad without name resolution.
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static Inet4Address ipv4(String dotted) {
    Matcher m = DOTTED_QUAD.matcher(dotted);
    if (!m.matches()) {
      throw new IllegalArgumentException("bad IPv4 address '" + dotted + "'");
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      int octet = Integer.parseInt(m.group(i + 1));
      if (octet > 255) {
        throw new IllegalArgumentException("bad IPv4 address '" + dotted + "'");
      }
      b[i] = (byte) octet;
    }
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 bytes are an IPv4 address", e);
    }
  }
}
