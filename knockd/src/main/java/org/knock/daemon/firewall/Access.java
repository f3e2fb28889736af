package org.knock.daemon.firewall;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knock.core.Protocol;

/**
 * Access of one IPv4 address to one port: what a grant opens. Guarantees non-null parts and a
 * port in 1-65535.
 *
 * @param address the source address let in
 * @param port 1-65535
 * @param protocol TCP or UDP
 */
public record Access(Inet4Address address, int port, Protocol protocol) {
  private static final Pattern DOTTED_QUAD =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  /** 192.0.2.1 22/tcp (a documentation address), for descriptions. */
  static final Access EXAMPLE = new Access(ipv4("192.0.2.1"), 22, Protocol.TCP);

  public Access {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("bad port " + port + ": use 1-65535");
    }
  }

  /** The address as a dotted quad, e.g. {@code 192.0.2.1}. */
  public String ip() {
    return address.getHostAddress();
  }

  /** E.g. {@code 192.0.2.1 22/tcp}. */
  @Override
  public String toString() {
    return ip() + " " + port + "/" + protocol.word();
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
