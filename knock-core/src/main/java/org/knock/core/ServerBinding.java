package org.knock.core;

import java.util.Arrays;

/**
 * The server address a version-2 knock is bound to: the address the client sent its packets to,
 * as 16 bytes (an IPv4 address as {@code ::ffff:a.b.c.d}). It goes into the message's tag, so a
 * knock made for one address is refused by a server that checks it against any other.
 */
public final class ServerBinding {
  private final byte[] address;

  private ServerBinding(byte[] address16) {
    this.address = address16;
  }

  /** A binding to a raw address: 4 bytes (IPv4) or 16 (IPv6). */
  public static ServerBinding of(byte[] raw) {
    if (raw.length == 16) {
      return new ServerBinding(raw.clone());
    }
    if (raw.length != 4) {
      throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + raw.length);
    }
    byte[] a = new byte[16];
    a[10] = (byte) 0xFF;
    a[11] = (byte) 0xFF;
    System.arraycopy(raw, 0, a, 12, 4);
    return new ServerBinding(a);
  }

  /** A binding to an IPv4 address given as a 32-bit int. */
  public static ServerBinding ipv4(int v4) {
    return of(new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4});
  }

  /** The 16 bytes that go into the tag. */
  byte[] bytes() {
    return address;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerBinding b && Arrays.equals(address, b.address);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(address);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (byte x : address) {
      b.append(String.format("%02x", x & 0xFF));
    }
    return b.toString();
  }
}
