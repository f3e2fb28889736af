package org.knock.core;

import java.util.Locale;

/**
 * How message bytes become destination ports, above a base port.
 *
 * <ul>
 *   <li>{@link #INDEXED} (default): byte i goes to port base + 256·i + value. Every port says
 *       which position it fills, so the knock may arrive in any order. Range: 20 × 256 = 5120.
 *   <li>{@link #CLASSIC}: byte i goes to port base + value, as in Krzywinski's 2003 design. The
 *       order of arrival is the order of the bytes, so packets must arrive in order. Range: 256.
 * </ul>
 * A 36-byte message (address mode 2, an IPv6 address) takes 36 ports: indexed, a range of
 * 36 × 256 = 9216.
 */
public enum PortMapping {
  INDEXED,
  CLASSIC;

  /** Number of ports in one knock. */
  public int length() {
    return Sealer.MESSAGE_SIZE;
  }

  /** Number of ports the knock range must span. */
  public int rangeSize() {
    return rangeSize(Sealer.MESSAGE_SIZE);
  }

  /** Number of ports the knock range must span for messages of {@code messageLength} bytes. */
  public int rangeSize(int messageLength) {
    return this == INDEXED ? 256 * messageLength : 256;
  }

  /** The destination ports for a message, in sending order. */
  public int[] toPorts(byte[] message, int basePort) {
    checkBase(basePort, message.length);
    int[] ports = new int[message.length];
    for (int i = 0; i < message.length; i++) {
      int v = message[i] & 0xFF;
      ports[i] = basePort + (this == INDEXED ? 256 * i + v : v);
    }
    return ports;
  }

  /** True if the port lies in this mapping's range above the base. */
  public boolean inRange(int port, int basePort) {
    return port >= basePort && port < basePort + rangeSize();
  }

  /** The message position a port fills (always 0 for classic), or -1 if out of range. */
  public int position(int port, int basePort) {
    return position(port, basePort, Sealer.MESSAGE_SIZE);
  }

  /** As {@link #position(int, int)} for messages of {@code messageLength} bytes. */
  public int position(int port, int basePort, int messageLength) {
    if (port < basePort || port >= basePort + rangeSize(messageLength)) {
      return -1;
    }
    return this == INDEXED ? (port - basePort) >>> 8 : 0;
  }

  /** The byte a port carries. */
  public int value(int port, int basePort) {
    return (port - basePort) & 0xFF;
  }

  /** Checks that the whole range fits below 65536. */
  public void checkBase(int basePort) {
    checkBase(basePort, Sealer.MESSAGE_SIZE);
  }

  /** Checks that the range of messages of {@code messageLength} bytes fits below 65536. */
  public void checkBase(int basePort, int messageLength) {
    int size = rangeSize(messageLength);
    if (basePort < 1 || basePort + size - 1 > 65535) {
      throw new IllegalArgumentException("base port " + basePort + " leaves no room for "
          + size + " ports below 65536");
    }
  }

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mapping for "indexed" or "classic" (any case), or null. */
  public static PortMapping ofWord(String w) {
    for (PortMapping m : values()) {
      if (m.word().equalsIgnoreCase(w.trim())) {
        return m;
      }
    }
    return null;
  }
}
