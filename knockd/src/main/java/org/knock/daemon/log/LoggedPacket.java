package org.knock.daemon.log;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One packet the kernel logged. Addresses are literal (never resolved). Ports are 1..65535 for TCP
 * and UDP, and -1 when the line carries none (ICMP and other transports without ports). {@code syn}
 * and {@code ack} are the TCP flags as logged, always false for other transports.
 *
 * @param prefix the LOG prefix, trimmed ("" when the rule had none)
 */
public record LoggedPacket(String prefix, InetAddress source, InetAddress destination,
    Transport transport, int sourcePort, int destinationPort, boolean syn, boolean ack) {

  public LoggedPacket {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(transport, "transport");
    if (!validPort(sourcePort) || !validPort(destinationPort)) {
      throw new IllegalArgumentException("ports must be 1..65535 or -1 (none), not "
          + sourcePort + " and " + destinationPort);
    }
  }

  private static boolean validPort(int p) {
    return p == -1 || (p >= 1 && p <= 65535);
  }

  /** True when the source address is IPv4 (then {@link #sourceV4()} is defined). */
  public boolean isIpv4() {
    return source instanceof Inet4Address;
  }

  /**
   * The IPv4 source address as a big-endian int (10.0.0.1 is 0x0A000001).
   *
   * @throws IllegalStateException if the source is IPv6
   */
  public int sourceV4() {
    if (!(source instanceof Inet4Address)) {
      throw new IllegalStateException("not an IPv4 source: " + source.getHostAddress());
    }
    byte[] a = source.getAddress();
    return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
  }

  /**
   * The IPv4 destination address as a big-endian int; 0 if the destination is not IPv4.
   */
  public int destinationV4() {
    if (!(destination instanceof Inet4Address)) {
      return 0;
    }
    byte[] a = destination.getAddress();
    return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
  }

  /** True for a TCP packet with SYN set and ACK clear: the first packet of a connection attempt. */
  public boolean isInitialSyn() {
    return transport == Transport.TCP && syn && !ack;
  }
}
