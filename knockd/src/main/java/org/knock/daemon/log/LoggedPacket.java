package org.knock.daemon.log;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One packet the kernel logged. Addresses are literal (never resolved). Ports are 1..65535 for TCP
 * and UDP, and -1 when the line carries none (ICMP and other transports without ports). {@code syn}
 * and {@code ack} are the TCP flags as logged, always false for other transports. Immutable; an
 * IPv4 packet holds its addresses as ints and builds {@link InetAddress}es only when asked (the
 * pipeline reads the ints: a flood of IPv4 packets allocates no address objects). Equal packets
 * are equal whichever way they were made.
 */
public final class LoggedPacket {
  private final String prefix;
  private final Transport transport;
  private final int sourcePort;
  private final int destinationPort;
  private final boolean syn;
  private final boolean ack;
  private final boolean ipv4;
  /** The addresses as big-endian ints, each 0 when it is IPv6: set by both ways in. */
  private final int source4;
  private final int destination4;
  private InetAddress source; // built on first use for an IPv4 packet (an immutable object)
  private InetAddress destination;

  /**
   * @param prefix the LOG prefix, trimmed ("" when the rule had none)
   */
  public LoggedPacket(String prefix, InetAddress source, InetAddress destination,
      Transport transport, int sourcePort, int destinationPort, boolean syn, boolean ack) {
    this(prefix, Objects.requireNonNull(source, "source"),
        Objects.requireNonNull(destination, "destination"),
        source instanceof Inet4Address && destination instanceof Inet4Address,
        bits(source), bits(destination), transport, sourcePort, destinationPort, syn, ack);
  }

  private LoggedPacket(String prefix, InetAddress source, InetAddress destination, boolean ipv4,
      int source4, int destination4, Transport transport, int sourcePort, int destinationPort,
      boolean syn, boolean ack) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.transport = Objects.requireNonNull(transport, "transport");
    if (!validPort(sourcePort) || !validPort(destinationPort)) {
      throw new IllegalArgumentException("ports must be 1..65535 or -1 (none), not "
          + sourcePort + " and " + destinationPort);
    }
    this.source = source;
    this.destination = destination;
    this.ipv4 = ipv4;
    this.source4 = source4;
    this.destination4 = destination4;
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.syn = syn;
    this.ack = ack;
  }

  /** An IPv4 packet from its addresses as big-endian ints (10.0.0.1 is 0x0A000001). */
  public static LoggedPacket ipv4(String prefix, int source, int destination, Transport transport,
      int sourcePort, int destinationPort, boolean syn, boolean ack) {
    return new LoggedPacket(prefix, null, null, true, source, destination, transport, sourcePort,
        destinationPort, syn, ack);
  }

  private static boolean validPort(int p) {
    return p == -1 || (p >= 1 && p <= 65535);
  }

  /** An IPv4 address as a big-endian int; 0 for an IPv6 address. */
  private static int bits(InetAddress a) {
    if (!(a instanceof Inet4Address)) {
      return 0;
    }
    byte[] b = a.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  /** The LOG prefix, trimmed ("" when the rule had none). */
  public String prefix() {
    return prefix;
  }

  public InetAddress source() {
    InetAddress a = source;
    if (a == null) {
      source = a = AddressLiterals.ipv4(source4);
    }
    return a;
  }

  public InetAddress destination() {
    InetAddress a = destination;
    if (a == null) {
      destination = a = AddressLiterals.ipv4(destination4);
    }
    return a;
  }

  public Transport transport() {
    return transport;
  }

  public int sourcePort() {
    return sourcePort;
  }

  public int destinationPort() {
    return destinationPort;
  }

  public boolean syn() {
    return syn;
  }

  public boolean ack() {
    return ack;
  }

  /** True when the source address is IPv4 (then {@link #sourceV4()} is defined). */
  public boolean isIpv4() {
    return ipv4 || source instanceof Inet4Address;
  }

  /**
   * The IPv4 source address as a big-endian int (10.0.0.1 is 0x0A000001).
   *
   * @throws IllegalStateException if the source is IPv6
   */
  public int sourceV4() {
    if (!isIpv4()) {
      throw new IllegalStateException("not an IPv4 source: " + source.getHostAddress());
    }
    return source4;
  }

  /**
   * The IPv4 destination address as a big-endian int; 0 if the destination is not IPv4.
   */
  public int destinationV4() {
    return destination4;
  }

  /** True for a TCP packet with SYN set and ACK clear: the first packet of a connection attempt. */
  public boolean isInitialSyn() {
    return transport == Transport.TCP && syn && !ack;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LoggedPacket p && prefix.equals(p.prefix) && source().equals(p.source())
        && destination().equals(p.destination()) && transport == p.transport
        && sourcePort == p.sourcePort && destinationPort == p.destinationPort && syn == p.syn
        && ack == p.ack;
  }

  @Override
  public int hashCode() {
    return Objects.hash(prefix, source(), destination(), transport, sourcePort, destinationPort,
        syn, ack);
  }

  @Override
  public String toString() {
    return "LoggedPacket[prefix=" + prefix + ", source=" + source() + ", destination="
        + destination() + ", transport=" + transport + ", sourcePort=" + sourcePort
        + ", destinationPort=" + destinationPort + ", syn=" + syn + ", ack=" + ack + "]";
  }
}
